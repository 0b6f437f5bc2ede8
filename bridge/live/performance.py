"""The performance: the mode's plans carried out, generated bars shaped and scheduled, undo/redo.

Part of the engine core (no threads, no clock reads): every method takes
what it needs, and writes sends, jobs and log lines to the shared Outbox.
Lines are song bar indexes (bar k spans ticks 96k..96(k+1)); the model's
work carries an epoch, and work from an older epoch (planned before a Stop,
a jump, a re-seed or a panic) is dropped when it arrives.
"""

from __future__ import annotations

import numpy as np

from bridge.live.bar_history import GENERATED, SEED, BarHistory
from bridge.live.bars_out import BarsOut
from bridge.live.clock import TICKS_PER_BEAT
from bridge.live.events import Downbeat, GeneratedBar, Job, Outbox
from bridge.live.modes import ANSWERING, LOOPING, Conductor, ModeSettings, Plan
from bridge.live.note_scheduler import NoteScheduler
from bridge.live.status import BEATS_PER_BAR, TICKS_PER_BAR
from bridge.live.takes import Repertoire
from bridge.live.transport import Transport
from bridge.music.hits import Hit
from bridge.settings.controls import (
    DOWNBEAT_CELL_BEATS,
    Controls,
    feel_changed,
    humanize_rng,
    shape_pairs,
    split_downbeat,
)

# A model-side change closer than this to the next bar line is written from the line after: the model
# needs a few ms for a bar's first notes (the cut before a line leaves it 15 ms).
REWRITE_MARGIN_S = 0.03


