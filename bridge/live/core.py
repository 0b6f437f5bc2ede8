"""The engine core: a pure state machine, `step(event, now) -> actions` and `next_deadline()`.

No threads, no clock reads, no MIDI library: the shell (engine.py) stamps
and queues what comes in, calls `step` with the time, and carries out the
actions (send, submit or cancel a model job, log).  Tests drive it with
numbers and a fake worker.

Time is kept in song ticks (24 per quarter note) and turned into seconds
only to send: a note goes out at time_of(tick) + offset, so a negative
offset sends early by that many ms.  On a clock whose times are exact (Link)
it goes half an output period earlier still (_output_lead_s): JACK writes
what we send at the start of its next period, so a note handed over at its
time lands 0 to 1 period late, and half a period ahead centres that on 0.
A bar line's cut comes CUT_AHEAD_S before the line (plus a negative
offset): hits after it belong to the next bar (a downbeat played early), and
the model gets the whole window to write the answer's first notes.  Little
of it is needed: the worker has heard the call's bar up to its last 8th
already (_run_previews), and it hands an answer's downbeat over before it
writes the rest (Performance.on_downbeat).
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

from bridge.live import events as ev
from bridge.live.clock import DROP_AHEAD_TICKS, MIN_TICK_SECONDS, TICKS_PER_BEAT
from bridge.live.control_surface import ControlSurface
from bridge.live.core_surface import SurfaceEvents
from bridge.live.core_transport import TransportEvents
from bridge.live.events import Action, Event, Outbox
from bridge.live.midi_input import TRANSPORT_MESSAGES, usable_messages
from bridge.live.modes import HEARING, LISTENING, LOOPING
from bridge.live.note_scheduler import CONTROL_CHANGE, NOTE_OFF, NOTE_ON
from bridge.live.performance import Performance
from bridge.live.seed_recorder import SeedRecorder
from bridge.live.settings import LiveSettings
from bridge.live.status import BEATS_PER_BAR, TICKS_PER_BAR, EngineStatus, snapshot
from bridge.live.transport import SEND_EARLY_S, Transport
from bridge.settings.controls import Controls
from bridge.system.safe_text import printable

if TYPE_CHECKING:
    pass

CUT_AHEAD_S = 0.015
LATE_S = 0.003  # a note sent later than this after its time counts as late
PREVIEW_TICKS = 12  # the worker hears a call's bar ahead every 8th note (_run_previews)
IDLE_WAKE_S = 0.05  # stall checks when nothing else is due
OWN_ECHO_S = 0.2  # a note-on equal to one we sent this recently is our own output coming back
# A note woken for at its deadline is due: time_of and position_estimate round differently, and a
# horizon a hair short of the note would leave the deadline in the past (the thread would spin).
ROUNDING_TICKS = 1e-6
STOP_MARGIN_TICKS = 1e-6  # a note on a Stop's own tick is after it (the Stop silences at that time)


class EngineCore(TransportEvents, SurfaceEvents):
    def __init__(self, settings: LiveSettings, clock_override: str | None = None, auto_link: bool = False) -> None:
        self.out = Outbox()
        self.transport = Transport(settings.clock_source, clock_override, settings.bpm, self.out, auto_link)
        self.performance = Performance(settings.mode, settings.output_channel, self.out, self.transport)
        self.recorder = SeedRecorder(settings.input_classes, settings.input_channels)
        self.surface = ControlSurface()
        self._take_settings(settings)
        self.armed = True
        self.next_line: int | None = None  # the next bar line whose cut is pending
        self.previewed: tuple[int, int] = (-1, 0)  # (bar, 8th) last heard ahead (_run_previews)
        self.last_hit_tick: float | None = None
        self.recent_sends: deque[tuple[float, int, int]] = deque(maxlen=64)
        self.ignored_triggers: set[tuple[str, int]] = set()  # (trigger, channel) already logged
        self.notes_sent = self.late_notes = 0
        # Seconds between the moments the output port writes what we send (JACK's period), where known.
        self.output_period: float | None = None
        self.dropped_notes = self.run_dropped = 0  # notes of ticks bunched ahead of time (_send_due)
        self.now = 0.0

    def _take_settings(self, settings: LiveSettings) -> None:
        self.preset = settings.preset
        self.performance.output_notes = settings.output_notes  # first: new controls may re-shape notes
        self.performance.controls = settings.controls
        self.input_channel = settings.input_channel  # 0 = all
        self.recorder.note_map, self.recorder.channels = dict(settings.input_classes), settings.input_channels
        self.trigger_note, self.trigger_cc = settings.trigger_note, settings.trigger_cc
        self.fill_note, self.fill_cc = settings.fill_note, settings.fill_cc
        self.surface.cc_controls, self.surface.note_controls = settings.cc_controls, settings.note_controls

    @property
    def controls(self) -> Controls:
        return self.performance.controls

    # -- the contract -----------------------------------------------------------------------

    def step(self, event: Event, now: float) -> list[Action]:
        """Handle one event at time `now`, then do what is due by then; returns the actions in order."""
        self.now = self.performance.now = now
        self._handle(event, now)
        if not isinstance(event, ev.Closing):
            self._service(now)
        return self.out.take()

    def next_deadline(self) -> float:
        """When `step(ev.Wake(), ...)` must come at the latest: a note to send, a cut, an internal tick,
        or a stall check."""
        deadlines = [self.now + IDLE_WAKE_S]
        internal = self.transport.next_tick()
        if internal is not None:
            deadlines.append(internal)
        if self.transport.playing:
            next_position = self.performance.scheduler.next_position()
            # A note beyond the sending limit waits for the tick that moves the limit (which wakes
            # the shell); a deadline already past would spin the shell's real-time thread until then.
            if next_position is not None and self.clock.tick_interval and next_position <= self._sending_limit():
                when = self.clock.time_of(next_position)
                if when is not None:
                    deadlines.append(when + self._send_offset_s() - SEND_EARLY_S)
            # A cut waits for the ticks to come near its line (_near_line) as a note waits for its
            # tick: a cut time already past, with the clock paused, would spin the thread too.
            line = self.next_line
            if line is not None and self._near_line(line) and (when := self._cut_time(line)) is not None:
                deadlines.append(when)
        return min(deadlines)

    def status(self) -> EngineStatus:
        return snapshot(self)

    # -- events -----------------------------------------------------------------------------

    def _handle(self, event: Event, now: float) -> None:
        if isinstance(event, ev.MidiIn):
            self._on_packet(event.packet, event.stamp)
        elif isinstance(event, ev.GeneratedBar):
            self.performance.on_generated(event)
        elif isinstance(event, ev.Downbeat):
            self.performance.on_downbeat(event)
        elif isinstance(event, ev.WorkerError):
            self.out.log(event.message)
        elif isinstance(event, ev.Started):
            if self.transport.start(now):
                self._song_started()
        elif isinstance(event, ev.Closing):
            self.out.send(self.performance.scheduler.silence())
        elif isinstance(event, ev.LinkUpdate):
            self._on_link_update(event.state, now)
        elif isinstance(event, ev.LinkMissing):
            self._on_link_missing(event.reason, now)
        elif not isinstance(event, ev.Wake):
            self._on_command(event, now)

    def _service(self, now: float) -> None:
        was_running, was_position = self.clock.running, self.clock.position
        for change in self.transport.advance(now):  # Link's Start, Stop and jumps, at their times
            self._transport_changed(change, was_running, was_position)
            was_running, was_position = self.clock.running, self.clock.position
        if self.transport.check_stall(now):
            self._reset_performance(self.clock.position)
        self._run_cuts(now)
        self._run_previews()
        self._send_due(now)

    # -- incoming MIDI --------------------------------------------------------------------------

    def _on_packet(self, packet: tuple[int, ...], stamp: float) -> None:
        for message in usable_messages(packet):  # unused and broken messages are dropped there
            if message[0] in TRANSPORT_MESSAGES:
                self._on_clock_message(message, stamp)
            else:
                self._on_message(message, stamp)

    def _on_message(self, message: list[int], stamp: float) -> None:
        status = message[0]
        if self.surface.learning and self._learned(message):
            return
        if self.input_channel and status & 0x0F != self.input_channel - 1:
            self._note_trigger_elsewhere(message)
            return
        kind = status & 0xF0
        if kind == CONTROL_CHANGE:
            self._on_control_change(message[1], message[2])
        elif kind in (NOTE_ON, NOTE_OFF):
            self._on_note(message, stamp)

    def _on_note(self, message: list[int], stamp: float) -> None:
        is_on = message[0] & 0xF0 == NOTE_ON and message[2] > 0
        if is_on and self._is_own_echo(message, stamp):
            return
        if self._on_pad(message[1], is_on):  # a trigger or mapped pad is never a drum of the call
            return
        if self.controls.thru:
            self.out.send(self.performance.scheduler.pass_through(tuple(message[:3])))
        if is_on and self.transport.playing:
            position = self.clock.position_at(stamp)
            if self.recorder.feed(message, position) is not None:
                self.last_hit_tick = position

    def _is_own_echo(self, message: list[int], stamp: float) -> bool:
        key = (message[0] & 0x0F, message[1])
        return any(stamp - sent < OWN_ECHO_S and (ch, note) == key for sent, ch, note in self.recent_sends)

    # -- bar lines ----------------------------------------------------------------------------

    def _offset_s(self) -> float:
        """The output offset: where a note belongs relative to its clock time."""
        return self.controls.offset_ms / 1000.0

    def _output_lead_s(self) -> float:
        """How much earlier than its time a note is handed to the port: half the output's period on a
        clock whose times are exact (Link's timeline).  rtmidi's JACK output writes every event at
        frame 0 of the next period, so a note lands 0 to 1 period after it was sent; half a period
        early centres that on the note's time.  Not on MIDI clock: its ticks come through JACK's
        periods too, and measured against them as the DAW hears them, notes sent at their time
        already land on the grid (bench-live)."""
        if self.output_period is None or not self.clock.exact_times:
            return 0.0
        return self.output_period / 2

    def _send_offset_s(self) -> float:
        """When a note is handed to the port relative to its clock time: the offset, less the lead."""
        return self._offset_s() - self._output_lead_s()

    def _cut_time(self, line: int) -> float | None:
        when = self.clock.time_of(line * TICKS_PER_BAR)
        return None if when is None else when - CUT_AHEAD_S + min(0.0, self._send_offset_s())

    def _run_cuts(self, now: float) -> None:
        if not self.transport.playing or self.next_line is None:
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
        """Whether the ticks received are within a cut's lead of `line`: a tempo estimate gone wrong
        must not cut bars not yet played (the lead allowed: CUT_AHEAD_S and a negative offset at
        MAX_BPM, plus a tick)."""
        lead_s = CUT_AHEAD_S - min(0.0, self._send_offset_s())
        return self.clock.position >= line * TICKS_PER_BAR - (math.ceil(lead_s / MIN_TICK_SECONDS) + 1)

    def _run_previews(self) -> None:
        """Every 8th note of a bar that is part of a call, let the worker hear it so far: at the cut
        only its last 8th is left to hear before the answer is written."""
        if not self.armed or not self.transport.playing or self.next_line is None:
            return
        bar = self.next_line - 1
        start = bar * TICKS_PER_BAR
        mark = (bar, (self.clock.position - start) // PREVIEW_TICKS)
        if mark[1] < 1 or mark <= self.previewed:
            return
        self.previewed = mark
        state = self.performance.conductor.state
        starts_call = state == LISTENING and bool(self.recorder.hits)
        if state == HEARING or starts_call:
            # A tick of margin: a hit stamped before the tick just counted may still be on its way.
            until = (self.clock.position - 1 - start) / TICKS_PER_BEAT
            hits = self.recorder.bar_hits(start, BEATS_PER_BAR)
            request = self.controls.bar_request(frozenset(self.performance.fill_lines))
            self.out.submit(ev.Preview(self.performance.epoch, bar, hits, until, starts_call, request))

    def _cut(self, line: int) -> None:
        bar = line - 1
        start = bar * TICKS_PER_BAR
        hits = self.recorder.bar_hits(start, BEATS_PER_BAR)
        # Hits before the bar's start came in the last cut's window: a downbeat played early.
        only_early = bool(hits) and all(position < start for position, _drum, _velocity in self.recorder.hits)
        self.recorder.clear()
        silent = (line * TICKS_PER_BAR - self.last_hit_tick) / TICKS_PER_BEAT if self.last_hit_tick is not None else 1e9
        if not self.armed:
            return
        conductor = self.performance.conductor
        before = conductor.state
        plan = conductor.bar_ended(bar, hits, silent, only_early)
        if conductor.state != before:
            self.out.log(f"{conductor.state} at bar {line + 1}")
        self.performance.carry_out(plan)

    def _last_line_open(self) -> int:
        """The line of the bar whose cut is still to come: a loop can switch at the line after it at
        the earliest (in the last CUT_AHEAD_S before a bar line that line's cut has passed)."""
        if self.next_line is not None:
            return self.next_line - 1
        return self.clock.position // TICKS_PER_BAR

    # -- sending --------------------------------------------------------------------------------

    def due_horizon(self, now: float) -> float:
        """The song position up to which scheduled messages are due at `now`."""
        if self.clock.tick_interval is None:
            # No tempo yet (the first ticks, or ticks bunched after a pause): nothing can be sent
            # ahead, but what is due by the count of ticks received goes now, not a tempo later.
            return float(self.clock.position)
        estimate = self.clock.position_estimate(now + SEND_EARLY_S - self._send_offset_s())
        return min(estimate + ROUNDING_TICKS, self._sending_limit())

    def _send_due(self, now: float) -> None:
        if not self.transport.playing:
            return
        scheduler = self.performance.scheduler
        if self.clock.ahead > DROP_AHEAD_TICKS:  # ticks far faster than time passes: not played at once
            messages, dropped = scheduler.skip(max(self.due_horizon(now), self.clock.position))
            if dropped and not self.run_dropped:
                self.out.log(f"clock: ticks bunched ahead of time at tick {self.clock.position}: notes dropped")
            self.run_dropped, self.dropped_notes = self.run_dropped + dropped, self.dropped_notes + dropped
            self.out.send(messages)
            return
        self.run_dropped = 0
        messages = scheduler.due(self.due_horizon(now))
        if not messages:
            return
        for message in messages:
            if message[0] & 0xF0 == NOTE_ON:
                self.notes_sent += 1
                self.recent_sends.append((now, message[0] & 0x0F, message[1]))
        self.out.send(messages)
        for position in scheduler.released_note_ons:
            when = self.clock.time_of(position)
            if when is not None and now - (when + self._offset_s()) > LATE_S:
                self.late_notes += 1

    def _sending_limit(self) -> float:
        """How far past the last tick received notes may go: ClockTracker.sending_limit (a clock that
        dies without Stop lets at most that much through before the stall check), plus a negative
        output offset's (and the output lead's) worth of ticks; never at or past a Stop announced
        ahead (Link), which sending early must not outrun."""
        assert self.clock.tick_interval is not None  # both callers checked the tempo is known
        limit = self.clock.sending_limit() + max(0.0, -self._send_offset_s()) / self.clock.tick_interval
        stop = self.clock.stop_position()
        return limit if stop is None else min(limit, stop - STOP_MARGIN_TICKS)

    # -- commands and transport ---------------------------------------------------------------

    def _on_command(self, command: ev.Command, now: float) -> None:
        performance = self.performance
        line = self.clock.position // TICKS_PER_BAR
        if isinstance(command, ev.Trigger):
            if performance.conductor.state == LOOPING:
                performance.repertoire.takes.chosen = None  # a new loop replaces any undo/redo choice
            performance.carry_out(performance.conductor.trigger(self._last_line_open()))
        elif isinstance(command, ev.Listen):
            performance.carry_out(performance.conductor.listen(line + 1))
        elif isinstance(command, ev.Arm):
            self.armed = command.armed
            if not self.armed:
                performance.carry_out(performance.conductor.listen(line + 1))
        elif isinstance(command, ev.Panic):
            performance.panic(line)
        elif isinstance(command, ev.Fill):
            performance.fill()
        elif isinstance(command, ev.Learn):
            self.surface.learning = command.on
            self.out.log("MIDI learn: move a knob or press a pad" if command.on else "MIDI learn: off")
        elif isinstance(command, ev.SetControls):
            performance.controls = command.controls
        elif isinstance(command, ev.SetBpm):
            self.transport.set_bpm(float(command.bpm))
        elif isinstance(command, ev.ApplyPreset):
            self._apply_preset(command.settings, now)
        elif isinstance(command, (ev.Undo, ev.Redo)):
            performance.step_takes("undo" if isinstance(command, ev.Undo) else "redo", self._last_line_open())
        else:
            self.out.log(f"unknown command {command!r}")

    def _apply_preset(self, new: LiveSettings, now: float) -> None:
        """Everything a preset sets, without a restart; the mode restarts at the next bar line if it changed."""
        scheduler = self.performance.scheduler
        if new.output_channel != scheduler.channel:
            self.out.send(scheduler.change_channel(new.output_channel))  # what sounds stops on the old one
        same = new.preset.name == self.preset.name
        summary = f"preset {printable(new.preset.name, 80)}: settings updated" if same else new.preset.summary()
        self._take_settings(new)
        self.transport.set_bpm(new.bpm)
        self.out.log(summary)
        self.performance.apply_mode(new.mode, self._last_line_open() + 1)
        was_position = self.clock.position
        switched = self.transport.switch(new.clock_source, now)
        if switched is not None:  # a new clock: silence and restart the performance
            self._reset_performance(was_position)
            if switched == "internal":
                self._song_started()
