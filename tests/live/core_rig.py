"""Drive the pure engine core with fake time: a scripted clock, a worker that answers when told.

`CoreRig` owns an EngineCore and a clock of its own (`now`).  `advance(t)`
steps the core at every deadline it asks for until `t`, exactly as the
thread shell would, and keeps every action: sends with their time, jobs,
log lines.  Workers:

- `EchoWorker`: a fake that writes each bar as a fixed pattern (or the call's
  last bar), so tests can assert exact (tick, message) lists.
- `ModelWorker`: the real InferenceWorker and model, run inline on the test's
  thread when the rig delivers its jobs: deterministic, no threads.

Jobs are queued and delivered with `deliver()`: now, late, twice, or never.
"""

from __future__ import annotations

import queue
from collections import Counter
from dataclasses import dataclass, field

from bridge.live.core import EngineCore
from bridge.live.events import (
    CancelJobs,
    Closing,
    Downbeat,
    GeneratedBar,
    Job,
    LinkControl,
    Log,
    MidiIn,
    Preview,
    Send,
    Started,
    Submit,
    Wake,
)
from bridge.live.note_scheduler import DEFAULT_NOTE_TICKS
from bridge.live.settings import LiveSettings
from bridge.live.status import TICKS_PER_BAR
from bridge.live.transport import SEND_EARLY_S
from bridge.music.hits import Hit
from bridge.settings.controls import split_downbeat
from bridge.settings.presets import Preset, validate

CLOCK, START, CONTINUE, STOP, SPP = 0xF8, 0xFA, 0xFB, 0xFC, 0xF2
NOTE_ON, NOTE_OFF, CONTROL_CHANGE = 0x90, 0x80, 0xB0
KICK, SNARE, HAT = 0, 1, 3  # drum classes (bridge/music/drums.py)


def preset(values: dict | None = None, name: str = "test") -> Preset:
    return Preset(name, None, validate(values or {}))


class EchoWorker:
    """Writes every bar as `pattern` (hits in beats), each velocity plus the bar's line, so a test
    can tell a bar written for line 3 from one repeated there; a first bar may go ahead as a Downbeat."""

    def __init__(self, pattern: list[Hit] | None = None, downbeat_first: bool = False) -> None:
        self.pattern = pattern if pattern is not None else [Hit(0.0, KICK, 60), Hit(1.0, SNARE, 40)]
        self.downbeat_first = downbeat_first
        self.epoch = 0

    def results(self, job: Job | Preview) -> list:
        if isinstance(job, Preview) or job.epoch < self.epoch or job.generate_from is None:
            return []
        out: list = []
        for index in range(job.bars):
            line = job.generate_from + index
            hits = [Hit(hit.time, hit.drum, hit.velocity + line) for hit in self.pattern]
            ahead = self.downbeat_first and index == 0
            if ahead:
                out.append(Downbeat(job.epoch, line, split_downbeat(hits)[0]))
            out.append(GeneratedBar(job.epoch, line, hits, job.loop, downbeat_sent=ahead))
        return out


class ModelWorker:
    """The real inference worker (model and stream), run on the caller's thread."""

    def __init__(self, model) -> None:
        from bridge.live.worker import InferenceWorker

        self._results: queue.SimpleQueue = queue.SimpleQueue()
        self.worker = InferenceWorker(model, self._results)

    @property
    def epoch(self) -> int:
        return self.worker.epoch

    @epoch.setter
    def epoch(self, value: int) -> None:
        self.worker.cancel(value)

    def results(self, job: Job | Preview) -> list:
        self.worker.handle(job)
        out = []
        while not self._results.empty():
            out.append(self._results.get())
        return out


