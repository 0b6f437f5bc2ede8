"""Drum classes: which MIDI pitches feed each class and which pitch it plays back on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DrumClass:
    """One voice of the kit as the model sees it."""

    name: str
    output_note: int  # General MIDI note used when writing this class
    input_notes: tuple[int, ...]  # every pitch that counts as this class


# Covers every pitch the Roland TD-11 writes in the Groove MIDI Dataset
# (heads, rims, edges, bow/bell, pedal hi-hat) plus the nearby General MIDI
# pitches a DAW drum track commonly sends.  The pedal hi-hat, side stick and
# ride bell keep their own classes because they sound and are played unlike
# their neighbours; rims and edges fold into their drum because they are the
# same voice struck differently.
DRUM_CLASSES: tuple[DrumClass, ...] = (
    DrumClass("kick", 36, (35, 36)),
    DrumClass("snare", 38, (38, 40, 39)),
    DrumClass("side_stick", 37, (37,)),
    DrumClass("closed_hh", 42, (42, 22)),
    DrumClass("pedal_hh", 44, (44,)),
    DrumClass("open_hh", 46, (46, 26)),
    DrumClass("low_tom", 43, (43, 58, 41)),
    DrumClass("mid_tom", 47, (45, 47)),
    DrumClass("high_tom", 50, (48, 50)),
    DrumClass("crash", 49, (49, 55, 57, 52)),
    DrumClass("ride", 51, (51, 59)),
    DrumClass("ride_bell", 53, (53,)),
)

DRUM_NAMES: tuple[str, ...] = tuple(d.name for d in DRUM_CLASSES)
PITCH_TO_CLASS: dict[int, int] = {pitch: index for index, drum in enumerate(DRUM_CLASSES) for pitch in drum.input_notes}
GM_OUTPUT_NOTES: tuple[int, ...] = tuple(d.output_note for d in DRUM_CLASSES)


def class_of_pitch(pitch: int) -> int | None:
    """Drum class index for a MIDI pitch, or None when the pitch is not a known drum."""
    return PITCH_TO_CLASS.get(pitch)


def drum_table_signature() -> list[list[str | list[int]]]:
    """The class table as plain lists, stored in model.json to detect mismatches."""
    return [[d.name, list(d.input_notes)] for d in DRUM_CLASSES]
