"""Clock following: transport messages, song position, tempo estimate, jitter, pauses and stalls."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.live.clock import CLOCK, CONTINUE, MAX_BPM, SONG_POSITION, START, STOP, TICKS_PER_BEAT, ClockTracker


def ticks(tracker: ClockTracker, count: int, bpm: float, start: float, jitter: float = 0.0, seed: int = 0) -> float:
    """Feed `count` clock ticks at `bpm` from time `start`; returns the time of the next tick."""
    interval = 60.0 / (bpm * TICKS_PER_BEAT)
    rng = np.random.default_rng(seed)
    for index in range(count):
        tracker.feed([CLOCK], start + index * interval + rng.uniform(-jitter, jitter))
    return start + count * interval


def running(count: int, bpm: float = 120.0) -> tuple[ClockTracker, float]:
    """A clock after Start and `count` ticks; returns it with the time of the next tick."""
    clock = ClockTracker()
    clock.feed([START], 0.0)
    return clock, ticks(clock, count, bpm, 0.0)


def test_start_makes_the_next_tick_zero():
    clock = ClockTracker()
    clock.feed([START], 0.0)
    ticks(clock, 1, 120, 0.0)
    assert clock.position == 0
    ticks(clock, 47, 120, 0.02)
    assert clock.position == 47


def test_ticks_before_start_do_not_move_the_song():
    clock = ClockTracker()
    ticks(clock, 30, 120, 0.0)
    assert (clock.running, clock.position) == (False, -1)
    assert clock.bpm == pytest.approx(120)


def test_tempo_from_steady_clock():
    clock = ClockTracker()
    clock.feed([START], 0.0)
    ticks(clock, 50, 93.0, 0.0)
    assert clock.bpm == pytest.approx(93.0, rel=1e-9)


def test_tempo_with_jitter_stays_close():
    clock = ClockTracker()
    clock.feed([START], 0.0)
    ticks(clock, 200, 128.0, 0.0, jitter=0.001)  # +-1 ms on a 19.5 ms tick
    assert clock.bpm == pytest.approx(128.0, rel=0.01)


def test_tempo_change_is_followed_within_a_beat():
    clock, t = running(48)
    ticks(clock, TICKS_PER_BEAT + 1, 140.0, t)
    assert clock.bpm == pytest.approx(140.0, rel=1e-6)


@pytest.mark.parametrize("bunched", [2, 3, 6, 10])
def test_a_clock_that_starts_with_a_burst_offers_no_tempo_faster_than_max_bpm(bunched):
    """The first ticks delivered in one batch (a late client, a driver's first period): a tempo from
    their 0.02 ms intervals would put every bar line at once (see ClockTracker.tick_interval)."""
    clock = ClockTracker()
    clock.feed([START], 0.0)
    interval = 60.0 / (240.0 * TICKS_PER_BEAT)
    arrival = (bunched - 1) * interval
    for index in range(bunched + 40):
        clock.feed([CLOCK], max(index * interval, arrival + index * 0.00002))
        assert clock.tick_interval is None or 60.0 / (clock.tick_interval * TICKS_PER_BEAT) <= MAX_BPM
        assert clock.bpm is None or clock.bpm <= MAX_BPM
    assert clock.bpm == pytest.approx(240.0, rel=1e-6), "once a beat of ticks has come on time, the tempo is exact"


@pytest.mark.parametrize(
    "lsb, msb, expected_tick",
    [(16, 0, 96), (0x05, 0x02, (2 * 128 + 5) * 6)],  # bar 2 of 4/4; a position needing both data bytes
)
def test_song_position_then_continue(lsb, msb, expected_tick):
    clock = ClockTracker()
    clock.feed([SONG_POSITION, lsb, msb], 0.0)
    clock.feed([CONTINUE], 0.0)
    ticks(clock, 1, 120, 0.0)
    assert clock.position == expected_tick


def test_stop_keeps_position_and_continue_resumes():
    clock, t = running(30)
    clock.feed([STOP], t)
    t = ticks(clock, 10, 120, t)  # clock keeps running while stopped (as many DAWs do)
    assert clock.position == 29 and not clock.running
    clock.feed([CONTINUE], t)
    ticks(clock, 2, 120, t)
    assert clock.position == 31


def test_start_without_stop_restarts_from_zero():
    clock, t = running(50)
    clock.feed([START], t)
    ticks(clock, 1, 120, t)
    assert clock.position == 0


def test_a_pause_does_not_drag_the_tempo():
    clock, t = running(48)
    ticks(clock, 3, 120.0, t + 2.0)  # two seconds of silence, then the same tempo
    assert clock.bpm == pytest.approx(120.0)


def test_stalled_clock_is_detected():
    clock, t = running(48)
    assert not clock.stalled(t)
    assert clock.stalled(t + 0.6)  # more than a beat (0.5 s) without a tick
    clock.feed([STOP], t + 0.6)
    assert not clock.stalled(t + 5.0)


def test_position_between_ticks_has_a_sub_tick_fraction():
    clock = ClockTracker()
    clock.feed([START], 0.0)
    ticks(clock, 25, 120.0, 0.0)  # tick 24 (beat 1) at 0.5 s; a tick lasts 1/48 s
    assert clock.position_at(0.5 + 0.25 / 48) == pytest.approx(24.25)
    assert clock.position_at(0.5 + 3.0 / 48) == pytest.approx(24.999)  # capped before the next tick


def test_garbage_status_bytes_change_nothing():
    clock = ClockTracker()
    clock.feed([START], 0.0)
    ticks(clock, 5, 120, 0.0)
    for message in ([0xF4], [0xF9], [SONG_POSITION], [0x90, 36, 100]):
        assert clock.feed(message, 0.2) is None
    assert clock.position == 4 and clock.running


def feed_times(clock: ClockTracker, times) -> None:
    for time in times:
        clock.feed([CLOCK], time)


TICK = 60.0 / (120 * TICKS_PER_BEAT)


def test_a_missing_tick_is_not_invented_and_the_line_follows_the_ticks_that_came():
    """No tick is inferred as lost (see bridge/clock.py: overruns hold the clock up by whole
    intervals far more often than they lose a tick, and the two look the same)."""
    clock = ClockTracker()
    clock.feed([START], 0.0)
    times = [i * TICK for i in range(48) if i not in (30, 40, 41)]
    feed_times(clock, times)
    assert (clock.position, clock.delays) == (44, 2)
    assert clock.time_of(45) == pytest.approx(48 * TICK, abs=1e-6)  # the next tick, where it will come
    assert clock.bpm == pytest.approx(120, rel=1e-6)


def test_a_late_tick_delivered_with_the_next_is_not_a_loss():
    clock = ClockTracker()
    clock.feed([START], 0.0)
    late = 0.7 * TICK  # tick 30 handed over with tick 31, in one batch
    feed_times(clock, [i * TICK + (late if i == 30 else 0.0) for i in range(30)])
    feed_times(clock, [31 * TICK, 31 * TICK])
    assert clock.position == 31
    feed_times(clock, [i * TICK for i in range(32, 48)])
    assert (clock.position, clock.delays) == (47, 0)


@pytest.mark.parametrize("bpm", [90, 120, 174])
@pytest.mark.parametrize("period_frames", [64, 256, 1024, 2048])
def test_ticks_delivered_in_audio_period_batches_count_exactly(bpm, period_frames):
    """Drivers stamp every tick with the start of the period that delivers it."""
    period = period_frames / 48000
    interval = 60.0 / (bpm * TICKS_PER_BEAT)
    clock = ClockTracker(input_period=period)  # known: two ticks of one period are no copy
    clock.feed([START], 0.0)
    feed_times(clock, [np.ceil(i * interval / period) * period for i in range(200)])
    assert (clock.position, clock.repeats) == (199, 0)
    assert clock.bpm == pytest.approx(bpm, rel=0.03)


@pytest.mark.parametrize("new_bpm", [90, 160])
def test_a_sudden_tempo_change_is_not_taken_for_a_hold_up(new_bpm):
    clock, next_time = running(48, 120)
    ticks(clock, 48, new_bpm, next_time)
    assert (clock.position, clock.delays) == (95, 0)
    assert clock.bpm == pytest.approx(new_bpm, rel=1e-3)


@pytest.mark.parametrize("delay_ticks", [0.95, 1.0, 1.3, 1.7, 1.8, 2.0, 2.05, 2.35])
@pytest.mark.parametrize("bpm", [90, 120, 174])
def test_a_clock_held_up_as_a_whole_is_a_delay_not_lost_ticks(delay_ticks, bpm):
    """The audio server stalled (measured: jackd stopped for 20 ms at 174 BPM, 64 frames, and
    natural xrun bursts): one tick comes 1.95 to 3.05 intervals after the last, then the stream
    goes on at the old tempo, later.  Counting that as lost ticks put every later note a tick early."""
    period, interval = 64 / 48000, 60.0 / (bpm * TICKS_PER_BEAT)
    clock = ClockTracker()
    clock.feed([START], 0.0)
    times = [i * interval + (delay_ticks * interval if i >= 70 else 0.0) for i in range(120)]
    feed_times(clock, [np.ceil(t / period) * period for t in times])
    assert (clock.position, clock.delays) == (119, 1)
    assert clock.bpm == pytest.approx(bpm, rel=0.01)
    assert clock.time_of(120) == pytest.approx(times[-1] + interval, abs=period)


@pytest.mark.parametrize("bpm", [90, 120, 174])
def test_a_clock_held_up_bit_by_bit_is_re_anchored_within_a_few_ticks(bpm):
    """Measured in an xrun burst: intervals of 1.14 and 1.26 ticks, then the old tempo, 0.4 tick
    later.  No interval is long enough to judge on its own; three ticks off the line by one
    and the same offset are."""
    period, interval = 64 / 48000, 60.0 / (bpm * TICKS_PER_BEAT)
    lag = {70: 0.14, 71: 0.40}
    times = [i * interval + lag.get(i, 0.40 if i > 71 else 0.0) * interval for i in range(120)]
    clock = ClockTracker()
    clock.feed([START], 0.0)
    stamps = [np.ceil(t / period) * period for t in times]  # each tick stamped when its period is delivered
    feed_times(clock, stamps[:75])
    assert (clock.position, clock.delays) == (74, 1)
    assert clock.time_of(75) == pytest.approx(stamps[75], abs=period)
    feed_times(clock, stamps[75:])
    assert clock.time_of(120) == pytest.approx(times[-1] + interval, abs=period)
    assert clock.bpm == pytest.approx(bpm, rel=0.01)


@pytest.mark.parametrize("end_bpm", [110, 125, 140])
def test_a_tempo_ramp_is_followed_not_taken_for_hold_ups(end_bpm):
    """Tempo automation: 120 BPM ramping to end_bpm over four beats, 64-frame periods."""
    period, clock = 64 / 48000, ClockTracker()
    clock.feed([START], 0.0)
    times, time = [], 0.0
    for i in range(240):
        bpm = 120 + (end_bpm - 120) * min(max(i - 48, 0) / 96, 1.0)
        times.append(time)
        time += 60.0 / (bpm * TICKS_PER_BEAT)
    feed_times(clock, [np.ceil(t / period) * period for t in times])
    assert clock.position == 239
    assert clock.bpm == pytest.approx(end_bpm, rel=0.01)
    assert clock.time_of(240) == pytest.approx(time, abs=period)


def test_with_period_jitter_near_a_fifth_of_a_tick_ticks_are_just_counted():
    """256 frames at 150 BPM: a 36 % slower tempo plus a period of jitter would look like a lost tick."""
    period, clock = 256 / 48000, ClockTracker()
    clock.feed([START], 0.0)
    fast, slow = 60.0 / (150 * TICKS_PER_BEAT), 60.0 / (110 * TICKS_PER_BEAT)
    times = [i * fast for i in range(96)] + [96 * fast + i * slow for i in range(1, 97)]
    feed_times(clock, [np.ceil(t / period) * period for t in times])
    assert (clock.position, clock.delays) == (191, 0)


@pytest.mark.parametrize("new_bpm", [70, 100, 280])
def test_a_tempo_jump_at_64_frames_is_not_a_hold_up_even_halving(new_bpm):
    period = 64 / 48000
    clock = ClockTracker(input_period=period)
    clock.feed([START], 0.0)
    old, new = 60.0 / (140 * TICKS_PER_BEAT), 60.0 / (new_bpm * TICKS_PER_BEAT)
    times = [i * old for i in range(96)] + [95 * old + i * new for i in range(1, 97)]
    feed_times(clock, [np.ceil(t / period) * period for t in times])
    assert (clock.position, clock.delays, clock.repeats) == (191, 0, 0)
    assert clock.bpm == pytest.approx(new_bpm, rel=0.02)


def test_notes_may_go_a_tick_ahead_only_while_ticks_arrive_on_the_line():
    clock, next_time = running(48, 120)
    assert clock.sending_limit() == pytest.approx(47 + 1.25)
    ticks(clock, 3, 90, next_time)  # slower from tick 48: 49 and 50 arrive later and later than the line says
    assert clock.sending_limit() == pytest.approx(50 + 0.25)


def test_after_a_long_interval_notes_wait_for_the_next_tick_to_settle_the_phase():
    clock = ClockTracker()
    clock.feed([START], 0.0)
    feed_times(clock, [i * TICK for i in range(30)])
    clock.feed([CLOCK], 31 * TICK)  # two intervals: held up, or the tempo changed; the next tick tells
    assert clock.position == 30
    assert clock.sending_limit() == pytest.approx(30 + 0.25)
    clock.feed([CLOCK], 32 * TICK)  # the same tempo: held up by a tick, the line re-anchored
    assert (clock.position, clock.delays) == (31, 1)
    assert clock.sending_limit() == pytest.approx(31 + 1.25)


def test_a_stream_delayed_by_a_tick_that_catches_up_is_not_a_loss():
    clock = ClockTracker()
    clock.feed([START], 0.0)
    delayed = range(30, 36)  # a starved client: ticks 30-35 each come a tick late, then 36 with 35
    feed_times(clock, [i * TICK + (TICK if i in delayed else 0.0) for i in range(48)])
    assert clock.position == 47
    assert clock.time_of(48) == pytest.approx(48 * TICK, abs=1e-4)


@pytest.mark.parametrize(
    "bpm, lags",
    [
        (110, {70: 1.88, "after": 2.92}),  # intervals 2.88 then 2.04: held up twice over (the server stalled)
        (110, {70: 1.49, 71: 0.77, "after": 0.77}),  # 2.49 then 0.28: a hold-up of 0.77 behind a later stamp
        (150, {70: 2.86, 71: 1.87, 72: 0.88, "after": 0.68}),  # 3.86 then a batch: a hold-up of 0.68 behind it
        (110, {70: 0.95, "after": 0.95}),  # 1.95 then 1.0: one hold-up (as before)
        (110, {70: 0.9, "after": 0.0}),  # 1.9 then 0.1: one late tick, handed over with the next
    ],
)
@pytest.mark.parametrize("period_frames", [64, 256])
def test_the_ticks_after_a_long_interval_tell_a_hold_up_by_their_distance_from_the_line(bpm, lags, period_frames):
    """Measured on JACK (256 frames, a loaded machine), the bridge's stamps against a frame-time
    recording: the first case restarted the estimate (91.9 BPM for a beat, notes a tick late);
    the second and third took the bunched tick after the long interval for the verdict (notes
    most of a tick early, or late)."""
    assert_predictions_hold_after(bpm, lags, period_frames)
    assert_predictions_hold_after(bpm, lags, period_frames, period_known=True)


def test_a_server_stall_just_under_one_and_a_half_ticks_is_caught_where_the_period_is_known():
    """Measured at 174 BPM, 64 frames, by a client logging its stamps next to the frame-time recording:
    the server stalled 6 ms, then 3 ms more over three ticks (intervals 1.46, 1.03, 1.15).  With long
    intervals judged from 1.5 only, the bridge's notes for the next ticks went 5.7 ms early until three
    ticks off the line re-anchored it."""
    lags = {70: 0.43, 71: 0.46, 72: 0.61, 73: 0.64, "after": 0.66}
    assert_predictions_hold_after(174, lags, 64, period_known=True)
    with pytest.raises(AssertionError):  # judged from 1.5, as where the period is unknown
        assert_predictions_hold_after(174, lags, 64)


@pytest.mark.parametrize("bpm", [110, 150])
def test_at_256_frames_intervals_of_four_periods_are_no_hold_ups_where_the_period_is_known(bpm):
    """Judging long intervals from 1.3 regardless of the period failed CI: at 150 BPM and 256
    frames, intervals of four periods (1.28 ticks) passed for hold-ups, the tempo stuck at 156."""
    period = 256 / 48000
    interval = 60.0 / (bpm * TICKS_PER_BEAT)
    clock = ClockTracker(input_period=period)
    clock.feed([START], 0.0)
    feed_times(clock, [np.ceil(i * interval / period) * period + 0.0003 * (i % 3) for i in range(300)])
    assert (clock.position, clock.delays) == (299, 0)
    assert clock.bpm == pytest.approx(bpm, rel=0.01)


def assert_predictions_hold_after(bpm: float, lags: dict, period_frames: int, period_known: bool = False) -> None:
    """Ticks stamped per audio period, each `lags[i]` intervals late (`lags["after"]` from then on):
    from the second tick after the last irregular one, every prediction of the next tick holds."""
    period = period_frames / 48000
    interval = 60.0 / (bpm * TICKS_PER_BEAT)
    clock = ClockTracker(input_period=period if period_known else None)
    clock.feed([START], 0.0)
    times = [i * interval + lags.get(i, lags["after"] if i > 70 else 0.0) * interval for i in range(100)]
    stamps = [np.ceil(t / period) * period for t in times]
    settled = max(position for position in lags if position != "after") + 2  # the second tick after the batch
    for position, stamp in enumerate(stamps[:-1]):
        clock.feed([CLOCK], stamp)
        if position >= settled:  # from then on every prediction holds
            assert clock.time_of(position + 1) == pytest.approx(times[position + 1], abs=period + 0.001), position
            assert clock.bpm == pytest.approx(bpm, rel=0.06), position
    assert clock.delays >= (1 if lags["after"] else 0)


def test_every_long_interval_of_a_running_clock_is_counted_for_the_log_but_not_the_first_after_continue():
    clock = ClockTracker()
    clock.feed([START], 0.0)
    times = [i * TICK for i in range(30)] + [(i + 1.6) * TICK for i in range(30, 40)]  # held up by 1.6 ticks
    feed_times(clock, times)
    assert clock.gaps == 1 and clock.last_gap[0] == 30 and clock.last_gap[1] == pytest.approx(2.6, abs=0.01)
    clock.feed([STOP], 40 * TICK)
    clock.feed([CONTINUE], 50 * TICK)
    feed_times(clock, [i * TICK for i in range(60, 70)])  # a second's pause across Stop/Continue is no gap
    assert clock.gaps == 1


def jack_stamps(times: list[float], period: float, late_cycles: dict[int, float]) -> list[float]:
    """Wall-clock stamps of ticks as the bridge's JACK input gets them (the start of the period that
    delivers each), with a copy of each tick in late_cycles {index: seconds after its twin}: a
    client whose callback for one cycle runs after the clock wrote the next gets that cycle's
    events in both callbacks (measured with a libjack probe, docs/live.md)."""
    stamps = []
    for index, time in enumerate(times):
        stamps.append(np.ceil(time / period) * period)
        if index in late_cycles:
            stamps.append(stamps[-1] + late_cycles[index])
    return stamps


@pytest.mark.parametrize("bpm", [90, 150, 174])
@pytest.mark.parametrize("period_frames", [64, 256])
def test_a_tick_a_late_jack_client_got_twice_is_counted_once(bpm, period_frames):
    """A fresh-clone CI run failed on it: the bridge counted one tick more than the clock sent, and
    every later note went 13-15 ms early."""
    period = period_frames / 48000
    interval = 60.0 / (bpm * TICKS_PER_BEAT)
    times = [i * interval for i in range(201)]
    clock = ClockTracker(input_period=period)
    clock.feed([START], 0.0)
    for index, stamp in enumerate(jack_stamps(times[:200], period, {60: 20e-6, 130: period})):
        clock.feed([CLOCK], stamp)
        if index > 70:  # the copy itself included: it changes nothing
            assert clock.time_of(clock.position + 1) == pytest.approx(times[clock.position + 1], abs=period + 0.001)
    assert (clock.position, clock.repeats, clock.delays) == (199, 2, 0)


def test_without_the_backends_period_a_copy_cannot_be_told_and_is_counted():
    """Two ticks microseconds apart are also two ticks of one long period (1024 frames at 120 BPM)."""
    clock = ClockTracker()
    clock.feed([START], 0.0)
    feed_times(clock, jack_stamps([i * TICK for i in range(100)], 64 / 48000, {60: 20e-6}))
    assert (clock.position, clock.repeats) == (100, 0)


def test_a_clock_three_times_as_fast_at_once_is_not_taken_for_copies():
    period = 64 / 48000
    clock = ClockTracker(input_period=period)
    clock.feed([START], 0.0)
    slow, fast = 60.0 / (80 * TICKS_PER_BEAT), 60.0 / (240 * TICKS_PER_BEAT)
    times = [i * slow for i in range(96)] + [95 * slow + i * fast for i in range(1, 97)]
    feed_times(clock, [np.ceil(t / period) * period for t in times])
    assert (clock.position, clock.repeats) == (191, 0)
    assert clock.bpm == pytest.approx(240, rel=0.02)


def _running_at(bpm: float, ticks: int = 48) -> tuple[ClockTracker, float]:
    clock, interval = ClockTracker(), 60.0 / (bpm * TICKS_PER_BEAT)
    clock.feed([START], 0.0)
    for tick in range(ticks):
        clock.feed([CLOCK], 0.01 + tick * interval)
    return clock, 0.01 + (ticks - 1) * interval


def test_a_fast_clock_gets_a_quarter_second_before_it_counts_as_stalled():
    """MIN_STALL_SECONDS: at 300 BPM a beat is 0.2 s, shorter than the hold-ups a loaded audio
    server gives; the floor keeps those from silencing the song."""
    clock, last = _running_at(300.0)
    assert not clock.stalled(last + 0.22), "a beat and a bit at 300 BPM: not yet"
    assert clock.stalled(last + 0.26)


def test_a_clock_slower_than_min_bpm_offers_no_tempo():
    """MIN_BPM: ticks this far apart are a clock dying away, not a tempo to show or send by."""
    clock, _last = _running_at(15.0, ticks=30)
    assert clock.bpm is None
    clock, _last = _running_at(25.0, ticks=30)
    assert clock.bpm == pytest.approx(25.0, rel=0.01)