@dataclass
class CoreRig:
    """An EngineCore stepped with fake time; what it does is kept in `sent`, `jobs`, `logs`."""

    values: dict = field(default_factory=dict)
    worker: object = field(default_factory=EchoWorker)
    clock_source: str | None = "external"
    bpm: float = 120.0
    now: float = 0.0
    auto_deliver: bool = True  # a worker faster than any deadline: results arrive right after their job
    auto_link: bool = False  # the auto clock source watches Ableton Link (EngineCore's argument)

    def __post_init__(self) -> None:
        self.core = EngineCore(LiveSettings.from_preset(preset(self.values)), self.clock_source, self.auto_link)
        self.sent: list[tuple[float, tuple[int, ...]]] = []
        self.sent_ticks: list[tuple[int, tuple[int, ...]]] = []  # (song tick it was sent for, message)
        self.jobs: list[Job | Preview] = []
        self.pending: list = []  # worker results not yet delivered
        self.logs: list[str] = []
        self.link_controls: list[LinkControl] = []  # requests to the Link session
        self.sounding: set[tuple[int, int]] = set()
        self.generated_on: dict[tuple[int, int], int] = {}  # sounding notes the model wrote: tick sent
        # Thru note-ons on their way out, counted: one input packet in running status can pass the same
        # note twice before either is sent (a set lost the second, which then looked generated).
        self._passed_through: Counter[tuple[int, int]] = Counter()
        scheduler = self.core.performance.scheduler
        pass_through = scheduler.pass_through

        def recorded_pass_through(message: tuple[int, ...]) -> list[tuple[int, ...]]:
            if message[0] & 0xF0 == NOTE_ON and message[2] > 0:
                self._passed_through[(message[0] & 0x0F, message[1])] += 1
            return pass_through(message)

        scheduler.pass_through = recorded_pass_through  # type: ignore[method-assign]
        self.next_tick_time: float | None = None
        self.step(Started())

    # -- time and events ------------------------------------------------------------------

    def step(self, event, now: float | None = None) -> None:
        self.now = self.now if now is None else max(self.now, now)
        for action in self.core.step(event, self.now):
            self._carry_out(action)
        self._check_note_lengths()
        if self.auto_deliver and self.pending:
            self.deliver()

    def advance(self, until: float) -> None:
        """Step at every deadline the core asks for, up to `until`."""
        while (deadline := self.core.next_deadline()) <= until:
            self.step(Wake(), max(deadline, self.now))
            # The shell sleeps until next_deadline(): one already past would spin its real-time thread.
            assert self.core.next_deadline() > self.now, f"the core asks to be woken in the past at {self.now}"
        self.now = max(self.now, until)

    def midi(self, *message: int, at: float | None = None) -> None:
        when = self.now if at is None else at
        self.advance(when)
        self.step(MidiIn(tuple(message), when), when)

    def tick_seconds(self) -> float:
        return 60.0 / (self.bpm * 24)

    def play_ticks(self, count: int, notes: dict[int, list[tuple[int, int]]] | None = None, start: bool = False):
        """The DAW's clock: `count` ticks at self.bpm from now, with notes {tick index: [(note, velocity)]}
        (the tick index counts from this call's first tick); Start first if asked."""
        if start:
            self.midi(START)
            self.next_tick_time = self.now + 0.01
        if self.next_tick_time is None or self.next_tick_time < self.now:
            self.next_tick_time = self.now
        for index in range(count):
            when = self.next_tick_time
            self.midi(CLOCK, at=when)
            for note, velocity in (notes or {}).get(index, ()):
                self.midi(NOTE_ON | 9, note, velocity, at=when + 0.001)
                self.midi(NOTE_OFF | 9, note, 0, at=when + 0.002)
            self.next_tick_time = when + self.tick_seconds()

    def deliver(self, count: int | None = None) -> None:
        """Hand the worker's results to the core (all, or the first `count`)."""
        count = len(self.pending) if count is None else count
        ready, self.pending = self.pending[:count], self.pending[count:]
        for result in ready:
            self.step(result)

    def close(self) -> None:
        self.step(Closing())

    # -- actions ------------------------------------------------------------------------

    def _carry_out(self, action) -> None:
        if isinstance(action, Send):
            self._sent(action.message)
        elif isinstance(action, Submit):
            self.jobs.append(action.job)
            self.pending.extend(self.worker.results(action.job))
        elif isinstance(action, CancelJobs):
            self.worker.epoch = action.epoch
        elif isinstance(action, Log):
            self.logs.append(action.line)
        elif isinstance(action, LinkControl):
            self.link_controls.append(action)

    def _sent(self, message: tuple[int, ...]) -> None:
        self.sent.append((self.now, message))
        clock = self.core.clock
        offset = self.core.controls.offset_ms / 1000.0
        tick = clock.position_estimate(self.now + SEND_EARLY_S - offset) if clock.tick_interval else clock.position
        self.sent_ticks.append((round(tick), message))
        kind, channel = message[0] & 0xF0, message[0] & 0x0F
        if kind == NOTE_ON and message[2] > 0:
            assert (channel, message[1]) not in self.sounding, f"note-on {message} while it sounds"
            self.sounding.add((channel, message[1]))
            if self._passed_through[(channel, message[1])]:  # the producer's own note lasts as they hold it
                self._passed_through[(channel, message[1])] -= 1
            else:
                self.generated_on[(channel, message[1])] = self.sent_ticks[-1][0]
        elif kind == NOTE_OFF or (kind == NOTE_ON and message[2] == 0):
            # Strict: only a note-off ends a note.  All Notes Off comes too, but a synth may ignore it.
            self.sounding.discard((channel, message[1]))

    def _check_note_lengths(self) -> None:
        """A generated note ends DEFAULT_NOTE_TICKS after it starts: one still sounding when the core's
        own due horizon is a few ticks past that, while the song plays, lost its note-off (the
        silence at Stop or close would hide it till then)."""
        if not self.core.transport.playing:
            return
        horizon = self.core.due_horizon(self.now)
        for key, tick in list(self.generated_on.items()):
            if key not in self.sounding:
                del self.generated_on[key]
            else:
                assert horizon <= tick + DEFAULT_NOTE_TICKS + 2, f"note {key} from tick {tick} never ended"

    # -- reading what happened -------------------------------------------------------------

    def note_ons(self) -> list[tuple[int, int, int]]:
        """(song tick, note, velocity) of every note-on sent."""
        return [(tick, m[1], m[2]) for tick, m in self.sent_ticks if m[0] & 0xF0 == NOTE_ON and m[2] > 0]

    def bar_of(self, tick: int) -> int:
        return tick // TICKS_PER_BAR
