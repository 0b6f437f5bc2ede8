"""The clock sources: our own clock ticks at computed times, and which clock the engine follows."""

from __future__ import annotations

import pytest

from bridge.live.clock import CLOCK, START
from bridge.live.events import Log, Outbox
from bridge.live.transport import InternalClock, Transport


def test_the_internal_clock_ticks_at_start_plus_n_intervals_and_never_drifts():
    clock = InternalClock(bpm=133.0, start=10.0)
    interval = 60.0 / (133.0 * 24)
    times = clock.ticks_due(10.0 + 3600.0)  # an hour of ticks, taken all at once
    assert len(times) == 191_521  # 0 .. 3600 s at 53.2 ticks a second, plus tick 0
    assert times[-1] == 10.0 + 191_520 * interval  # computed from the count, not summed
    assert times == sorted(times) and times[0] == 10.0


def test_a_tempo_change_keeps_the_next_tick_and_spaces_the_rest_by_the_new_tempo():
    clock = InternalClock(bpm=120.0, start=0.0)
    clock.ticks_due(0.5)  # ticks 0..24 (one beat), the next is due at 25 intervals
    next_tick = clock.next_tick()
    clock.set_bpm(60.0)
    assert clock.next_tick() == next_tick
    assert clock.ticks_due(next_tick + 2 * 60.0 / (60.0 * 24)) == pytest.approx(
        [next_tick, next_tick + 1 / 24, next_tick + 2 / 24]
    )


def logs(out: Outbox) -> list[str]:
    return [action.line for action in out.take() if isinstance(action, Log)]


def test_auto_runs_its_own_clock_until_the_daws_comes_then_follows_it_for_good():
    out = Outbox()
    transport = Transport("auto", None, 120.0, out)
    assert transport.start(now=0.0) and transport.kind == "internal"
    transport.advance(1.0)
    assert transport.clock.position == 48  # ticks 0..48 at 120 BPM: position counts from -1
    transport.follow_external()
    assert transport.kind == "external" and transport.next_tick() is None
    assert transport.feed_external([START], 1.1) == "start"
    transport.feed_external([CLOCK], 1.12)
    assert transport.clock.position == 0
    assert "MIDI clock arrived: following it instead of the internal clock" in logs(out)
    assert transport.switch("auto", 2.0) is None, "auto stays with the DAW's clock once it came"


def test_a_clock_given_at_start_wins_over_every_presets_source():
    out = Outbox()
    transport = Transport("external", "internal", 90.0, out)
    assert transport.source == "internal" and transport.start(now=0.0)
    assert transport.switch("external", 1.0) is None and transport.kind == "internal"


def test_switching_to_external_waits_for_the_daw_and_back_to_internal_restarts_our_clock():
    out = Outbox()
    transport = Transport("internal", None, 120.0, out)
    transport.start(now=0.0)
    assert transport.switch("external", 1.0) == "external"
    assert transport.kind == "external" and not transport.clock.running
    assert transport.switch("internal", 2.0) == "internal"
    assert transport.kind == "internal" and transport.next_tick() == 2.0
    assert logs(out)[-1] == "internal clock at 120 BPM"


def test_a_stalled_clock_is_reported_once_and_its_return_is_back():
    out = Outbox()
    transport = Transport("external", None, 120.0, out)
    transport.feed_external([START], 0.0)
    for tick in range(30):
        transport.feed_external([CLOCK], 0.01 + tick * 0.0208)
    assert transport.playing
    assert transport.check_stall(2.0) and not transport.playing
    assert not transport.check_stall(2.5), "reported once"
    assert transport.feed_external([CLOCK], 2.6) == "back" and transport.playing