class Performance:
    def __init__(self, mode: ModeSettings, output_channel: int, out: Outbox, transport: Transport) -> None:
        self.conductor = Conductor(mode)
        self.scheduler = NoteScheduler(channel=output_channel)
        self.bars_out = BarsOut(self.scheduler)
        self.history = BarHistory()
        self.repertoire = Repertoire()
        self.out, self.transport = out, transport
        self._controls = Controls()
        self.output_notes: tuple[int, ...] = ()
        self.rng = np.random.default_rng()
        self.epoch = 0
        self.call_bars: dict[int, list[Hit]] = {}  # line -> hits the producer played (for lock)
        self.downbeats: dict[int, tuple[int, list[Hit], bool]] = {}  # line -> (epoch, notes, late) sent ahead
        self.bars_generated = self.late_bars = 0
        self.now = 0.0  # the time of the step being handled (for how late a bar came)
        self.answer_repeated = False  # the answer playing is an earlier one chosen with undo/redo
        self.fill_lines: set[int] = set()  # song lines asked to be fills on cue (Fill)
        self.fill_pending = False  # a fill asked while nothing was written ahead: the next bar written

    @property
    def controls(self) -> Controls:
        return self._controls

    @controls.setter
    def controls(self, new: Controls) -> None:
        """New controls; a feel change (mute, lock, velocity, swing, humanize, quantize) re-shapes
        every note not yet sent, so it is heard at once rather than from the next bar."""
        old, self._controls = self._controls, new
        if feel_changed(old, new):
            for line in self.bars_out.reshape(self._shape, self.output_notes):
                self.history.put(line, GENERATED, self.bars_out.notes(line))
        if old.model_side() != new.model_side():
            self._rewrite_ahead()

    def cancel_work(self) -> None:
        """Drop every job queued or running: results of older epochs are ignored when they come."""
        self.epoch += 1
        self.out.cancel(self.epoch)

    # -- plans ------------------------------------------------------------------------------

    def carry_out(self, plan: Plan) -> None:
        if not plan:
            return
        if plan.drop_from is not None:
            self.cancel_work()
            self.bars_out.drop_from(plan.drop_from)
            self.history.drop_generated_from(plan.drop_from)
        if plan.reset_at is not None:
            self.call_bars = {}
            self.rng = humanize_rng(self.controls.random_seed)  # as the model's draws: from the call's start
        for bar_line, hits in plan.hear:
            self.call_bars[bar_line] = hits
            self.history.put(bar_line, SEED, hits)
        if plan.loop_swap and plan.generate_from is None:
            self.repertoire.swap_loop()
        if plan.loop:
            assert plan.generate_from is not None  # a loop plan always says where it starts
            self.repertoire.loop_generated_from(plan.generate_from, first=plan.loop_swap)
        if plan.play_loop_line is not None and plan.loop_index in self.repertoire.loop:
            self._schedule_bar(plan.play_loop_line, self.repertoire.loop[plan.loop_index], fresh=False)
        bars = plan.bars
        if plan.rewrite:
            assert plan.generate_from is not None  # a rewrite always says where it starts
            self.repertoire.answer_rewritten(self.epoch, plan.generate_from)
        elif plan.generate_from is not None and self.conductor.state == ANSWERING:
            bars = self._start_answer(plan.generate_from, plan.bars)
        if plan.generate_from is not None and bars and self.fill_pending:
            self.fill_pending = False  # a loop ends on it; an answer or a continuation starts with it
            self._mark_fill(plan.generate_from + (bars - 1 if plan.loop else 0))
        if plan.hear or plan.generate_from is not None or plan.reset_at is not None or plan.rewind_to is not None:
            c = self.controls
            request = c.bar_request(frozenset(self.fill_lines))
            job = Job(self.epoch, c.sampling(), c.random_seed, plan.reset_at, plan.rewind_to, plan.hear,
                      plan.generate_from, bars, plan.loop, request)  # fmt: skip
            self.out.submit(job)

    # -- fills on cue ---------------------------------------------------------------------------

    def fill(self) -> None:
        """A fill on the next bar the model writes from the next bar line on: a bar written ahead is
        written again as a fill; with nothing written ahead, the next bar written is one."""
        if not self._rewrite_ahead(fill=True):
            self.fill_pending = True
            self.out.log("fill: on the next bar the model writes")

    def _mark_fill(self, line: int) -> None:
        self.fill_lines = {known for known in self.fill_lines if known >= line - 64}  # old cues are spent
        self.fill_lines.add(line)
        self.out.log(f"fill: bar {line + 1}")

    def _rewrite_ahead(self, fill: bool = False) -> bool:
        """Model-side controls changed (or a fill was cued: its first bar becomes a fill): bars written
        ahead are written again from the next bar line (the one after, when the change comes inside the
        cut's window before it).  A bar still on its way from the model is not: the model wrote its start
        with the old controls, and its stream cannot go back to a line it has not reached.  An answer
        repeated by undo/redo stays as chosen.  Returns whether bars are written again."""
        first = self._first_rewritable_line()
        if first is None or first not in self.bars_out.parts:
            return False  # not written yet (it will be, with the new controls) or still on its way
        plan = self.conductor.rewrite_ahead(first)
        if not plan:
            return False
        assert plan.generate_from is not None  # a rewrite always says where it starts
        if fill:
            self._mark_fill(plan.generate_from)
        first_bar, last_bar = plan.generate_from + 1, plan.generate_from + plan.bars
        bars = f"bar {first_bar}" if first_bar == last_bar else f"bars {first_bar}-{last_bar}"
        self.out.log(f"model controls changed: {bars} written again")
        self.carry_out(plan)
        return True

    def _first_rewritable_line(self) -> int | None:
        """The first bar line from which bars written ahead can still be written again: the next one,
        or the one after when the change comes inside the cut's window before it or that bar's first
        notes have gone out.  None when nothing plays or the answer is one repeated by undo/redo."""
        clock = self.transport.clock
        if not self.transport.playing or self.answer_repeated:
            return None
        first = int(clock.position // TICKS_PER_BAR) + 1
        margin_ticks = REWRITE_MARGIN_S / clock.tick_interval if clock.tick_interval else 2.0
        if (
            clock.position > first * TICKS_PER_BAR - margin_ticks
            or self.scheduler.released_until >= first * TICKS_PER_BAR
        ):
            first += 1  # too close to write it in time, or its first notes have gone out already
        return first

    def _start_answer(self, first_line: int, bars: int) -> int:
        """How many bars the model must write: 0 when undo/redo chose an earlier answer to repeat."""
        repeat = self.repertoire.answer_started(self.epoch, first_line, bars)
        self.answer_repeated = repeat is not None
        if repeat is None:
            return bars
        for index, hits in enumerate(repeat):
            self._schedule_bar(first_line + index, hits, fresh=False)
        takes = self.repertoire.takes
        self.out.log(f"answer at bar {first_line + 1} repeats answer {takes.current + 1}/{len(takes.items)}")
        return 0

    # -- the worker's results -------------------------------------------------------------------

    def on_generated(self, bar: GeneratedBar) -> None:
        if bar.epoch < self.epoch:
            return  # planned before a Stop, jump or re-seed
        self.bars_generated += 1
        if bar.loop:
            self.repertoire.loop_bar(bar.line, bar.hits)
        self.repertoire.answer_bar(bar.epoch, bar.line, bar.hits)
        if bar.downbeat_sent:
            self._schedule_rest(bar)
        else:
            self._schedule_bar(bar.line, bar.hits, fresh=True)

    def on_downbeat(self, downbeat: Downbeat) -> None:
        """The first notes of a bar the worker is still writing (an answer's first bar)."""
        if downbeat.epoch < self.epoch:
            return
        line = downbeat.line
        late = self._note_late_bar(line, line * TICKS_PER_BAR)
        shaped = self._schedule_hits(line, downbeat.hits, "downbeat")
        self.downbeats[line] = (downbeat.epoch, shaped, late)
        self.history.put(line, GENERATED, shaped)

    def _schedule_rest(self, bar: GeneratedBar) -> None:
        """The notes of a bar after the downbeat the worker sent ahead (on_downbeat)."""
        epoch, _downbeat, downbeat_late = self.downbeats.pop(bar.line, (bar.epoch, [], False))
        if not downbeat_late:  # one late bar is counted once
            rest_start = bar.line * TICKS_PER_BAR + DOWNBEAT_CELL_BEATS * TICKS_PER_BEAT
            self._note_late_bar(bar.line, rest_start, "past its first 16th")
        rest = split_downbeat(bar.hits)[1]
        shaped = self._schedule_hits(bar.line, rest, "rest")
        notes = self.bars_out.notes(bar.line) if epoch == bar.epoch else shaped
        self.history.put(bar.line, GENERATED, notes)
        self._note_silent_bar(bar.line, notes)

    def _schedule_bar(self, line: int, hits: list[Hit], fresh: bool) -> None:
        if fresh:
            self._note_late_bar(line, line * TICKS_PER_BAR)
        notes = self._schedule_hits(line, hits, "bar")
        self.history.put(line, GENERATED, notes)
        if fresh:
            self._note_silent_bar(line, notes)

    def _note_silent_bar(self, line: int, notes: list[Hit]) -> None:
        """A new bar with nothing to play is logged: a silent bar was chosen, not lost."""
        if not notes:
            self.out.log(f"bar {line + 1} has no notes to play")

    def _schedule_hits(self, line: int, hits: list[Hit], part: str) -> list[Hit]:
        """Shape a bar's hits (or a part of them: "bar", "downbeat", "rest") and schedule them;
        returns the notes as shaped."""
        return self.bars_out.schedule(line, hits, part, self._shape, self.output_notes)

    def _shape(self, line: int, hits: list[Hit], part: str) -> list[tuple[Hit, Hit]]:
        """(source hit, note) pairs for a bar's `part`, with the controls and tempo of now."""
        bpm = self.transport.clock.bpm or self.transport.bpm
        lock_source = self._lock_source(line)
        if part != "bar":
            lock_source = split_downbeat(lock_source)[0 if part == "downbeat" else 1]
        return shape_pairs(hits, self.controls, bpm, self.rng, lock_source, BEATS_PER_BAR)

    def _note_late_bar(self, line: int, due_tick: float, part: str = "") -> bool:
        """Count and log a bar (or its `part`) the worker wrote after tick `due_tick` was due: what a
        late first note of an answer needs looking at first."""
        clock = self.transport.clock
        due = clock.time_of(due_tick)
        late_s = self.now - due if due is not None else None
        if clock.position < due_tick and (late_s is None or late_s <= 0):
            return False
        self.late_bars += 1
        what = f"bar {line + 1} {part}" if part else f"bar {line + 1}"
        amount = f" {late_s * 1000:.1f} ms" if late_s is not None else ""
        self.out.log(
            f"{what} written{amount} {'late' if part else 'after its bar line'} (the inference worker fell behind)"
        )
        return True

    def _lock_source(self, line: int) -> list[Hit]:
        if not self.controls.lock or not self.call_bars:
            return []
        lines = sorted(self.call_bars)
        return self.call_bars[lines[(line - lines[0]) % len(lines)]]

    # -- resets, modes, undo/redo -------------------------------------------------------------

    def reset(self, sent_until_tick: int | None) -> None:
        """Stop, jump, stall: silence now and forget planned notes.  sent_until_tick: where the song
        was while notes went out; generated bars after that bar were never sent and leave the
        history (None: the clock was not running)."""
        self.cancel_work()
        self._keep_only_played()
        self.out.send(self.bars_out.silence())
        if sent_until_tick is not None:
            self.history.drop_generated_from(max(sent_until_tick, 0) // TICKS_PER_BAR + 1)
        self.repertoire.answer = None
        self.downbeats.clear()
        self.fill_pending = False

    def _keep_only_played(self) -> None:
        """Before a silence: the history (the pattern view, MIDI export) keeps the notes that went out,
        not those the silence cancels; bars after the last note played leave it."""
        played = self.bars_out.played()
        for line, notes in played.items():
            if notes:
                self.history.put(line, GENERATED, notes)
        if played:
            last = max((line for line, notes in played.items() if notes), default=min(played) - 1)
            self.history.drop_generated_from(last + 1)

    def resume(self, line: int) -> None:
        """The song (re)starts at `line`: listen afresh, a loop keeps playing."""
        self.carry_out(self.conductor.resume(line))
        if self.conductor.pending_loop_start is None:
            self.repertoire.takes.chosen = None  # resume dropped a pending recall

    def panic(self, line: int) -> None:
        self.cancel_work()
        self._keep_only_played()
        self.out.send(self.bars_out.panic())
        self.fill_pending = False
        self.conductor.listen(line + 1)
        self.out.log("panic: all notes off")

    def apply_mode(self, settings: ModeSettings, line: int) -> None:
        """New bar counts or a new kind: a fresh conductor decides from `line`.  Notes already
        scheduled still play unless the kind changed: then they go from `line` on, with the model's
        work in progress."""
        old = self.conductor.settings
        if settings == old:
            return
        counts = (settings.kind, settings.listen_bars, settings.response_bars, settings.loop_bars)
        if counts == (old.kind, old.listen_bars, old.response_bars, old.loop_bars):
            self.conductor.settings = settings  # only silence_beats: read at the next decision, no restart
            return
        if settings.kind != old.kind:
            self.cancel_work()
            self.bars_out.drop_from(line)
            self.history.drop_generated_from(line)
            self.repertoire.answer = None
        self.conductor = Conductor(settings)
        self.repertoire.clear()
        self.out.log(f"mode {settings.kind}: listening from bar {max(line, 0) + 1}")

    def step_takes(self, name: str, current_line: int) -> None:
        """Undo/redo: in loop mode the loop before/after plays from the next loop boundary (undo while
        a regeneration is on its way cancels it); in call & response the NEXT answer repeats an
        earlier one (redo past the newest makes it new again); continuous has nothing to undo."""
        kind, back, takes = self.conductor.settings.kind, name == "undo", self.repertoire.takes
        if kind == "continuous":
            self.out.log(f"{name}: nothing to {name} in continuous mode")
        elif kind == "loop":
            self._step_loop(name, back, current_line)
        elif takes.back() if back else takes.forward(fresh_after_newest=True):
            chosen, count = takes.chosen, len(takes.items)
            what = "is new" if chosen is None else f"repeats answer {chosen + 1}/{count}"
            self.out.log(f"{name}: the next answer {what}")
        else:
            self.out.log(f"{name}: nothing to {name}")

    def _step_loop(self, name: str, back: bool, current_line: int) -> None:
        conductor, takes = self.conductor, self.repertoire.takes
        if conductor.state != LOOPING:
            self.out.log(f"{name}: nothing to {name} (no loop playing)")
            return
        regenerating = conductor.pending_loop_start is not None and not conductor.recalling
        if back and regenerating:
            self.cancel_pending_loop()
            self.out.log(f"undo: regeneration cancelled; loop {takes.current + 1}/{len(takes.items)} goes on")
            return
        if not (takes.back() if back else takes.forward(fresh_after_newest=False)):
            self.out.log(f"{name}: nothing to {name}")
            return
        self.cancel_pending_loop()
        count = len(takes.items)
        if takes.chosen == takes.current:
            takes.chosen = None
            self.out.log(f"{name}: loop {takes.current + 1}/{count} goes on")
            return
        self.repertoire.recall()
        boundary = conductor.recall(current_line)
        assert boundary is not None and takes.chosen is not None  # a loop plays and a take was chosen
        self.out.log(f"{name}: loop {takes.chosen + 1}/{count} from bar {boundary + 1}")

    def cancel_pending_loop(self) -> None:
        """Forget a regeneration on its way (or a recall): its bars are dropped, the current loop repeats."""
        boundary = self.conductor.pending_loop_start
        if boundary is None:
            return
        if not self.conductor.recalling:
            self.cancel_work()
            self.bars_out.drop_from(boundary)
            self.history.drop_generated_from(boundary)
        self.conductor.cancel_pending()
        self.repertoire.forget_new_loop()
