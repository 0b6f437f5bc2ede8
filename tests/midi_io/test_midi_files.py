"""Reading drum parts from MIDI files and writing playable MIDI back."""

from __future__ import annotations

import mido
import pytest

from bridge.midi_io.midi_files import MidiFileError, read_drum_part, write_drum_midi
from bridge.music.hits import Hit
from tests.conftest import simple_groove, write_midi


def test_reads_hits_tempo_signature_and_bar_lines(tmp_path):
    part = read_drum_part(write_midi(tmp_path / "g.mid", simple_groove(2), tempo_bpm=93))
    assert part.bpm == pytest.approx(93, abs=1e-3)
    assert part.time_signature == (4, 4)
    assert part.bar_lines == [0.0, 4.0, 8.0]
    assert len(part.hits) == 24
    assert part.hits[0] == Hit(0.0, 0, 100)


def test_missing_tempo_defaults_to_120(tmp_path):
    part = read_drum_part(write_midi(tmp_path / "g.mid", simple_groove(1), tempo_bpm=None, signature=None))
    assert (part.bpm, part.time_signature, part.had_tempo) == (120.0, (4, 4), False)


def test_three_four_bars(tmp_path):
    part = read_drum_part(write_midi(tmp_path / "w.mid", simple_groove(2, 3), signature=(3, 4)))
    assert part.bar_lines == [0.0, 3.0, 6.0]


def test_unknown_pitches_are_counted_not_dropped_silently(tmp_path):
    part = read_drum_part(write_midi(tmp_path / "g.mid", simple_groove(1) + [(0.5, 60, 90), (1.5, 60, 90)]))
    assert part.unknown_pitches == {60: 2}


def test_drums_on_another_channel_are_read(tmp_path):
    part = read_drum_part(write_midi(tmp_path / "ch1.mid", simple_groove(1), channel=0))
    assert len(part.hits) == 12


@pytest.mark.parametrize(
    "content, message",
    [
        (b"this is not midi at all", "not a readable MIDI file"),
        (b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x40\x00\x90", "not a readable MIDI file"),
        (b"", "ends too early"),
        (b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\xe7\x28MTrk\x00\x00\x00\x04\x00\xff\x2f\x00", "SMPTE time-code"),
    ],
)
def test_bad_files_raise_a_readable_error(tmp_path, content, message):
    path = tmp_path / "bad.mid"
    path.write_bytes(content)
    with pytest.raises(MidiFileError, match=message):
        read_drum_part(path)


def test_file_without_drums(tmp_path):
    with pytest.raises(MidiFileError, match="no drum notes"):
        read_drum_part(write_midi(tmp_path / "keys.mid", [(0, 60, 90), (1, 64, 90)], channel=0))


def test_missing_file(tmp_path):
    with pytest.raises(MidiFileError, match="no such file"):
        read_drum_part(tmp_path / "nope.mid")


def test_written_file_round_trips_with_note_offs(tmp_path):
    hits = [Hit(0.0, 0, 100), Hit(0.0, 3, 70), Hit(0.5, 3, 60), Hit(0.55, 3, 65), Hit(1.0, 1, 110)]
    path = tmp_path / "out" / "x.mid"
    write_drum_midi(path, hits, 97.0, (4, 4), channel=9)
    midi = mido.MidiFile(path)
    notes = [m for m in midi.tracks[0] if m.type in ("note_on", "note_off")]
    assert {m.channel for m in notes} == {9}
    sounding: dict[int, int] = {}
    for message in notes:
        if message.type == "note_on" and message.velocity:
            assert message.note not in sounding, "note-on while the same note still sounds"
            sounding[message.note] = 1
        else:
            sounding.pop(message.note)
    assert sounding == {}
    back = read_drum_part(path)
    assert [(round(h.time, 3), h.drum, h.velocity) for h in back.hits] == [
        (round(h.time, 3), h.drum, h.velocity) for h in hits
    ]
    assert back.bpm == pytest.approx(97.0, abs=1e-3)
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_absurdly_long_file_is_refused_quickly(tmp_path):
    path = write_midi(tmp_path / "long.mid", [(0, 36, 100), (5_000_000, 38, 100)])
    with pytest.raises(MidiFileError, match="refused"):
        read_drum_part(path)
