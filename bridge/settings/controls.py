"""Live controls: the settings a producer tweaks while the bridge plays, and how they shape each bar.

`Controls` is immutable; a change (TUI, MIDI CC) builds a new one and the
engine swaps it in, so the worker never sees half an update.  Sampling
controls (temperature, top-k/p, variation, density) act inside the model's
stream, so the model hears what it played; the feel controls (mute, lock,
quantize, swing, humanize, velocity) shape the notes on their way out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bridge.model.live_plan import BarRequest
from bridge.music.conditions import FOLLOW
from bridge.music.drums import DRUM_NAMES
from bridge.music.hits import Hit
from bridge.music.sampling import DEFAULT_VARIATION, SamplingSettings, adherence_for
from bridge.settings.presets import PRESET_SCHEMA, Preset

SIXTEENTHS_PER_BEAT = 4
# The bar's first 16th as quantize sees it: hits up to here are pulled onto the downbeat.  The
# worker hands these to the engine before it writes the rest of an answer's first bar (see
# split_downbeat), so the split must fall where quantizing cannot put two hits on one moment.
DOWNBEAT_CELL_BEATS = 0.5 / SIXTEENTHS_PER_BEAT
# Fields a CC moves continuously over the preset schema's range, and their section.
CONTINUOUS_CC = {
    "temperature": "generation",
    "top_k": "generation",
    "top_p": "generation",
    "variation": "generation",
    "density": "generation",
    "fill_every": "generation",
    "velocity_scale": "feel",
    "swing": "feel",
    "humanize_ms": "feel",
    "quantize": "feel",
    "offset_ms": "output",
}
# Every Controls field and the preset section it is read from (mute and lock: lists of drum names there).
PRESET_SECTION = {
    **CONTINUOUS_CC,
    "style": "generation",
    "fill_every": "generation",
    "random_seed": "generation",
    "mute": "drums",
    "lock": "drums",
    "thru": "output",
}
DRUM_SET_FIELDS = ("mute", "lock")


@dataclass(frozen=True)
class Controls:
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    variation: float = DEFAULT_VARIATION
    density: float = 1.0
    style: str = FOLLOW
    fill_every: int = 0
    random_seed: int = -1
    velocity_scale: float = 1.0
    swing: float = 0.0
    humanize_ms: float = 0.0
    quantize: float = 0.0
    mute: frozenset = frozenset()  # drum class indexes
    lock: frozenset = frozenset()
    offset_ms: float = 0.0
    thru: bool = False

    @classmethod
    def from_preset(cls, preset: Preset) -> Controls:
        values = {name: preset[section][name] for name, section in PRESET_SECTION.items()}
        for name in DRUM_SET_FIELDS:
            values[name] = frozenset(DRUM_NAMES.index(drum) for drum in values[name])
        return cls(**values)

    def preset_values(self) -> dict[tuple[str, str], object]:
        """{(section, key): value} of the preset keys these controls are read from (from_preset's inverse):
        the TUI shows a change made by a MIDI CC in its editor as if it had been typed."""
        values = {(section, name): getattr(self, name) for name, section in PRESET_SECTION.items()}
        for name in DRUM_SET_FIELDS:
            values[(PRESET_SECTION[name], name)] = [DRUM_NAMES[index] for index in sorted(getattr(self, name))]
        return values

    def sampling(self) -> SamplingSettings:
        return SamplingSettings(self.temperature, self.top_k, self.top_p, adherence_for(self.variation), self.density)

    def bar_request(self, fill_lines: frozenset[int] = frozenset()) -> BarRequest:
        """What bars the model writes ask of a conditioned model (style, density, fills)."""
        return BarRequest(self.style, self.density, self.fill_every, fill_lines)

    def model_side(self) -> tuple:
        """Everything that changes what the model writes: a change re-writes the bars ahead."""
        return (self.sampling(), self.style, self.fill_every)

    def with_changes(self, **changes) -> Controls:
        return dataclasses.replace(self, **changes)


def control_from_cc(controls: Controls, name: str, value: int) -> Controls:
    """The controls after CC value 0-127 arrived for control `name` (a key of the preset's [midi_cc])."""
    value = max(0, min(127, value))
    if name in CONTINUOUS_CC:
        field = PRESET_SCHEMA[CONTINUOUS_CC[name]][name]
        assert field.low is not None and field.high is not None  # every continuous control has a range
        scaled = field.low + (field.high - field.low) * value / 127
        if field.kind is int:
            scaled = round(scaled)
        if name == "temperature":
            scaled = max(scaled, field.low)
        return controls.with_changes(**{name: scaled})
    if name == "random_seed":
        return controls.with_changes(random_seed=value)
    if name == "style":  # the 128 values split evenly among the styles, follow first
        styles = PRESET_SCHEMA["generation"]["style"].choices
        return controls.with_changes(style=styles[value * len(styles) // 128])
    kind, _, drum = name.partition("_")
    if kind in ("mute", "lock") and drum in DRUM_NAMES:
        current = getattr(controls, kind)
        index = DRUM_NAMES.index(drum)
        return controls.with_changes(**{kind: current | {index} if value >= 64 else current - {index}})
    raise KeyError(name)


def humanize_rng(random_seed: int) -> np.random.Generator:
    """The generator of humanize's timing draws: from the random seed when one is fixed (a stream of its
    own, apart from the model's), so a fixed seed gives the same notes live and offline."""
    return np.random.default_rng([random_seed, 1]) if random_seed >= 0 else np.random.default_rng()


# Controls that shape notes on their way out: a change re-shapes every note not yet sent.
FEEL_FIELDS = ("mute", "lock", "velocity_scale", "swing", "humanize_ms", "quantize")


def feel_changed(old: Controls, new: Controls) -> bool:
    return any(getattr(old, name) != getattr(new, name) for name in FEEL_FIELDS)


def shape_bar(
    hits: list[Hit],
    controls: Controls,
    bpm: float,
    rng: np.random.Generator,
    locked_source: Sequence[Hit] = (),
    beats_per_bar: float = 4.0,
) -> list[Hit]:
    """The notes to send for one generated bar (times in beats from the bar start)."""
    return [note for _source, note in shape_pairs(hits, controls, bpm, rng, locked_source, beats_per_bar)]


def shape_pairs(
    hits: list[Hit],
    controls: Controls,
    bpm: float,
    rng: np.random.Generator,
    locked_source: Sequence[Hit] = (),
    beats_per_bar: float = 4.0,
) -> list[tuple[Hit, Hit]]:
    """shape_bar's notes, each with the hit it came from (the model's, or the call's for a locked drum):
    the engine re-shapes a bar while it plays and must know which hits have already been sent."""
    kept = [hit for hit in hits if hit.drum not in controls.lock]
    kept += [hit for hit in locked_source if hit.drum in controls.lock]
    shaped = []
    for hit in sorted(kept, key=lambda h: (h.time, h.drum)):
        if hit.drum in controls.mute:
            continue
        velocity = round(hit.velocity * controls.velocity_scale)
        if velocity < 1:
            continue
        beat = _swung(_quantized(hit.time, controls.quantize, beats_per_bar), controls.swing)
        if controls.humanize_ms:
            spread_beats = controls.humanize_ms / 1000 * bpm / 60
            beat += float(np.clip(rng.normal(0, spread_beats / 2), -spread_beats, spread_beats))
        beat = min(max(beat, 0.0), beats_per_bar - 1e-6)
        shaped.append((hit, Hit(beat, hit.drum, min(velocity, 127))))
    return _one_per_drum_and_moment(shaped)


def split_downbeat(hits: list[Hit]) -> tuple[list[Hit], list[Hit]]:
    """(hits quantize puts on the bar's first 16th, the others): shaped apart, the two parts
    give the same notes as the whole bar (same cells, same order of humanize draws)."""
    downbeat = [hit for hit in hits if hit.time <= DOWNBEAT_CELL_BEATS]
    return downbeat, [hit for hit in hits if hit.time > DOWNBEAT_CELL_BEATS]


def _one_per_drum_and_moment(pairs: list[tuple[Hit, Hit]]) -> list[tuple[Hit, Hit]]:
    """The loudest of notes on one drum that landed at the same moment: quantizing pulls two hits
    of a 16th onto it (the model writes 96 steps a beat), and sent as they are they make a note-on,
    a note-off and a note-on at once (measured in a bench run at quantize 1)."""
    loudest: dict[tuple[float, int], tuple[Hit, Hit]] = {}
    for source, note in pairs:
        key = (round(note.time, 6), note.drum)
        if key not in loudest or note.velocity > loudest[key][1].velocity:
            loudest[key] = (source, note)
    return sorted(loudest.values(), key=lambda pair: (pair[1].time, pair[1].drum))


def _quantized(beat: float, amount: float, beats_per_bar: float = 4.0) -> float:
    """Pull towards the nearest 16th; a hit just before the bar line goes to the bar's last 16th,
    not onto the next bar's downbeat (which belongs to the next bar)."""
    if not amount:
        return beat
    last = beats_per_bar - 1 / SIXTEENTHS_PER_BEAT
    grid = min(round(beat * SIXTEENTHS_PER_BEAT) / SIXTEENTHS_PER_BEAT, last)
    return beat + amount * (grid - beat)


def _swung(beat: float, swing: float) -> float:
    """Warp time inside each eighth note so its off-beat 16th moves towards the triplet position.

    swing 1 puts the second 16th at 2/3 of the eighth (triplet feel); eighths stay put.
    """
    if not swing:
        return beat
    eighth = 0.5
    start = (beat // eighth) * eighth
    x = (beat - start) / eighth  # 0..1 inside the eighth
    middle = 0.5 + swing / 6  # where the off-beat 16th lands
    warped = x * middle / 0.5 if x <= 0.5 else middle + (x - 0.5) * (1 - middle) / 0.5
    return start + warped * eighth
