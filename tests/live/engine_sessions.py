"""Two ways to drive the live engine with a DAW's clock: real threads and time, or fake time.

`ThreadedSession` runs the real Engine (its thread shell, the inference
worker's thread, the real model) and posts the clock in real time, as the
port driver would.  `FakeTimeSession` has the same API but steps the engine
core with fake time and runs the real worker and model inline (tests/live/core_rig.py):
deterministic, and a hundred times faster.  Tests about logic use the fake one;
tests about threads (CPU use while waiting, a starved worker) use the threaded one.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import time

from bridge.live.engine import TICKS_PER_BAR, Engine
from bridge.live.events import ApplyPreset, UsePreset
from bridge.live.settings import LiveSettings
from bridge.settings.presets import Preset, validate
from bridge.system.priority import TIMING_PRIORITY
from tests.live.core_rig import CoreRig, ModelWorker

BPM = 240.0  # one bar per second keeps the tests short
TICK = 60.0 / BPM / 24
KICK, SNARE, HAT = 36, 38, 42
COMMAND_LATENCY_S = 0.0001  # a command reaches the engine core a moment after it is posted, as through the inbox


@contextlib.contextmanager
def daw_clock_priority():
    """This thread real-time while it plays the DAW's clock, above the engine's threads, where
    permitted (root on CI): a DAW's clock is real-time, and a loaded CI machine otherwise
    delays this thread's ticks and moves the notes measured against them."""
    try:
        previous = os.sched_getscheduler(0), os.sched_getparam(0)
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(TIMING_PRIORITY + 1))
    except (AttributeError, OSError):
        yield
        return
    try:
        yield
    finally:
        os.sched_setscheduler(0, previous[0], previous[1])


class ThreadedSession:
    """The real Engine fed a steady external clock in real time; every message it sends is kept with its send time."""

    def __init__(self, model, preset_values: dict, input_period: float | None = None) -> None:
        preset = Preset("test", None, validate(preset_values))
        self.sent: list[tuple[float, tuple[int, ...]]] = []
        self.logs: list[str] = []
        self.engine = Engine(
            preset, model, lambda m: self.sent.append((time.monotonic(), tuple(m))), self.logs.append, "external"
        )
        self.engine.set_input_period(input_period)
        self.engine.start()
        self.ticks: list[float] = []  # arrival time of song tick i
        self.start_time = time.monotonic() + 0.02

    def post(self, message) -> None:
        self.engine.post_midi(list(message), time.monotonic())

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def play(self, first_tick: int, last_tick: int, notes=(), start: bool = False, copies=()) -> None:
        """Send ticks first_tick..last_tick-1 in real time; notes: {tick: [(note, velocity), ...]};
        the ticks in `copies` twice, as JACK hands them to a client that ran late."""
        with daw_clock_priority():
            self._play(first_tick, last_tick, dict(notes), start, set(copies))

    def _play(self, first_tick: int, last_tick: int, notes: dict, start: bool, copies: set) -> None:
        if start:
            self.post([0xFA])
        for tick in range(first_tick, last_tick):
            target = self.start_time + tick * TICK
            while (now := time.monotonic()) < target:
                time.sleep(min(0.0005, target - now))
            self.post([0xF8])
            self.ticks.append(time.monotonic())
            if tick in copies:
                self.post([0xF8])
            for note, velocity in notes.get(tick, ()):
                self.post([0x99, note, velocity])
                self.post([0x89, note, 0])

    def note_ons(self, after: float = 0.0) -> list[tuple[float, tuple[int, ...]]]:
        return [(t, m) for t, m in self.sent if m[0] & 0xF0 == 0x90 and m[2] > 0 and t >= after]

    def tick_of(self, when: float) -> int:
        """The song tick a message sent at `when` belongs to: its position rounded (see position_of)."""
        return round(self.position_of(when))

    def position_of(self, when: float) -> float:
        """Song position in fractional ticks, between the ticks posted around `when`.

        By position, not by the nearest tick in time: when this test's clock
        thread is held up (a loaded CI machine) it posts the ticks it missed
        in a burst, and a note sent in the burst is nearest in time to an
        earlier tick than the one it was sent on.
        """
        index = min(max(bisect.bisect_right(self.ticks, when) - 1, 0), len(self.ticks) - 2)
        before, after = self.ticks[index], self.ticks[index + 1]
        return index + (when - before) / (after - before)

    def diagnosis(self) -> str:
        """What a failing assertion needs to tell a timing race from a logic bug: the engine's log,
        its counts, and how late this test's own clock thread posted its ticks."""
        status = self.engine.status()
        gaps = [b - a for a, b in zip(self.ticks, self.ticks[1:])]
        worst = max(range(len(gaps)), key=gaps.__getitem__) if gaps else None
        clock = (
            f"longest gap between posted ticks {gaps[worst] * 1000:.1f} ms before tick {worst + 1}"
            if gaps
            else "no ticks"
        )
        counts = (
            f"state {status.mode_state}, position {status.position_ticks}, bars generated {status.bars_generated},"
            f" late bars {status.late_bars}, notes sent {status.notes_sent}, late notes {status.late_notes}"
        )
        return "\n".join([counts, clock, "log:", *self.logs])

    def close(self) -> None:
        self.engine.close()

    def play_song(self, last_tick: int, notes=()) -> str:
        """Start, play ticks 0..last_tick-1 with `notes`, close the engine; returns its log."""
        try:
            self.play(0, last_tick, notes, start=True)
        finally:
            self.close()
        return "\n".join(self.logs)


