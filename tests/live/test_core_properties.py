"""The engine core over arbitrary event orders (Hypothesis): nothing raises, nothing is left sounding.

Each example is a random performance: clock ticks at changing tempos, Start,
Stop, Continue and Song Position Pointer in any order, clock storms and
pauses, random and valid MIDI bytes, every command (panic, presets with
other modes, channels and clock sources, controls with offsets, thru, mute
and lock), and worker results delivered late, twice or never.  After every
step: no exception, no note-on for a note already sounding, nothing sent
before it is due, no deadline in the past (the shell's thread would spin);
after Stop, panic and close nothing sounds.  2,000 sequences in all (slow layer).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.live.events import (
    ApplyPreset,
    Arm,
    Listen,
    Panic,
    Redo,
    SetBpm,
    SetControls,
    Trigger,
    Undo,
)
from bridge.live.settings import LiveSettings
from bridge.settings.controls import Controls
from tests.live.core_rig import CLOCK, CONTINUE, SPP, START, STOP, CoreRig, EchoWorker, preset

PRESETS = [
    {"mode": {"kind": "call_response", "listen_bars": 1, "response_bars": 2}},
    {"mode": {"kind": "continuous", "listen_bars": 1}, "output": {"channel": 3}},
    {"mode": {"kind": "loop", "listen_bars": 1, "loop_bars": 2}, "feel": {"quantize": 1.0, "swing": 0.3}},
    {"mode": {"kind": "loop", "listen_bars": 2, "loop_bars": 1}, "clock": {"source": "internal", "bpm": 180.0}},
    {"mode": {"kind": "call_response", "listen_bars": 1}, "clock": {"source": "auto"}, "output": {"thru": True}},
]

controls = st.builds(
    Controls,
    offset_ms=st.sampled_from([0.0, -30.0, 25.0]),
    thru=st.booleans(),
    mute=st.frozensets(st.integers(0, 11), max_size=3),
    lock=st.frozensets(st.integers(0, 11), max_size=3),
    humanize_ms=st.sampled_from([0.0, 8.0]),
    quantize=st.sampled_from([0.0, 1.0]),
)
commands = st.one_of(
    st.builds(Trigger), st.builds(Listen), st.builds(Arm, st.booleans()), st.builds(Panic),
    st.builds(Undo), st.builds(Redo), st.builds(SetControls, controls),
    st.builds(SetBpm, st.sampled_from([60.0, 174.0])),
    st.sampled_from(range(len(PRESETS))).map(lambda index: ("preset", index)),
)  # fmt: skip
data_byte = st.integers(0, 127)
channel_message = st.tuples(st.sampled_from([0x89, 0x99, 0x90, 0xB9, 0xC9, 0xE9]), data_byte, data_byte)
raw_bytes = st.lists(st.integers(0, 255), min_size=1, max_size=8)
events = st.one_of(
    st.tuples(st.just("ticks"), st.integers(1, 120), st.sampled_from([0.005, 0.02, 0.03])),  # tempo changes
    st.tuples(st.just("storm"), st.integers(2, 200)),  # a burst of ticks at one moment
    st.tuples(st.just("realtime"), st.sampled_from([START, STOP, CONTINUE])),
    st.tuples(st.just("position"), st.integers(0, 2000)),  # Song Position Pointer, in 16ths
    st.tuples(st.just("wait"), st.sampled_from([0.01, 0.3, 2.0])),  # a pause: the clock may stall
    st.tuples(st.just("hit"), st.sampled_from([36, 38, 42, 46, 49, 60]), st.integers(1, 127)),
    st.tuples(st.just("midi"), channel_message),
    st.tuples(st.just("bytes"), raw_bytes),
    st.tuples(st.just("command"), commands),
    st.tuples(st.just("deliver"), st.sampled_from(["all", "first", "twice", "drop"])),
)


class CheckedRig(CoreRig):
    """A CoreRig that checks, at every send, that a scheduled note was due."""

    def step(self, event, now=None) -> None:
        scheduler = self.core.performance.scheduler
        due, checks = scheduler.due, []

        def checked_due(position: float) -> list:
            messages = due(position)
            checks.extend(scheduler.released_note_ons)
            return messages

        scheduler.due = checked_due
        try:
            super().step(event, now)
        finally:
            scheduler.due = due
        if checks:
            # The horizon is the core's own; what this checks is that no path (thru, a late bar, a
            # downbeat sent ahead, a preset change) lets a scheduled note out past it.
            limit = self.core.due_horizon(self.now)
            for position in checks:
                assert position <= limit + 1e-6, f"note for tick {position} sent at {limit:.3f}: before it was due"


def perform(rig: CheckedRig, script) -> None:
    for event in script:
        kind = event[0]
        if kind == "ticks":
            _, count, interval = event
            for _ in range(count):
                rig.midi(CLOCK, at=rig.now + interval)
        elif kind == "storm":
            for _ in range(event[1]):
                rig.midi(CLOCK)
        elif kind == "realtime":
            rig.midi(event[1])
            if event[1] == STOP and rig.core.transport.following_external:
                assert not rig.sounding, "Stop leaves nothing sounding"
        elif kind == "position":
            rig.midi(SPP, event[1] & 0x7F, event[1] >> 7)
        elif kind == "wait":
            rig.advance(rig.now + event[1])
        elif kind == "hit":
            rig.midi(0x99, event[1], event[2])
            rig.midi(0x89, event[1], 0, at=rig.now + 0.002)
        elif kind == "midi":
            rig.midi(*event[1])
        elif kind == "bytes":
            rig.midi(*event[1])
        elif kind == "command":
            command = event[1]
            if isinstance(command, tuple):  # a preset, read into settings as the shell does
                settings = LiveSettings.from_preset(preset(PRESETS[command[1]], name=f"p{command[1]}"))
                command = ApplyPreset(settings)
            rig.step(command)
            if isinstance(command, Panic):
                assert not rig.sounding, "panic leaves nothing sounding"
        elif kind == "deliver":
            how = event[1]
            if how == "all":
                rig.deliver()
            elif how == "first":
                rig.deliver(1)
            elif how == "twice" and rig.pending:
                rig.pending.insert(0, rig.pending[0])
                rig.deliver(2)
            elif how == "drop":
                rig.pending = rig.pending[1:]


@pytest.mark.slow
@pytest.mark.parametrize("start_preset", range(len(PRESETS)))
@settings(
    max_examples=int(os.environ.get("BEATGEN_PROPERTY_EXAMPLES", 400)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(script=st.lists(events, max_size=40), auto_deliver=st.booleans(), downbeat_first=st.booleans())
def test_any_event_order_leaves_nothing_sounding(start_preset, script, auto_deliver, downbeat_first):
    rig = CheckedRig(
        PRESETS[start_preset],
        worker=EchoWorker(downbeat_first=downbeat_first),
        clock_source=None,
        auto_deliver=auto_deliver,
    )
    perform(rig, script)
    rig.advance(rig.now + 1.0)
    rig.close()
    assert not rig.sounding, f"left sounding after close: {sorted(rig.sounding)}"
