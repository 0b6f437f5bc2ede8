"""The live engine: one thread that follows the clock, records the seed, runs the mode and sends notes.

Everything that touches timing happens on this thread, fed by one inbox:
MIDI messages stamped by the port driver, commands (TUI, CLI, signals) and
bars from the inference worker.  Between messages the thread sleeps exactly
until the next thing that must happen: a note to send, a bar line's "cut"
(the moment the bar's input is closed and the mode decides), a tick of the
internal clock, or a stall check.

Time is kept in song ticks (24 per quarter note) and turned into seconds only
when sending, with the clock's tempo line: a note is sent at
time_of(tick) + offset, so a negative offset sends early by that many ms.

A bar line's cut happens CUT_AHEAD_S before the line (plus the negative
offset): hits arriving after it belong to the next bar (they are a downbeat
played early), and the model gets the whole window to write the answer's
first notes.  Little of the window is needed: the worker has heard the
call's bar up to its last 8th already (_run_previews), and it hands the
answer's downbeat over before it writes the rest of the bar (_on_downbeat).

A preset can be applied while playing (command "preset"): everything is
swapped in at once on this thread; the mode restarts at the next bar line
(see _apply_mode).  Undo/redo step through the last generated loops or
answers (see _step_takes).  What was heard and sent is kept bar by bar
(bar_history.py) for the TUI and for export.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bridge.live.bar_history import GENERATED, SEED, BarHistory, BarView
from bridge.live.clock import (
    CLOCK,
    CONTINUE,
    MIN_TICK_SECONDS,
    SONG_POSITION,
    START,
    STOP,
    TICKS_PER_BEAT,
    ClockTracker,
)
from bridge.live.midi_packets import split_packet
from bridge.live.modes import ANSWERING, HEARING, LISTENING, LOOPING, Conductor, ModeSettings, Plan
from bridge.live.note_scheduler import CONTROL_CHANGE, NOTE_OFF, NOTE_ON, NoteScheduler
from bridge.live.seed_recorder import SeedRecorder
from bridge.live.settings import LiveSettings
from bridge.live.takes import Takes
from bridge.live.worker import Downbeat, GeneratedBar, InferenceWorker, Job, Preview, WorkerError
from bridge.midi_io.midi_files import Hit
from bridge.model.step_model import StepModel
from bridge.settings.controls import DOWNBEAT_CELL_BEATS, Controls, control_from_cc, shape_bar, split_downbeat
from bridge.settings.presets import Preset
from bridge.system.priority import raise_bridge_priority

__all__ = ["BarView", "Engine", "EngineStatus", "TICKS_PER_BAR"]

BEATS_PER_BAR = 4  # the model plays 4/4 (docs/model.md)
TICKS_PER_BAR = BEATS_PER_BAR * TICKS_PER_BEAT
CUT_AHEAD_S = 0.015
SEND_EARLY_S = 0.0002  # wake-up latency: release a note this much before its time rather than after
LATE_S = 0.003  # a note sent later than this after its time counts as late
PREVIEW_TICKS = 12  # the worker hears a call's bar ahead every 8th note (_run_previews)
IDLE_WAKE_S = 0.05  # stall checks when nothing else is due
OWN_ECHO_S = 0.2  # a note-on equal to one we sent this recently is our own output coming back
REALTIME = {CLOCK, START, CONTINUE, STOP, SONG_POSITION}


@dataclass(frozen=True)
class EngineStatus:
    """A consistent snapshot for the TUI and the log."""

    clock: str  # "internal", "external", "waiting"
    running: bool
    stalled: bool
    bpm: float | None
    position_ticks: int
    mode_state: str
    armed: bool
    notes_sent: int
    late_notes: int
    bars_generated: int
    late_bars: int
    controls: Controls
    bars: tuple[BarView, ...] = ()  # the last 16 bars heard (seed) or generated (as sent), oldest first
    preset_name: str = ""
    mode: str = ""  # the preset's mode kind: call_response, continuous, loop
    offset_ms: float = 0.0  # the output offset in force (controls.offset_ms)
    loop_history: tuple[int, int] = (0, 0)  # (0-based index of the chosen/current take, takes kept); see Takes

    @property
    def bar_beat(self) -> tuple[int, int]:
        bar, tick = divmod(self.position_ticks, TICKS_PER_BAR)
        return bar + 1, tick // TICKS_PER_BEAT + 1


class Engine:
    def __init__(
        self,
        preset: Preset,
        model: StepModel,
        send: Callable[[tuple[int, ...]], None],
        log: Callable[[str], None] = lambda line: None,
        clock_source: str | None = None,
    ) -> None:
        settings = LiveSettings.from_preset(preset)
        self.preset = preset
        self.send_midi, self.log = send, log
        self.controls = settings.controls
        self.conductor = Conductor(settings.mode)
        self.clock_override = clock_source  # a --clock given at start wins over every preset's clock source
        self.clock_source = clock_source or settings.clock_source
        self.internal_bpm = settings.bpm
        self.input_channel = settings.input_channel  # 0 = all
        self.output_notes = settings.output_notes
        self.recorder = SeedRecorder(settings.input_classes, settings.input_channels)
        self.scheduler = NoteScheduler(channel=settings.output_channel)
        self.trigger_note, self.trigger_cc = settings.trigger_note, settings.trigger_cc
        self.cc_controls = settings.cc_controls

        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.worker = InferenceWorker(model, self.inbox)
        self.clock = ClockTracker()
        self.following_external = self.clock_source == "external"
        self.heard_external_clock = False  # auto: once the DAW's clock came, it is followed for good
        self.internal_next_tick: float | None = None
        self.armed = True
        self.stalled = False
        # hold-ups, long intervals and repeated ticks of the clock already logged
        self.logged_delays = self.logged_gaps = self.logged_repeats = 0
        self.next_line: int | None = None  # the next bar line whose cut is pending
        self.previewed: tuple[int, int] = (-1, 0)  # (bar, 8th) last heard ahead (_run_previews)
        self.last_hit_tick: float | None = None
        self.epoch = 0
        self.call_bars: dict[int, list[Hit]] = {}  # line -> hits the producer played (for lock)
        self.loop_bars: dict[int, list[Hit]] = {}
        self.pending_loop_bars: dict[int, list[Hit]] = {}
        self.pending_loop_start = 0
        self.recent_sends: deque[tuple[float, int, int]] = deque(maxlen=64)
        self.rng = np.random.default_rng()
        self.bar_history = BarHistory()
        self.takes = Takes()  # loops (loop mode) or answers (call & response) for undo/redo
        self.answer: tuple[int, int, list] | None = None  # (epoch, first line, bars) of the answer being generated
        self.downbeats: dict[
            int, tuple[int, list[Hit], bool]
        ] = {}  # line -> (epoch, notes, late) sent ahead of their bar
        self.counts = {"notes_sent": 0, "late_notes": 0, "bars_generated": 0, "late_bars": 0}
        self._status_lock = threading.Lock()
        self._status: EngineStatus | None = None
        self._thread = threading.Thread(target=self._run, name="beatgen-engine", daemon=True)
        self._stopping = threading.Event()

    # -- public, thread-safe ---------------------------------------------------------

    def set_input_period(self, seconds: float | None) -> None:
        """The MIDI backend's period (MidiPorts.input_period), before start(): with it the clock can
        tell a tick JACK delivered twice from two ticks of one batch (ClockTracker._is_repeat)."""
        self.clock.input_period = seconds

    def start(self) -> None:
        self.worker.start()
        self._thread.start()

    def post_midi(self, message, timestamp: float) -> None:
        """Called by the port driver thread for every incoming message."""
        self.inbox.put(("midi", list(message), timestamp))

    def command(self, name: str, value=None) -> None:
        """trigger, listen, arm, disarm, panic, undo, redo, controls (value: Controls), bpm (value: float),
        preset (value: Preset; note maps are read here, so a bad one raises NoteMapError to the caller)."""
        if name == "preset":
            value = LiveSettings.from_preset(value)
        self.inbox.put(("command", name, value))

    def history(self, limit_bars: int = 256) -> list[BarView]:
        """The last `limit_bars` bars heard or sent since the last Start, oldest first (for export)."""
        return self.bar_history.copy(limit_bars)

    def status(self) -> EngineStatus:
        with self._status_lock:
            return self._status or self._snapshot()

    def close(self, timeout: float = 2.0) -> None:
        """Stop the threads; every sounding note is switched off before this returns."""
        self._stopping.set()
        self.inbox.put(("wake", None, None))
        self._thread.join(timeout)
        self.worker.shutdown()
        self.worker.join(timeout)

    # -- the engine thread -----------------------------------------------------------------

    def _run(self) -> None:
        self.log(raise_bridge_priority())
        now = time.monotonic()
        if self.clock_source in ("internal", "auto"):
            self._start_internal_clock(now)
        try:
            while not self._stopping.is_set():
                timeout = max(0.0, self._next_deadline() - time.monotonic())
                try:
                    item = self.inbox.get(timeout=timeout)
                except queue.Empty:
                    item = None
                while item is not None:
                    self._handle(item)
                    try:
                        item = self.inbox.get_nowait()
                    except queue.Empty:
                        item = None
                now = time.monotonic()
                self._service(now)
                self._publish()
        except Exception as error:  # noqa: BLE001 - a bug must still leave the synth silent
            self.log(f"engine error: {type(error).__name__}: {error}; silencing")
            raise
        finally:
            self._send_all(self.scheduler.silence())

    def _handle(self, item) -> None:
        if isinstance(item, GeneratedBar):
            self._on_generated(item)
        elif isinstance(item, Downbeat):
            self._on_downbeat(item)
        elif isinstance(item, WorkerError):
            self.log(item.message)
        elif item[0] == "midi":
            self._on_midi(item[1], item[2])
        elif item[0] == "command":
            self._on_command(item[1], item[2])

    def _service(self, now: float) -> None:
        self._run_internal_clock(now)
        if self.clock.running and not self.stalled and self.clock.stalled(now):
            self.stalled = True
            self.log("clock stalled (no ticks for a beat without Stop): silenced, waiting for the clock")
            self._reset_performance(self.clock.position)
        self._run_cuts(now)
        self._run_previews()
        self._send_due(now)

    def _next_deadline(self) -> float:
        deadlines = [time.monotonic() + IDLE_WAKE_S]
        if self.internal_next_tick is not None and not self.following_external:
            deadlines.append(self.internal_next_tick)
        if self.clock.running and not self.stalled:
            next_position = self.scheduler.next_position()
            # A note beyond the sending limit waits for the tick that moves the limit (the
            # inbox wakes us); a deadline already past would spin this thread, which runs
            # at real-time priority (bridge/priority.py), until that tick came.
            if next_position is not None and self.clock.tick_interval and next_position <= self._sending_limit():
                when = self.clock.time_of(next_position)
                if when is not None:
                    deadlines.append(when + self._offset_s() - SEND_EARLY_S)
            if self.next_line is not None:
                when = self._cut_time(self.next_line)
                if when is not None:
                    deadlines.append(when)
        return min(deadlines)

    # -- incoming MIDI ---------------------------------------------------------------------

    def _on_midi(self, packet: list[int], timestamp: float) -> None:
        if len(packet) == 1 or (len(packet) == 3 and 0x80 <= packet[0] < 0xF0 and packet[1] < 0x80 > packet[2]):
            self._on_message(packet, timestamp)  # the common case: one whole message
            return
        for message in split_packet(packet):
            self._on_message(message, timestamp)

    def _on_message(self, message: list[int], timestamp: float) -> None:
        status = message[0]
        if status in REALTIME:
            self._on_clock_message(message, timestamp)
            return
        if status < 0x80 or status >= 0xF0:
            return  # stray data bytes, other system messages: nothing for a drum bridge
        channel = status & 0x0F
        if self.input_channel and channel != self.input_channel - 1:
            return
        kind = status & 0xF0
        if kind == CONTROL_CHANGE and len(message) >= 3:
            self._on_control_change(message[1] & 0x7F, message[2] & 0x7F)
        elif kind in (NOTE_ON, NOTE_OFF) and len(message) >= 3:
            self._on_note(message, timestamp)

    def _on_note(self, message: list[int], timestamp: float) -> None:
        is_on = message[0] & 0xF0 == NOTE_ON and message[2] > 0
        if is_on and self._is_own_echo(message, timestamp):
            return
        if message[1] == self.trigger_note:
            if is_on:
                self._on_command("trigger", None)
            return
        if self.controls.thru:
            self._send_all(self.scheduler.pass_through(tuple(message[:3])))
        if is_on and self.clock.running and not self.stalled:
            position = self.clock.position_at(timestamp)
            if self.recorder.feed(message, position) is not None:
                self.last_hit_tick = position

    def _is_own_echo(self, message: list[int], timestamp: float) -> bool:
        key = (message[0] & 0x0F, message[1])
        return any(timestamp - sent < OWN_ECHO_S and (ch, note) == key for sent, ch, note in self.recent_sends)

    def _on_control_change(self, number: int, value: int) -> None:
        if number == self.trigger_cc:
            if value >= 64:
                self._on_command("trigger", None)
            return
        for name in self.cc_controls.get(number, ()):
            self.controls = control_from_cc(self.controls, name, value)
            self.log(f"CC {number} = {value}: {name} -> {getattr(self.controls, name, value)}")

    def _on_clock_message(self, message: list[int], timestamp: float) -> None:
        if not self.following_external:
            if self.clock_source == "internal":
                return
            self.log("MIDI clock arrived: following it instead of the internal clock")
            self.following_external, self.internal_next_tick = True, None
            self._reset_performance(self.clock.position)
            self._fresh_clock()
        self.heard_external_clock = True
        was_running, was_position = self.clock.running, self.clock.position
        change = self.clock.feed(message, timestamp)
        self._log_clock_anomalies()
        if message[0] == CLOCK and self.stalled and self.clock.running:
            self.stalled = False
            self.log("clock back")
            self._restart_at(self.clock.position + 1)
        if change in ("start", "continue") or (change == "position" and was_running):
            self._reset_performance(was_position if was_running else None)
            if change == "start":
                self.bar_history.clear()
            self._restart_at(0 if change == "start" else self.clock.position + 1)
            self.log(f"transport {change} at bar {max(self.clock.position + 1, 0) // TICKS_PER_BAR + 1}")
        elif change == "stop":
            self._reset_performance(was_position)
            # The count lets a recording of the clock show ticks lost on the way (live_analysis.input_losses).
            self.log(f"transport stop at tick {self.clock.position + 1}: silenced")  # the song position, in ticks

    # -- internal clock --------------------------------------------------------------------

    def _start_internal_clock(self, now: float) -> None:
        self.clock.feed([START], now)
        self.bar_history.clear()
        self._restart_at(0)
        self.internal_next_tick = now
        self.log(f"internal clock at {self.internal_bpm:g} BPM")

    def _run_internal_clock(self, now: float) -> None:
        if self.following_external or self.internal_next_tick is None:
            return
        interval = 60.0 / (self.internal_bpm * TICKS_PER_BEAT)
        while self.internal_next_tick <= now + SEND_EARLY_S:
            self.clock.feed([CLOCK], self.internal_next_tick)  # the ideal time: the internal clock has no jitter
            self.internal_next_tick += interval

    # -- bar lines and the mode ----------------------------------------------------------------

    def _offset_s(self) -> float:
        return self.controls.offset_ms / 1000.0

    def _cut_time(self, line: int) -> float | None:
        when = self.clock.time_of(line * TICKS_PER_BAR)
        return None if when is None else when - CUT_AHEAD_S + min(0.0, self._offset_s())

    def _run_cuts(self, now: float) -> None:
        if not self.clock.running or self.stalled or self.next_line is None:
            return
        while True:
            line = self.next_line
            when = self._cut_time(line)
            reached = self.clock.position >= line * TICKS_PER_BAR
            if not reached and (when is None or when > now or not self._near_line(line)):
                return
            self.next_line += 1
            self._cut(line)

    def _near_line(self, line: int) -> bool:
        """Whether the ticks received so far are within a cut's lead of `line`: the predicted time
        alone is not enough, since a tempo estimate gone wrong would cut bars that have not been
        played (the lead allowed is CUT_AHEAD_S and a negative offset at MAX_BPM, plus a tick)."""
        lead_s = CUT_AHEAD_S - min(0.0, self._offset_s())
        return self.clock.position >= line * TICKS_PER_BAR - (math.ceil(lead_s / MIN_TICK_SECONDS) + 1)

    def _bar_hits(self, start: int) -> list[Hit]:
        """The hits recorded since the last cut, in beats from the bar starting at tick `start`
        (one played in the last cut's window, a downbeat played early, is on its downbeat)."""
        return [
            Hit(min(max((position - start) / TICKS_PER_BEAT, 0.0), BEATS_PER_BAR - 1e-6), drum, velocity)
            for position, drum, velocity in sorted(self.recorder.hits)
        ]

    def _run_previews(self) -> None:
        """Every 8th note of a bar that is part of a call, let the worker hear it so far: at the cut
        only its last 8th is left to hear before the answer is written (hearing a whole bar there
        took 2.5 ms of the cut's 15 ms)."""
        if not self.armed or not self.clock.running or self.stalled or self.next_line is None:
            return
        bar = self.next_line - 1
        start = bar * TICKS_PER_BAR
        mark = (bar, (self.clock.position - start) // PREVIEW_TICKS)
        if mark[1] < 1 or mark <= self.previewed:
            return
        self.previewed = mark
        state = self.conductor.state
        starts_call = state == LISTENING and bool(self.recorder.hits)
        if state == HEARING or starts_call:
            # A tick of margin: a hit stamped before the tick just counted may still be in the inbox.
            until = (self.clock.position - 1 - start) / TICKS_PER_BEAT
            self.worker.submit(Preview(self.epoch, bar, self._bar_hits(start), until, starts_call))

    def _cut(self, line: int) -> None:
        bar = line - 1
        start = bar * TICKS_PER_BAR
        hits = self._bar_hits(start)
        # Hits before the bar's start came in the last cut's window: a downbeat played early.
        only_early = bool(hits) and all(position < start for position, _drum, _velocity in self.recorder.hits)
        self.recorder.clear()
        silent = (line * TICKS_PER_BAR - self.last_hit_tick) / TICKS_PER_BEAT if self.last_hit_tick is not None else 1e9
        if not self.armed:
            return
        before = self.conductor.state
        plan = self.conductor.bar_ended(bar, hits, silent, only_early)
        if self.conductor.state != before:
            self.log(f"{self.conductor.state} at bar {line + 1}")
        self._carry_out(plan, line)

    def _carry_out(self, plan: Plan, line: int) -> None:
        if not plan:
            return
        if plan.drop_from is not None:
            self.epoch = self.worker.cancel()
            self.scheduler.drop_from(plan.drop_from * TICKS_PER_BAR)
            self.bar_history.drop_generated_from(plan.drop_from)
        if plan.reset_at is not None:
            self.call_bars = {}
        for bar_line, hits in plan.hear:
            self.call_bars[bar_line] = hits
            self.bar_history.put(bar_line, SEED, hits)
        if plan.loop_swap and plan.generate_from is None:
            self.loop_bars, self.pending_loop_bars = self.pending_loop_bars, {}
            self._took(self.loop_bars)
        if plan.loop:
            self.pending_loop_bars, self.pending_loop_start = {}, plan.generate_from
            if plan.loop_swap:  # the first loop: current from the start
                self.loop_bars = self.pending_loop_bars
                self.takes.add(self.loop_bars)
        if plan.play_loop_line is not None and plan.loop_index in self.loop_bars:
            self._schedule_bar(plan.play_loop_line, self.loop_bars[plan.loop_index], fresh=False)
        bars = plan.bars
        if plan.generate_from is not None and self.conductor.state == ANSWERING:
            bars = self._start_answer(plan.generate_from, plan.bars)
        if plan.hear or plan.generate_from is not None or plan.reset_at is not None or plan.rewind_to is not None:
            c = self.controls
            self.worker.submit(
                Job(self.epoch, c.sampling(), c.random_seed, plan.reset_at, plan.rewind_to, plan.hear,
                    plan.generate_from, bars, plan.loop)
            )  # fmt: skip

    def _took(self, loop: dict[int, list[Hit]]) -> None:
        """A loop became current at its boundary: a recalled one (undo/redo) or a new one."""
        if self.takes.chosen is not None:
            self.takes.played(self.takes.chosen)
        else:
            self.takes.add(loop)

    def _start_answer(self, first_line: int, bars: int) -> int:
        """Call & response: an answer starts at first_line.  Returns how many bars the model must write:
        0 when undo/redo chose an earlier answer to repeat (scheduled here, from memory)."""
        chosen = self.takes.chosen
        if chosen is None:
            self.answer = (self.epoch, first_line, [None] * bars)
            return bars
        take = self.takes.items[chosen]
        for index, hits in enumerate(take[:bars]):
            self._schedule_bar(first_line + index, hits, fresh=False)
        self.takes.played(chosen)
        self.log(f"answer at bar {first_line + 1} repeats answer {chosen + 1}/{len(self.takes.items)}")
        return 0

    def _on_generated(self, bar: GeneratedBar) -> None:
        if bar.epoch < self.epoch:
            return  # planned before a Stop, jump or re-seed
        self.counts["bars_generated"] += 1
        if bar.loop:
            self.pending_loop_bars[bar.line - self.pending_loop_start] = bar.hits
        if self.answer is not None and bar.epoch == self.answer[0]:
            epoch, first, answer = self.answer
            if 0 <= bar.line - first < len(answer):
                answer[bar.line - first] = bar.hits
                if all(hits is not None for hits in answer):  # complete: it can be chosen again
                    self.takes.add(answer)
                    self.answer = None
        if bar.downbeat_sent:
            self._schedule_rest(bar)
        else:
            self._schedule_bar(bar.line, bar.hits, fresh=True)

    def _schedule_rest(self, bar: GeneratedBar) -> None:
        """The notes of a bar after the downbeat the worker sent ahead (_on_downbeat)."""
        epoch, downbeat, downbeat_late = self.downbeats.pop(bar.line, (bar.epoch, [], False))
        if not downbeat_late:  # one late bar is counted once
            rest_start = bar.line * TICKS_PER_BAR + DOWNBEAT_CELL_BEATS * TICKS_PER_BEAT
            self._note_late_bar(bar.line, rest_start, "past its first 16th")
        rest = split_downbeat(bar.hits)[1]
        shaped = self._schedule_hits(bar.line, rest, split_downbeat(self._lock_source(bar.line))[1])
        notes = (downbeat if epoch == bar.epoch else []) + shaped
        self.bar_history.put(bar.line, GENERATED, notes)
        self._note_silent_bar(bar.line, notes)

    def _on_downbeat(self, downbeat: Downbeat) -> None:
        """The first notes of a bar the worker is still writing (an answer's first bar)."""
        if downbeat.epoch < self.epoch:
            return
        line = downbeat.line
        late = self._note_late_bar(line, line * TICKS_PER_BAR)
        shaped = self._schedule_hits(line, downbeat.hits, split_downbeat(self._lock_source(line))[0])
        self.downbeats[line] = (downbeat.epoch, shaped, late)
        self.bar_history.put(line, GENERATED, shaped)

    def _schedule_bar(self, line: int, hits: list[Hit], fresh: bool) -> None:
        if fresh:
            self._note_late_bar(line, line * TICKS_PER_BAR)
        notes = self._schedule_hits(line, hits, self._lock_source(line))
        self.bar_history.put(line, GENERATED, notes)
        if fresh:
            self._note_silent_bar(line, notes)

    def _note_silent_bar(self, line: int, notes: list[Hit]) -> None:
        """Log a new bar with nothing to play (the model wrote a rest, or muting left nothing):
        a silent bar was chosen, not lost (bench-live tells the two apart by this line)."""
        if not notes:
            self.log(f"bar {line + 1} has no notes to play")

    def _schedule_hits(self, line: int, hits: list[Hit], lock_source: list[Hit]) -> list[Hit]:
        """Shape a bar's hits (or a part of them) and schedule them; returns the notes as shaped."""
        bpm = self.clock.bpm or self.internal_bpm
        start = line * TICKS_PER_BAR
        shaped = shape_bar(hits, self.controls, bpm, self.rng, lock_source, BEATS_PER_BAR)
        for hit in shaped:
            self.scheduler.schedule(start + hit.time * TICKS_PER_BEAT, self.output_notes[hit.drum], hit.velocity)
        return shaped

    def _note_late_bar(self, line: int, due_tick: float, part: str = "") -> bool:
        """Count and log a bar (or its `part`) the worker wrote after tick `due_tick` was due, so its
        first notes go out late: what a late first note of an answer needs looking at first."""
        due = self.clock.time_of(due_tick)
        late_s = time.monotonic() - due if due is not None else None
        if self.clock.position < due_tick and (late_s is None or late_s <= 0):
            return False
        self.counts["late_bars"] += 1
        what = f"bar {line + 1} {part}" if part else f"bar {line + 1}"
        amount = f" {late_s * 1000:.1f} ms" if late_s is not None else ""
        self.log(
            f"{what} written{amount} {'late' if part else 'after its bar line'} (the inference worker fell behind)"
        )
        return True

    def _lock_source(self, line: int) -> list[Hit]:
        if not self.controls.lock or not self.call_bars:
            return []
        lines = sorted(self.call_bars)
        return self.call_bars[lines[(line - lines[0]) % len(lines)]]

    # -- sending ------------------------------------------------------------------------------

    def _send_due(self, now: float) -> None:
        if not self.clock.running or self.stalled:
            return
        if self.clock.tick_interval is None:
            # No tempo yet (the first ticks, or ticks bunched after a pause): nothing can be sent
            # ahead, but what is due by the count of ticks received goes now, not a tempo later.
            horizon = float(self.clock.position)
        else:
            horizon = min(self.clock.position_estimate(now + SEND_EARLY_S - self._offset_s()), self._sending_limit())
        messages = self.scheduler.due(horizon)
        if not messages:
            return
        for message in messages:
            if message[0] & 0xF0 == NOTE_ON:
                self.counts["notes_sent"] += 1
                self.recent_sends.append((now, message[0] & 0x0F, message[1]))
        self._send_all(messages)
        self._count_late(now, self._offset_s())

    def _fresh_clock(self) -> None:
        """A new ClockTracker, with nothing of it logged yet."""
        self.clock = ClockTracker(self.clock.input_period)
        self.logged_delays = self.logged_gaps = self.logged_repeats = 0

    def _log_clock_anomalies(self) -> None:
        """Long intervals between ticks, and a clock held up as a whole (a stalled machine or audio
        server): worth knowing when the timing is off."""
        if self.clock.gaps != self.logged_gaps and self.clock.last_gap is not None:
            position, length = self.clock.last_gap
            self.log(f"clock: a gap of {length:.2f} tick intervals before tick {position}")
        self.logged_gaps = self.clock.gaps
        if self.clock.delays != self.logged_delays:
            self.log(f"clock: held up before tick {self.clock.position} and went on later at the same tempo")
        self.logged_delays = self.clock.delays
        if self.clock.repeats > self.logged_repeats:
            position = self.clock.position
            self.log(f"clock: tick {position} came twice (a late JACK client gets a cycle twice): counted once")
        self.logged_repeats = self.clock.repeats

    def _sending_limit(self) -> float:
        """How far past the last tick received notes may go: ClockTracker.sending_limit (a clock
        that dies without Stop lets at most that much through before the stall check), plus a
        negative output offset's worth of ticks."""
        return self.clock.sending_limit() + max(0.0, -self._offset_s()) / self.clock.tick_interval

    def _count_late(self, now: float, offset: float) -> None:
        for position in self.scheduler.released_note_ons:
            when = self.clock.time_of(position)
            if when is not None and now - (when + offset) > LATE_S:
                self.counts["late_notes"] += 1

    def _send_all(self, messages) -> None:
        for message in messages:
            try:
                self.send_midi(message)
            except Exception as error:  # noqa: BLE001 - a dead port must not kill the engine
                self.log(f"output port error: {error}")
                return

    # -- commands and transport ----------------------------------------------------------------

    def _on_command(self, name: str, value) -> None:
        line = self.clock.position // TICKS_PER_BAR
        if name == "trigger":
            if self.conductor.state == LOOPING:
                self.takes.chosen = None  # a new loop replaces any undo/redo choice
            self._carry_out(self.conductor.trigger(self._last_line_open()), line)
        elif name == "listen":
            self._carry_out(self.conductor.listen(line + 1), line)
        elif name in ("arm", "disarm"):
            self.armed = name == "arm"
            if not self.armed:
                self._carry_out(self.conductor.listen(line + 1), line)
        elif name == "panic":
            self.epoch = self.worker.cancel()
            self._send_all(self.scheduler.panic())
            self.conductor.listen(line + 1)
            self.log("panic: all notes off")
        elif name == "controls":
            self.controls = value
        elif name == "bpm":
            self.internal_bpm = float(value)
        elif name == "preset":
            self._apply_preset(value)
        elif name in ("undo", "redo"):
            self._step_takes(name)
        else:
            self.log(f"unknown command {name!r}")

    def _last_line_open(self) -> int:
        """The line of the bar whose cut is still to come: a loop can switch at the line after it at the
        earliest (in the last CUT_AHEAD_S before a bar line that line's cut has passed already)."""
        if self.next_line is not None:
            return self.next_line - 1
        return self.clock.position // TICKS_PER_BAR

    # -- presets, applied live ------------------------------------------------------------

    def _apply_preset(self, new: LiveSettings) -> None:
        """Everything a preset sets, without a restart; the mode restarts at the next bar line if it changed."""
        self.controls = new.controls
        self.input_channel = new.input_channel
        self.recorder.note_map, self.recorder.channels = dict(new.input_classes), new.input_channels
        self.output_notes = new.output_notes
        if new.output_channel != self.scheduler.channel:
            self._send_all(self.scheduler.change_channel(new.output_channel))  # what sounds stops on the old one
        self.trigger_note, self.trigger_cc = new.trigger_note, new.trigger_cc
        self.cc_controls = new.cc_controls
        self.internal_bpm = new.bpm
        if new.preset.name != self.preset.name:
            self.log(f"preset {new.preset.name}: {new.preset['preset']['description'] or new.mode.kind}")
        else:  # the same preset edited (the TUI sends each change)
            self.log(f"preset {new.preset.name}: settings updated")
        self.preset = new.preset
        self._apply_mode(new.mode)
        self._set_clock_source(self.clock_override or new.clock_source)

    def _apply_mode(self, settings: ModeSettings) -> None:
        """A new mode kind or new bar counts: a fresh conductor makes the decision at the next bar line.

        Notes already scheduled still play (an answer finishes, a planned bar
        sounds) unless the kind changed: then they are dropped from the next
        bar line on, and the model's work in progress with them.
        """
        old = self.conductor.settings
        if settings == old:
            return
        if (settings.kind, settings.listen_bars, settings.response_bars, settings.loop_bars) == (
            old.kind, old.listen_bars, old.response_bars, old.loop_bars
        ):  # fmt: skip
            self.conductor.settings = settings  # only silence_beats: read at the next decision, no restart
            return
        line = self._last_line_open() + 1
        if settings.kind != old.kind:
            self.epoch = self.worker.cancel()
            self.scheduler.drop_from(line * TICKS_PER_BAR)
            self.bar_history.drop_generated_from(line)
            self.answer = None
        self.conductor = Conductor(settings)
        self.takes.clear()  # earlier loops/answers may not fit the new bar counts
        self.log(f"mode {settings.kind}: listening from bar {max(line, 0) + 1}")

    def _set_clock_source(self, source: str) -> None:
        """Switch between the internal clock and the DAW's; a switch silences and restarts the performance."""
        if source == self.clock_source:
            return
        self.clock_source = source
        if source == "auto":  # the internal clock until the DAW's clock comes; the DAW's once it has
            internal_wanted = not self.following_external or not self.heard_external_clock
        else:
            internal_wanted = source == "internal"
        if internal_wanted == (not self.following_external):
            self.log(f"clock source {source}")
            return
        self._reset_performance(self.clock.position)
        self._fresh_clock()
        self.following_external, self.internal_next_tick = not internal_wanted, None
        if internal_wanted:
            self.log(f"clock source {source}: the internal clock")
            self._start_internal_clock(time.monotonic())
        else:
            self.log("clock source external: waiting for MIDI clock")

    # -- undo / redo ----------------------------------------------------------------------------

    def _step_takes(self, name: str) -> None:
        """Undo/redo through the last 16 generated loops or answers.

        - loop: the loop before (undo) or after (redo) the chosen one plays
          from the next loop boundary, as a regeneration would.  Undo while
          a regeneration is still on its way cancels that instead.
        - call & response: the NEXT answer repeats an earlier answer's bars
          instead of a new one (undo steps back one answer per press, redo
          forward; redo past the newest makes the next answer new again).
          The model still hears the call.
        - continuous: nothing to undo; the model follows what you play.
        """
        kind, back = self.conductor.settings.kind, name == "undo"
        if kind == "continuous":
            self.log(f"{name}: nothing to {name} in continuous mode")
        elif kind == "loop":
            self._step_loop(name, back)
        elif self.takes.back() if back else self.takes.forward(fresh_after_newest=True):
            chosen, count = self.takes.chosen, len(self.takes.items)
            self.log(
                f"{name}: the next answer is new"
                if chosen is None
                else f"{name}: the next answer repeats answer {chosen + 1}/{count}"
            )
        else:
            self.log(f"{name}: nothing to {name}")

    def _step_loop(self, name: str, back: bool) -> None:
        conductor = self.conductor
        if conductor.state != LOOPING:
            self.log(f"{name}: nothing to {name} (no loop playing)")
            return
        regenerating = conductor.pending_loop_start is not None and not conductor.recalling
        if back and regenerating:
            self._cancel_pending_loop()
            self.log(f"undo: regeneration cancelled; loop {self.takes.current + 1}/{len(self.takes.items)} goes on")
            return
        if not (self.takes.back() if back else self.takes.forward(fresh_after_newest=False)):
            self.log(f"{name}: nothing to {name}")
            return
        self._cancel_pending_loop()
        count = len(self.takes.items)
        if self.takes.chosen == self.takes.current:
            self.takes.chosen = None
            self.log(f"{name}: loop {self.takes.current + 1}/{count} goes on")
            return
        self.pending_loop_bars = self.takes.items[self.takes.chosen]
        boundary = conductor.recall(self._last_line_open())
        self.log(f"{name}: loop {self.takes.chosen + 1}/{count} from bar {boundary + 1}")

    def _cancel_pending_loop(self) -> None:
        """Forget a regeneration on its way (or a recall): its bars are dropped, the current loop repeats."""
        boundary = self.conductor.pending_loop_start
        if boundary is None:
            return
        if not self.conductor.recalling:
            self.epoch = self.worker.cancel()
            self.scheduler.drop_from(boundary * TICKS_PER_BAR)
            self.bar_history.drop_generated_from(boundary)
        self.conductor.cancel_pending()
        self.pending_loop_bars = {}

    def _reset_performance(self, sent_until_tick: int | None) -> None:
        """Stop, jump, stall: silence now, forget planned notes and the seed being recorded.

        sent_until_tick: where the song was while notes went out; generated
        bars after that bar were never sent and leave the history (None: the
        clock was not running, nothing was planned since the last reset).
        """
        self.epoch = self.worker.cancel()
        self._send_all(self.scheduler.silence())
        if sent_until_tick is not None:
            self.bar_history.drop_generated_from(max(sent_until_tick, 0) // TICKS_PER_BAR + 1)
        self.answer = None
        self.downbeats.clear()
        self.previewed = (-1, 0)
        self.recorder.clear()
        self.last_hit_tick = None
        self.next_line = None

    def _restart_at(self, first_tick: int) -> None:
        """The song (re)starts at `first_tick`: the first cut is the next bar line after it."""
        self.next_line = first_tick // TICKS_PER_BAR + 1
        self.previewed = (-1, 0)
        line = -(-first_tick // TICKS_PER_BAR)
        self._carry_out(self.conductor.resume(line), line)
        if self.conductor.pending_loop_start is None:
            self.takes.chosen = None  # resume dropped a pending recall

    # -- status ------------------------------------------------------------------------------

    def _snapshot(self) -> EngineStatus:
        source = "external" if self.following_external else ("internal" if self.internal_next_tick else "waiting")
        c = self.counts
        return EngineStatus(
            source, self.clock.running, self.stalled, self.clock.bpm, max(self.clock.position, 0),
            self.conductor.state if self.armed else "disarmed", self.armed,
            c["notes_sent"], c["late_notes"], c["bars_generated"], c["late_bars"], self.controls,
            self.bar_history.recent(), self.preset.name, self.conductor.settings.kind, self.controls.offset_ms,
            self.takes.position(),
        )  # fmt: skip

    def _publish(self) -> None:
        snapshot = self._snapshot()
        with self._status_lock:
            self._status = snapshot
