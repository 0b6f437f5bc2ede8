"""The "MIDI clock looks unreliable" warning: what counts, how often it is said, and that the core says it.

ClockHealth is a plain counter with fake times; the core test plays a MIDI
clock into the engine core (CoreRig, fake time) with ticks held up, and
reads the log, where a user would.
"""

from __future__ import annotations

from bridge.live.clock_health import WARN_AGAIN_S, WAY_OUT, ClockHealth
from tests.live.core_rig import CoreRig


def test_the_first_irregularity_warns_with_the_way_out_and_later_ones_at_most_once_a_minute():
    health = ClockHealth()
    first = health.irregular("a tick came twice", now=10.0)
    assert first is not None and "a tick came twice" in first and WAY_OUT in first and "1 irregular" in first
    assert health.irregular("a long gap between ticks", now=10.0 + WARN_AGAIN_S - 0.1) is None
    again = health.irregular("a long gap between ticks", now=10.0 + WARN_AGAIN_S)
    assert again is not None and "3 irregular so far" in again, "the count goes on while silent"
    assert health.irregular("a tick came twice", now=10.0 + WARN_AGAIN_S + 1.0) is None


def unreliable(rig: CoreRig) -> list[str]:
    return [line for line in rig.logs if "the MIDI clock looks unreliable" in line]


def test_a_held_up_midi_clock_logs_the_warning_once_and_a_steady_one_never():
    rig = CoreRig({"mode": {"kind": "continuous", "listen_bars": 1}})
    rig.play_ticks(96, start=True)
    assert unreliable(rig) == [], "a steady clock is not worth a warning"
    for _hold_up in range(3):  # the clock held up by two intervals, then on at the same tempo
        assert rig.next_tick_time is not None
        rig.next_tick_time += 2 * rig.tick_seconds()
        rig.play_ticks(48)
    warnings = unreliable(rig)
    assert len(warnings) == 1 and WAY_OUT in warnings[0], rig.logs
