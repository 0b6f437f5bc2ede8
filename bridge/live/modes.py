"""What to do at each bar line: call & response, continuous, or loop (pure logic, no threads, no MIDI).

The engine calls `bar_ended(k, hits, silent_beats)` just before bar line k+1
with the hits the producer played in bar k, and carries out the returned
Plan: feed bars to the model, generate bars starting at a line, forget
notes scheduled from a line on, play a bar of the loop.  Lines are absolute
bar indexes of the song (bar k spans ticks 96k..96(k+1) in 4/4), the same
numbers the model's stream uses, so "rewind to line k" is unambiguous.

- call_response: a call starts in the bar of the first hit and lasts
  listen_bars bars, or less when the input has been silent for silence_beats;
  the answer (response_bars) starts on the next bar line; then listen again.
  Input during an answer is not part of the next call.
- continuous: after the call, generate bar after bar, two bars ahead.  A bar
  in which the producer played replaces the model's own bar in its stream
  (rewind, hear it, regenerate from the next line): new input re-seeds.  Only
  a downbeat played early (before the line) does not: it ends their phrase.
- loop: after the call, generate loop_bars once and repeat them; a trigger
  regenerates from the same seed, switching at the next loop boundary;
  `recall` switches to a loop the engine kept (undo/redo) at that boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bridge.music.hits import Hit

if TYPE_CHECKING:
    from bridge.settings.presets import Preset

LISTENING, HEARING, ANSWERING, CONTINUING, LOOPING = "listening", "hearing", "answering", "continuing", "looping"
AHEAD_BARS = 2  # continuous mode keeps this many bars generated past the current line


@dataclass
class ModeSettings:
    kind: str = "call_response"
    listen_bars: int = 2
    silence_beats: float = 0.0
    response_bars: int = 2
    loop_bars: int = 4

    @classmethod
    def from_preset(cls, preset: Preset) -> ModeSettings:
        m = preset["mode"]
        return cls(m["kind"], m["listen_bars"], m["silence_beats"], m["response_bars"], m["loop_bars"])


@dataclass
class Plan:
    reset_at: int | None = None  # start a fresh model stream standing on this line
    rewind_to: int | None = None  # go back to the stream's state at this line
    hear: list[tuple[int, list[Hit]]] = field(default_factory=list)  # played bars to feed, by line
    generate_from: int | None = None  # first line of the bars to generate
    bars: int = 0
    loop: bool = False  # the generated bars are a (new) loop
    drop_from: int | None = None  # forget notes already scheduled from this line on
    play_loop_line: int | None = None  # schedule a bar of the current loop at this line
    loop_index: int = 0
    loop_swap: bool = False  # the pending loop becomes the current one at this line
    rewrite: bool = False  # bars already written, written again (no new answer, no new take)

    def __bool__(self) -> bool:
        return self != Plan()


class Conductor:
    def __init__(self, settings: ModeSettings) -> None:
        self.settings = settings
        self.state = LISTENING
        self.call_start: int | None = None
        self.answer_end = 0  # call & response: first line after the answer
        self.generated_until = 0  # continuous: bars generated up to this line (exclusive)
        self.loop_start: int | None = None
        self.seed_line: int | None = None  # loop: the stream line where the seed ends
        self.pending_loop_start: int | None = None
        self.first_pass_until = 0  # loop: lines before this are scheduled as they are generated
        self.recalling = False  # loop: the pending loop is one played before (undo/redo), not a new one
        self.triggered = False

    # -- events -----------------------------------------------------------------

    def bar_ended(self, bar: int, hits: list[Hit], silent_beats: float, only_early: bool = False) -> Plan:
        """`only_early`: every hit of the bar came before its line, in the cut's window (a
        downbeat played early), none after it."""
        line = bar + 1
        if self.state == LISTENING and hits:
            self.state, self.call_start = HEARING, bar
            plan = Plan(reset_at=bar, hear=[(bar, hits)])
            return self._maybe_answer(plan, line, silent_beats)
        if self.state == HEARING:
            return self._maybe_answer(Plan(hear=[(bar, hits)]), line, silent_beats)
        if self.state == ANSWERING and line >= self.answer_end:
            self.state = LISTENING
        if self.state == CONTINUING:
            # A downbeat played early and nothing after it is the end of the producer's phrase
            # (the seed's last hit a tick before the line, at 174 BPM), not playing over us: heard
            # as their bar, it replaced the model's first bar with a one-hit bar and the next four
            # bars went sparse (2 notes a bar where the run at 120 BPM had 20-25).
            return self._continue(bar, [] if only_early else hits, line)
        if self.state == LOOPING:
            return self._loop_bar(line)
        self.triggered = False  # a trigger with nothing heard does not wait forever
        return Plan()

    def trigger(self, current_line: int) -> Plan:
        """Answer now (end of this bar), or in loop mode regenerate for the next loop boundary."""
        if self.state in (LISTENING, HEARING):  # listening: answers if this bar brings a call
            self.triggered = True
        elif self.state == LOOPING and self.seed_line is not None:
            boundary = self._next_boundary(current_line)
            self.pending_loop_start, self.recalling = boundary, False
            return Plan(rewind_to=self.seed_line, generate_from=boundary, bars=self.settings.loop_bars, loop=True)
        return Plan()

    def recall(self, current_line: int) -> int | None:
        """Loop mode: switch to a loop played before (the engine holds its bars) at the next boundary.

        Its first pass is played from memory like any repeat, so nothing is
        generated.  Returns the boundary line; None when no loop is playing.
        """
        if self.state != LOOPING or self.seed_line is None:
            return None
        self.pending_loop_start, self.recalling = self._next_boundary(current_line), True
        return self.pending_loop_start

    def cancel_pending(self) -> None:
        """Loop mode: forget a pending regeneration or recall; the current loop keeps repeating."""
        self.pending_loop_start, self.recalling = None, False

    def rewrite_ahead(self, first: int) -> Plan:
        """A model-side control changed: the bars written ahead, from line `first` on, are written
        again (call & response: the rest of the answer; continuous: the bars ahead).  A loop is a take
        the producer chose to keep: it changes at the next regeneration."""
        if self.state == ANSWERING:
            first, end = max(first, self.answer_end - self.settings.response_bars), self.answer_end
        elif self.state == CONTINUING:
            end = self.generated_until
        else:
            return Plan()
        if end <= first:
            return Plan()
        return Plan(rewind_to=first, drop_from=first, generate_from=first, bars=end - first, rewrite=True)

    def listen(self, current_line: int) -> Plan:
        """Forget the performance and wait for a new call."""
        Conductor.__init__(self, self.settings)
        return Plan(drop_from=current_line)

    def resume(self, line: int) -> Plan:
        """The transport restarted (Start, Continue, a jump): listen afresh, but a loop keeps playing."""
        if self.state == LOOPING and self.loop_start is not None:
            self.loop_start, self.pending_loop_start, self.first_pass_until = line, None, line
            self.recalling = False
            return Plan(play_loop_line=line, loop_index=0)
        Conductor.__init__(self, self.settings)
        return Plan()

    # -- helpers ------------------------------------------------------------------

    def _next_boundary(self, current_line: int) -> int:
        """The first loop start after the bar that begins at current_line (a pending one if set)."""
        start = self.pending_loop_start or self.loop_start
        assert start is not None  # only asked while a loop plays
        return start + -(-(current_line + 1 - start) // self.settings.loop_bars) * self.settings.loop_bars

    def _maybe_answer(self, plan: Plan, line: int, silent_beats: float) -> Plan:
        s = self.settings
        assert self.call_start is not None  # set when the call began
        heard = line - self.call_start
        done = heard >= s.listen_bars or self.triggered or (s.silence_beats and silent_beats >= s.silence_beats)
        if not done:
            return plan
        self.triggered = False
        plan.generate_from = line
        if s.kind == "call_response":
            self.state, self.answer_end, plan.bars = ANSWERING, line + s.response_bars, s.response_bars
        elif s.kind == "continuous":
            self.state, self.generated_until, plan.bars = CONTINUING, line + AHEAD_BARS, AHEAD_BARS
        else:
            self.state, self.loop_start, self.seed_line = LOOPING, line, line
            self.first_pass_until = line + s.loop_bars
            plan.bars, plan.loop, plan.loop_swap = s.loop_bars, True, True
        return plan

    def _continue(self, bar: int, hits: list[Hit], line: int) -> Plan:
        if hits:  # the producer played over us: the model hears their bar instead of its own
            self.generated_until = line + AHEAD_BARS
            return Plan(rewind_to=bar, hear=[(bar, hits)], drop_from=line, generate_from=line, bars=AHEAD_BARS)
        if self.generated_until < line + AHEAD_BARS:
            start, self.generated_until = self.generated_until, line + AHEAD_BARS
            return Plan(generate_from=start, bars=self.generated_until - start)
        return Plan()

    def _loop_bar(self, line: int) -> Plan:
        if self.pending_loop_start == line:
            self.loop_start, self.pending_loop_start = line, None
            if self.recalling:  # a loop played before: its first pass comes from memory too
                self.recalling, self.first_pass_until = False, line
                return Plan(loop_swap=True, play_loop_line=line, loop_index=0)
            self.first_pass_until = line + self.settings.loop_bars
            return Plan(loop_swap=True)  # the new loop's first pass was scheduled as it was generated
        if line < self.first_pass_until:
            return Plan()  # first pass: scheduled as generated
        assert self.loop_start is not None  # set whenever the state is LOOPING
        offset = line - self.loop_start
        return Plan(play_loop_line=line, loop_index=offset % self.settings.loop_bars)
