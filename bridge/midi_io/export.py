"""Export a live session as a MIDI file: the seed bars you played and the bars the model generated.

The bars come from Engine.history() (BarView: song bar, "seed" or
"generated", the hits as sent).  The file is written by the same code as
`beatgen generate` (midi_files.write_drum_midi): type 0, 4/4, General MIDI
drum notes on channel 10 by default, so it drops onto a DAW's drum track.

Layout: the selected bars in song order, back to back.  A seed bar and a
generated bar of the same song bar (you played over the model in
continuous mode) are merged into one bar, as they sounded.  Song bars with
nothing selected (bars of silence while the bridge listened, generated
bars left out by `generated_bars`) are closed up, so the file starts on
the first bar with something in it and has no empty stretches.
"""

from __future__ import annotations

import math
from pathlib import Path

from bridge.live.bar_history import GENERATED, SEED, BarView
from bridge.midi_io.midi_files import GM_DRUM_CHANNEL, write_drum_midi
from bridge.music.drums import GM_OUTPUT_NOTES
from bridge.music.hits import Hit

BEATS_PER_BAR = 4  # the bridge plays 4/4 (engine.py)


def select_bars(bars: list[BarView], generated_bars: int | None = None) -> list[BarView]:
    """Every seed bar plus the last `generated_bars` generated bars (all when None), in song order."""
    if generated_bars is not None and generated_bars < 0:
        raise ValueError(f"generated_bars must be 0 or more, got {generated_bars}")
    generated = sorted((bar for bar in bars if bar.source == GENERATED), key=lambda bar: bar.bar)
    if generated_bars is not None:
        generated = generated[len(generated) - generated_bars :] if generated_bars else []
    seed = [bar for bar in bars if bar.source == SEED]
    return sorted(seed + generated, key=lambda bar: (bar.bar, bar.source != SEED))


def export_midi(
    path: Path,
    bars: list[BarView],
    bpm: float,
    generated_bars: int | None = None,
    output_notes: tuple[int, ...] = GM_OUTPUT_NOTES,
    channel: int = GM_DRUM_CHANNEL,
) -> Path:
    """Write the seed bars and the last `generated_bars` generated bars (all when None) to `path` at `bpm`.

    ValueError when there is nothing to write (no bars, or none with a note)
    or the tempo is not a positive number, and MidiFileError (a ValueError)
    when `path` is a link, a folder or a device: write_drum_midi replaces
    only regular files, atomically.  Returns the path written.
    """
    if not (isinstance(bpm, (int, float)) and math.isfinite(bpm) and bpm > 0):
        raise ValueError(f"cannot export at {bpm!r} BPM: the tempo must be a positive number")
    selected = select_bars(bars, generated_bars)
    if not selected:
        raise ValueError("nothing to export: no bars were heard or generated since the last Start")
    slots = {song_bar: index for index, song_bar in enumerate(sorted({bar.bar for bar in selected}))}
    hits = [
        Hit(slots[bar.bar] * BEATS_PER_BAR + hit.time, hit.drum, hit.velocity) for bar in selected for hit in bar.hits
    ]
    if not hits:
        raise ValueError(f"nothing to export: the {len(slots)} selected bar(s) have no notes")
    path = Path(path)
    write_drum_midi(path, hits, bpm, (BEATS_PER_BAR, 4), channel, output_notes=output_notes)
    return path
