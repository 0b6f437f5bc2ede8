"""The benchmark's yardstick: song positions of recorded clock ticks, and note errors against the grid."""

from __future__ import annotations

import pytest

from bridge.live_session import CLOCK, CONTINUE, SONG_POSITION, START, STOP, analyze, reference_slips, song_ticks

TICK = 0.5 / 24  # 120 BPM


def clock_events(count: int, missing=(), start: float = 0.0, interval: float = TICK):
    return [(start + i * interval, bytes([CLOCK])) for i in range(count) if i not in missing]


def test_ticks_lost_by_the_recorder_are_put_back():
    events = [(-0.01, bytes([START])), *clock_events(60, missing={7, 20, 21, 40})]
    ticks = song_ticks(events)
    assert [position for _when, position in ticks] == list(range(60))
    assert all(when == pytest.approx(position * TICK) for when, position in ticks)


def test_frames_skipped_after_an_overrun_are_not_lost_ticks():
    """Measured in xrun bursts: the dummy driver skips frames, so a gap of 1.72 (or 2.63) ticks
    is followed by exact ones; two ticks bunched in one late cycle do not make the next gap long."""
    skipped = {30: 0.72, 60: 0.63}  # frames skipped before tick 30 and before (lost) tick 60: gaps 1.72, 2.63
    times, time = [], 0.0
    for i in range(90):
        time += (TICK * (1 + skipped.get(i, 0.0))) if i else 0.0
        times.append(time)
    times[75] = times[74] + 0.1 * TICK  # tick 75 came in tick 74's cycle
    events = [(-0.01, bytes([START]))] + [(when, bytes([CLOCK])) for i, when in enumerate(times) if i != 60]
    positions = [position for _when, position in song_ticks(events)]
    assert positions == list(range(90))  # tick 60 lost behind a skip of 0.63: put back, no other


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


def test_a_tick_the_recorder_lost_without_a_gap_is_found_from_the_players_notes():
    """Measured at 174 BPM: an xrun lost a tick of the recording between irregular ticks, with no
    gap long enough to show it.  The player (a tick counter like the bridge) then plays a tick
    later on the recording's count."""
    seed = [(0, 36, 100), (6, 42, 80), (12, 38, 90), (24, 36, 100), (30, 42, 80)]
    times = [i * TICK for i in range(40)]
    times[15] += 0.56 * TICK  # tick 15 late: gaps of 1.56 and (tick 16 lost) 1.44 ticks
    recorded = [when for i, when in enumerate(times) if i != 16]
    events = [(-0.01, bytes([START]))] + [(when, bytes([CLOCK])) for when in recorded]
    played = [(times[tick] + 0.0005, bytes([0x90, note, velocity])) for tick, note, velocity in seed]
    bridge_notes = [(times[tick] + 0.0003, bytes([0x99, 36, 100])) for tick in (18, 36)]
    events = sorted(events + played + bridge_notes, key=lambda event: event[0])
    uncorrected = analyze(events).errors_ms  # on the recording's own count, right notes look a tick early
    assert uncorrected == [pytest.approx(0.3 - TICK * 1000), pytest.approx(0.3 - TICK * 1000)]
    slips = reference_slips(events, seed)
    assert [offset for _when, offset in slips] == [1]
    result = analyze(events, slips=slips)
    assert result.grid_ticks == [18, 36]
    assert result.errors_ms == [pytest.approx(0.3), pytest.approx(0.3)]


def test_no_slip_where_the_player_agrees_and_a_lost_player_note_shifts_nothing():
    seed = [(0, 36, 100), (6, 42, 80), (12, 38, 90), (18, 42, 80)]
    events = [(-0.01, bytes([START])), *clock_events(30)]
    events += [(tick * TICK + 0.0005, bytes([0x90, note, velocity])) for tick, note, velocity in seed if tick != 6]
    assert reference_slips(sorted(events, key=lambda event: event[0]), seed) == []
