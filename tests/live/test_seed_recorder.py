"""Seed capture: note-ons at exact positions, note maps, channels, note-off conventions."""

from __future__ import annotations

from bridge.live.seed_recorder import SeedRecorder
from bridge.music.hits import Hit


def test_note_on_recorded_at_its_sub_tick_position():
    recorder = SeedRecorder()
    assert recorder.feed([0x99, 36, 100], 24.5) == Hit(24.5 / 24, 0, 100)
    assert recorder.hits_between(24, 48) == [Hit(0.5 / 24, 0, 100)]


def test_velocity_zero_and_note_off_are_not_hits():
    recorder = SeedRecorder()
    assert recorder.feed([0x99, 36, 0], 1.0) is None
    assert recorder.feed([0x89, 36, 64], 1.0) is None
    assert recorder.hits == []


def test_input_note_map_and_unknown_pitches():
    recorder = SeedRecorder(note_map={60: 1})
    recorder.feed([0x90, 60, 90], 0.0)
    recorder.feed([0x90, 36, 90], 1.0)
    assert recorder.hits == [(0.0, 1, 90)]
    assert recorder.unknown_pitches == {36: 1}


def test_only_chosen_channels_count():
    recorder = SeedRecorder(channels={9})
    recorder.feed([0x90, 36, 90], 0.0)  # channel 1
    recorder.feed([0x99, 38, 90], 6.0)  # channel 10
    assert [h.drum for h in recorder.hits_between(0, 96)] == [1]


def test_truncated_and_odd_messages_are_ignored():
    recorder = SeedRecorder()
    for message in ([0x99], [0x99, 36], [0xF8], [0xB9, 123, 0], [0x99, 0xFF, 0xFF]):
        recorder.feed(message, 0.0)
    assert recorder.hits == []
    assert recorder.unknown_pitches == {127: 1}  # data bytes are masked to 7 bits; 127 is no drum


def test_window_and_forgetting():
    recorder = SeedRecorder()
    for tick in (0, 30, 96, 150, 200):
        recorder.feed([0x99, 42, 80], float(tick))
    assert [h.time for h in recorder.hits_between(96, 192)] == [0.0, 54 / 24]
    recorder.forget_before(100)
    assert recorder.last_hit_tick() == 200 and len(recorder.hits) == 2
