"""One live token stream: hear bars as they are played, play bars the model writes, rewind to a bar line.

The stream is fed bar by bar while the producer plays, and the bar being
played is fed ahead as it comes (hear_ahead), so when a bar line comes the
model has heard everything but the last moments: answering costs a few
tokens of hearing and one bar of writing, never a re-run of the whole seed.
A snapshot of the model state is kept at each recent bar line so the engine
can replace a bar the model wrote with one the producer played (continuous
mode) or regenerate a loop from the same seed.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from bridge.model.continuation import Continuer
from bridge.model.controls import model_styles
from bridge.model.live_plan import LivePlan
from bridge.model.step_model import StepModel
from bridge.music.hits import Hit
from bridge.music.sampling import SamplingSettings
from bridge.music.tokens import BAR, decode, encode
from bridge.settings.controls import DOWNBEAT_CELL_BEATS

KEEP_SNAPSHOTS = 32  # bar lines a stream can rewind to


class LiveStream:
    """Owned by one thread (the inference worker): the step model is not thread-safe."""

    def __init__(self, model: StepModel, beats_per_bar: float = 4.0) -> None:
        self.vocabulary = model.vocabulary
        self.beats_per_bar = beats_per_bar
        self.bar_units = round(beats_per_bar * self.vocabulary.config.units_per_beat)
        self.plan = LivePlan(model_styles(model.info))  # what each bar asks of a conditioned model
        self.continuer = Continuer(model, self.bar_units, self.plan)
        self.line: int | None = None  # bar line (index) the stream is at; None before reset
        self.reset_line: int | None = None  # the line of the last reset
        self._snapshots: OrderedDict[int, tuple] = OrderedDict()
        self._heard_ahead: list[int] = []  # tokens of the bar after `line` fed by hear_ahead

    def reset(self, line: int) -> None:
        """A fresh stream standing on bar line `line`."""
        self.plan.reset()
        self.continuer.prime([BAR])
        self.line = self.reset_line = line
        self._heard_ahead = []
        self._snapshots.clear()
        self._remember()

    @property
    def bar(self) -> int:
        """The stream's bar index since its reset (0 = the bar its reset stands on): the plan's count."""
        return self.continuer.bar

    def stands_fresh_at(self, line: int) -> bool:
        """Whether the stream is freshly reset at `line` with nothing but part of its bar heard ahead:
        a reset there would change nothing that hear_bar does not check."""
        return self.reset_line == line == self.line

    def hear_ahead(self, hits: list[Hit], until: float) -> None:
        """Feed the start of the bar being played: its onsets before `until` (beats from the bar
        start; every hit before it has arrived), so that at the bar line only the rest is left to
        hear.  hear_bar checks that what was fed is the start of the whole bar."""
        units = round(until * self.vocabulary.config.units_per_beat)
        tokens = self._bar_tokens(
            [hit for hit in hits if round(hit.time * self.vocabulary.config.units_per_beat) < units]
        )
        tokens = tokens[:-1]  # the bar line closing it comes at the cut
        self.plan.hearing(self.continuer.bar)
        if tokens[: len(self._heard_ahead)] != self._heard_ahead:
            self._back_to_line()
        for token in tokens[len(self._heard_ahead) :]:
            self.continuer.feed(token)
        self._heard_ahead = tokens

    def hear_bar(self, hits: list[Hit]) -> None:
        """Feed one played bar (hit times in beats from its start); the stream moves to the next line."""
        assert self.line is not None, "reset() the stream first"
        self.plan.hearing(self.continuer.bar, len(hits))
        tokens = self._bar_tokens(hits)
        ahead = self._heard_ahead
        if tokens[: len(ahead)] != ahead:
            self._back_to_line()  # a hit came after hear_ahead where it had already moved on
            ahead = []
        for token in tokens[len(ahead) :]:
            self.continuer.feed(token)
        self._heard_ahead = []
        self.line += 1
        self._remember()

    def _bar_tokens(self, hits: list[Hit]) -> list[int]:
        """A bar's tokens after the line the stream stands on, up to and with the closing bar line."""
        tokens, _positions = encode(hits, [0.0, self.beats_per_bar], self.vocabulary)
        return [int(token) for token in tokens[1:]]

    def _back_to_line(self) -> None:
        """Forget what hear_ahead fed: back to the state at the current line."""
        if self._heard_ahead:
            assert self.line is not None  # hear_ahead feeds only a stream standing on a line
            if not self.rewind(self.line):
                raise RuntimeError(f"no snapshot at the stream's own line {self.line}")  # _remember keeps it

    def play_bar(
        self,
        settings: SamplingSettings,
        rng: np.random.Generator,
        on_downbeat: Callable[[list[Hit]], None] | None = None,
    ) -> list[Hit]:
        """Let the model write the next bar; returns its hits in beats from the bar start.

        `on_downbeat` gets the bar's downbeat hits (controls.split_downbeat) as soon as
        the model has written past them, before it writes the rest: the first notes of
        an answer can go out while the model is still at work.  It is not called when
        the bar ends first (then the bar is all downbeat, or empty).
        """
        self._back_to_line()  # part of a bar was heard ahead, but the plan is the model's bar
        continuer, tokens, in_bar = self.continuer, [BAR], 0
        downbeat_units = DOWNBEAT_CELL_BEATS * self.vocabulary.config.units_per_beat
        while (token := continuer.write_token(settings, rng, in_bar)) != BAR:
            tokens.append(token)
            in_bar += 1
            if on_downbeat is not None and continuer.cursor.position > downbeat_units:
                on_downbeat(decode(tokens, self.vocabulary, self.bar_units))
                on_downbeat = None
        assert self.line is not None, "reset() the stream first"
        self.line += 1
        self._remember()
        return decode(tokens + [BAR], self.vocabulary, self.bar_units)

    def rewind(self, line: int) -> bool:
        """Go back to the state at bar line `line`; False when that line is no longer remembered."""
        snapshot = self._snapshots.get(line)
        if snapshot is None:
            return False
        state, cursor, memory, logits, lookback, bar, shadow = snapshot
        continuer = self.continuer
        continuer.model.state = state.copy()
        continuer.cursor, continuer.memory = copy.copy(cursor), _copy_memory(memory)
        continuer.logits, continuer.lookback, continuer.bar = logits, lookback, bar
        continuer.shadow = shadow  # a guided bar's twin as it stood at this line (Shadow is immutable)
        self.line = line
        self._heard_ahead = []
        for later in [known for known in self._snapshots if known > line]:
            del self._snapshots[later]
        return True

    def _remember(self) -> None:
        c = self.continuer
        assert self.line is not None  # called once the stream stands on a line
        self._snapshots[self.line] = (
            c.model.state.copy(),
            copy.copy(c.cursor),
            _copy_memory(c.memory),
            c.logits,
            c.lookback,
            c.bar,
            c.shadow,
        )
        while len(self._snapshots) > KEEP_SNAPSHOTS:
            self._snapshots.popitem(last=False)


def _copy_memory(memory):
    """BarMemory replaces its `bars` list but appends into `current`: copy just those."""
    clone = copy.copy(memory)
    clone.bars = list(memory.bars)
    clone.current = {drum: list(moments) for drum, moments in memory.current.items()}
    return clone