def seed_notes(bars: int, first_bar: int = 0) -> dict[int, list[tuple[int, int]]]:
    """A plain rock beat on 8ths: kick on 1 and 3, snare on 2 and 4."""
    notes = {}
    for bar in range(first_bar, first_bar + bars):
        for eighth in range(8):
            tick = bar * TICKS_PER_BAR + eighth * 12
            hits = [(HAT, 80)]
            if eighth in (0, 4):
                hits.append((KICK, 100))
            if eighth in (2, 6):
                hits.append((SNARE, 100))
            notes[tick] = hits
    return notes


def assert_every_note_switched_off(sent) -> None:
    sounding = set()
    for _t, message in sent:
        key = (message[0] & 0x0F, message[1])
        if message[0] & 0xF0 == 0x90 and message[2] > 0:
            sounding.add(key)
        elif message[0] & 0xF0 == 0x80 or (message[0] & 0xF0 == 0x90 and message[2] == 0):
            sounding.discard(key)
    assert not sounding, f"notes left sounding: {sorted(sounding)}"


class _FakeEngine:
    """What tests read of an Engine, over a CoreRig."""

    def __init__(self, rig: CoreRig, worker: ModelWorker) -> None:
        self.rig, self.core, self.worker = rig, rig.core, worker.worker

    def command(self, command) -> None:
        if isinstance(command, UsePreset):
            command = ApplyPreset(LiveSettings.from_preset(command.preset))
        self.rig.advance(self.rig.now + COMMAND_LATENCY_S)
        self.rig.step(command)

    def status(self):
        return self.core.status()

    def history(self, limit_bars: int = 256):
        return self.core.performance.history.copy(limit_bars)


class FakeTimeSession(ThreadedSession):
    """ThreadedSession's API over the engine core stepped with fake time, the real model inline."""

    def __init__(self, model, preset_values: dict, input_period: float | None = None) -> None:
        worker = ModelWorker(model)
        self.rig = CoreRig(preset_values, worker=worker, clock_source="external")
        self.rig.core.clock.input_period = input_period
        self.engine = _FakeEngine(self.rig, worker)  # type: ignore[assignment]
        self.sent = self.rig.sent
        self.logs = self.rig.logs
        self.ticks: list[float] = []
        self.start_time = self.rig.now + 0.02

    def post(self, message) -> None:
        self.rig.midi(*message)

    def now(self) -> float:
        return self.rig.now

    def sleep(self, seconds: float) -> None:
        self.rig.advance(self.rig.now + seconds)

    def play(self, first_tick: int, last_tick: int, notes=(), start: bool = False, copies=()) -> None:
        self._play(first_tick, last_tick, dict(notes), start, set(copies))

    def _play(self, first_tick: int, last_tick: int, notes: dict, start: bool, copies: set) -> None:
        if start:
            self.post([0xFA])
        for tick in range(first_tick, last_tick):
            self.rig.advance(self.start_time + tick * TICK)  # a tick due in the past is posted now
            self.post([0xF8])
            self.ticks.append(self.rig.now)
            if tick in copies:
                self.post([0xF8])
            for note, velocity in notes.get(tick, ()):
                self.post([0x99, note, velocity])
                self.post([0x89, note, 0])

    def close(self) -> None:
        self.rig.close()
