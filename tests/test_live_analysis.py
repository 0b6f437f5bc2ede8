"""The benchmark's yardstick: song positions of recorded clock ticks, and note errors against the grid."""

from __future__ import annotations

import pytest

from bridge.live_session import CLOCK, CONTINUE, SONG_POSITION, START, STOP, analyze, song_ticks

TICK = 0.5 / 24  # 120 BPM


def clock_events(count: int, missing=(), start: float = 0.0, interval: float = TICK):
    return [(start + i * interval, bytes([CLOCK])) for i in range(count) if i not in missing]


def test_ticks_lost_by_the_recorder_are_put_back():
    events = [(-0.01, bytes([START])), *clock_events(60, missing={7, 20, 21, 40})]
    ticks = song_ticks(events)
    assert [position for _when, position in ticks] == list(range(60))
    assert all(when == pytest.approx(position * TICK) for when, position in ticks)


def test_a_pause_is_not_lost_ticks_and_transport_messages_move_the_song():
    events = [(-0.01, bytes([START])), *clock_events(10)]
    events += clock_events(5, start=10 * TICK + 1.0)  # the clock paused for a second without Stop
    events += [(2.0, bytes([STOP])), (2.01, bytes([SONG_POSITION, 16, 0])), (2.02, bytes([CONTINUE]))]
    events += clock_events(3, start=2.1)
    assert [position for _when, position in song_ticks(events)] == [*range(15), 96, 97, 98]


def test_note_errors_are_measured_against_the_reconstructed_grid():
    events = [(-0.01, bytes([START])), *clock_events(30, missing={3, 4, 12})]
    events += [(12 * TICK + 0.001, bytes([0x99, 36, 100])), (13 * TICK, bytes([0x89, 36, 0]))]
    result = analyze(sorted(events, key=lambda event: event[0]))
    assert result.errors_ms == [pytest.approx(1.0)]
    assert result.grid_ticks == [12]
    assert result.unmatched_note_ons == 0
