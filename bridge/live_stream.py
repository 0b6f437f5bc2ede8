"""One live token stream: hear bars as they are played, play bars the model writes, rewind to a bar line.

The stream is fed bar by bar while the producer plays, so when a bar line
comes the model has already heard everything but the last bar: answering
costs one bar of tokens, never a re-run of the whole seed.  A snapshot of
the model state is kept at each recent bar line so the engine can replace a
bar the model wrote with one the producer played (continuous mode) or
regenerate a loop from the same seed.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Callable

import numpy as np

from .continuation import Continuer
from .controls import DOWNBEAT_CELL_BEATS
from .midi_files import Hit
from .sampling import SamplingSettings
from .step_model import StepModel
from .tokens import BAR, decode, encode

KEEP_SNAPSHOTS = 32  # bar lines a stream can rewind to


class LiveStream:
    """Owned by one thread (the inference worker): the step model is not thread-safe."""

    def __init__(self, model: StepModel, beats_per_bar: float = 4.0) -> None:
        self.vocabulary = model.vocabulary
        self.beats_per_bar = beats_per_bar
        self.bar_units = round(beats_per_bar * self.vocabulary.config.units_per_beat)
        self.continuer = Continuer(model, self.bar_units)
        self.line: int | None = None  # bar line (index) the stream is at; None before reset
        self._snapshots: OrderedDict[int, tuple] = OrderedDict()

    def reset(self, line: int) -> None:
        """A fresh stream standing on bar line `line`."""
        self.continuer.prime([BAR])
        self.line = line
        self._snapshots.clear()
        self._remember()

    def hear_bar(self, hits: list[Hit]) -> None:
        """Feed one played bar (hit times in beats from its start); the stream moves to the next line."""
        tokens, _positions = encode(hits, [0.0, self.beats_per_bar], self.vocabulary)
        for token in tokens[1:]:  # the opening BAR is the line the stream already stands on
            self.continuer.feed(int(token))
        self.line += 1
        self._remember()

    def play_bar(
        self, settings: SamplingSettings, rng: np.random.Generator, on_downbeat: Callable[[list[Hit]], None] | None = None
    ) -> list[Hit]:
        """Let the model write the next bar; returns its hits in beats from the bar start.

        `on_downbeat` gets the bar's downbeat hits (controls.split_downbeat) as soon as
        the model has written past them, before it writes the rest: the first notes of
        an answer can go out while the model is still at work.  It is not called when
        the bar ends first (then the bar is all downbeat, or empty).
        """
        continuer, tokens, in_bar = self.continuer, [BAR], 0
        downbeat_units = DOWNBEAT_CELL_BEATS * self.vocabulary.config.units_per_beat
        while (token := continuer.write_token(settings, rng, in_bar)) != BAR:
            tokens.append(token)
            in_bar += 1
            if on_downbeat is not None and continuer.cursor.position > downbeat_units:
                on_downbeat(decode(tokens, self.vocabulary, self.bar_units))
                on_downbeat = None
        self.line += 1
        self._remember()
        return decode(tokens + [BAR], self.vocabulary, self.bar_units)

    def rewind(self, line: int) -> bool:
        """Go back to the state at bar line `line`; False when that line is no longer remembered."""
        snapshot = self._snapshots.get(line)
        if snapshot is None:
            return False
        state, cursor, memory, logits, lookback = snapshot
        continuer = self.continuer
        continuer.model.state = state.copy()
        continuer.cursor, continuer.memory = copy.copy(cursor), _copy_memory(memory)
        continuer.logits, continuer.lookback = logits, lookback
        self.line = line
        for later in [known for known in self._snapshots if known > line]:
            del self._snapshots[later]
        return True

    def _remember(self) -> None:
        c = self.continuer
        self._snapshots[self.line] = (c.model.state.copy(), copy.copy(c.cursor), _copy_memory(c.memory), c.logits, c.lookback)
        while len(self._snapshots) > KEEP_SNAPSHOTS:
            self._snapshots.popitem(last=False)


def _copy_memory(memory):
    """BarMemory replaces its `bars` list but appends into `current`: copy just those."""
    clone = copy.copy(memory)
    clone.bars = list(memory.bars)
    clone.current = {drum: list(moments) for drum, moments in memory.current.items()}
    return clone
