"""Exporting a session: seed and generated bars written as a MIDI file and read back."""

from __future__ import annotations

import math

import mido
import pytest

from bridge.live.bar_history import BarView
from bridge.midi_io.export import export_midi, select_bars
from bridge.midi_io.midi_files import read_drum_part
from bridge.music.hits import Hit
from bridge.settings.note_maps import load_note_map

KICK, SNARE, HAT, CRASH = 0, 1, 3, 9


def bar(number: int, source: str, *hits: tuple[float, int]) -> BarView:
    return BarView(number, source, tuple(Hit(time, drum, 90 + drum) for time, drum in hits))


SESSION = [
    bar(0, "seed", (0.0, KICK), (1.0, SNARE)),
    bar(1, "seed", (0.0, KICK), (2.5, HAT)),
    bar(2, "generated", (0.0, CRASH)),
    bar(3, "generated", (1.0, SNARE)),
    bar(6, "seed", (0.5, HAT)),  # a second call after two silent bars
    bar(7, "generated", (3.75, KICK)),
    bar(7, "seed", (0.0, HAT)),  # played over the model's bar 7
]


def read_back(path):
    part = read_drum_part(path)
    return part, sorted((hit.time, hit.drum, hit.velocity) for hit in part.hits)


def test_all_bars_back_to_back_at_the_tempo_on_channel_10(tmp_path):
    path = export_midi(tmp_path / "session.mid", SESSION, 96.0)
    part, hits = read_back(path)
    assert path == tmp_path / "session.mid"
    assert part.bpm == pytest.approx(96.0, abs=1e-3) and part.time_signature == (4, 4)
    assert hits == [
        (0.0, KICK, 90), (1.0, SNARE, 91),  # bar 0
        (4.0, KICK, 90), (6.5, HAT, 93),  # bar 1
        (8.0, CRASH, 99),  # bar 2
        (13.0, SNARE, 91),  # bar 3; song bars 4-5 had nothing: closed up
        (16.5, HAT, 93),  # bar 6
        (20.0, HAT, 93), (23.75, KICK, 90),  # bar 7: the seed and the generated bar sounded together
    ]  # fmt: skip
    midi = mido.MidiFile(path)
    channels = {message.channel for message in midi.tracks[0] if message.type in ("note_on", "note_off")}
    assert midi.type == 0 and channels == {9}


def test_the_last_n_generated_bars_with_every_seed_bar(tmp_path):
    _part, hits = read_back(export_midi(tmp_path / "two.mid", SESSION, 120.0, generated_bars=2))
    # Seed bars 0, 1, 6, 7 and generated bars 3 and 7 (bar 2 left out and closed up).
    assert [time for time, _d, _v in hits] == [0.0, 1.0, 4.0, 6.5, 9.0, 12.5, 16.0, 19.75]
    assert [bar.bar for bar in select_bars(SESSION, 0)] == [0, 1, 6, 7]


def test_output_note_map_and_channel(tmp_path):
    ableton = load_note_map("ableton").output_notes
    path = export_midi(tmp_path / "a.mid", SESSION[:1], 120.0, output_notes=ableton, channel=0)
    notes = [(m.channel, m.note) for m in mido.MidiFile(path).tracks[0] if m.type == "note_on" and m.velocity]
    assert notes == [(0, ableton[KICK]), (0, ableton[SNARE])]


@pytest.mark.parametrize(
    "bars, kwargs, message",
    [
        ([], {}, "nothing to export: no bars were heard or generated"),
        ([bar(0, "generated", (0.0, KICK))], {"generated_bars": 0}, "nothing to export: no bars"),
        ([bar(0, "seed"), bar(1, "generated")], {}, "the 2 selected bar(s) have no notes"),
        (SESSION, {"generated_bars": -1}, "generated_bars must be 0 or more"),
    ],
)
def test_an_empty_selection_is_refused_and_nothing_written(tmp_path, bars, kwargs, message):
    target = tmp_path / "empty.mid"
    with pytest.raises(ValueError) as error:
        export_midi(target, bars, 120.0, **kwargs)
    assert message in str(error.value)
    assert not target.exists()


@pytest.mark.parametrize("bpm", [0.0, -120.0, math.nan, math.inf, None])
def test_a_tempo_that_is_not_a_positive_number_is_refused(tmp_path, bpm):
    with pytest.raises(ValueError, match="tempo must be a positive number"):
        export_midi(tmp_path / "x.mid", SESSION, bpm)
