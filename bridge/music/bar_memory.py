"""Lookback inputs: what the groove did at this point of each of the last two bars.

Drummers repeat themselves bar to bar, and an LSTM left alone is poor at exact
repetition.  Like Magenta's Lookback RNN, the model therefore also reads what
happened "here" one and two bars ago: for the cursor's place in the bar
(position, and the last drum hit at that position) the nearest matching moment
of that earlier bar is found and the token that followed it there is proposed.
A proposed shift is re-aimed to land where that bar's next onset was, so the
proposal follows the earlier bar's grid, not just its spacing.  PAD means "no
proposal" (no earlier bar yet, or nothing close enough).  Everything here is
deterministic in the token history, so training and generation compute it the
same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bridge.music.tokens import BAR, PAD, BarCursor, Vocabulary

# Moments further apart than this (grid units of 1/96 beat) do not match:
# a 64th note, wider than most human timing differences between bars.
MATCH_TOLERANCE_UNITS = 6
LOOKBACK_BARS = 2


class BarMemory:
    """Remembers the last LOOKBACK_BARS bars of a token stream as (position, last drum, next token)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.bars: list[dict[int, list[tuple[int, int]]]] = []  # per bar: last drum -> [(position, next token)]
        self.current: dict[int, list[tuple[int, int]]] = {}
        self.shift_by_size = {size: vocabulary.shift_token(size) for size in vocabulary.config.shift_sizes}

    def record(self, cursor: BarCursor, token: int) -> None:
        """Remember `token` as what followed the cursor's state; call before the cursor advances."""
        if cursor.bar < 0:
            return
        self.current.setdefault(cursor.last_drum, []).append((cursor.position, token))
        if token == BAR:
            self.bars = (self.bars + [self.current])[-LOOKBACK_BARS:]
            self.current = {}

    def lookback(self, cursor: BarCursor) -> tuple[int, ...]:
        """Proposed next token from one bar ago, two bars ago, ... (PAD where none)."""
        proposals = [self._proposal(bar, cursor) for bar in reversed(self.bars)]
        return tuple(proposals + [PAD] * (LOOKBACK_BARS - len(proposals)))

    def _proposal(self, bar: dict[int, list[tuple[int, int]]], cursor: BarCursor) -> int:
        moments = bar.get(cursor.last_drum)
        if not moments:
            return PAD
        position, token = min(moments, key=lambda moment: abs(moment[0] - cursor.position))
        if abs(position - cursor.position) > MATCH_TOLERANCE_UNITS:
            return PAD
        units = int(self.vocabulary.shift_units[token])
        if not units:
            return token
        target = position + units - cursor.position  # land where that bar's next onset was
        if target <= 0:
            return PAD
        return self.shift_by_size.get(target) or self.shift_by_size[self.vocabulary.split_gap(target)[0]]


def lookback_signature() -> dict[str, int]:
    """Stored in model.json: a model trained with other lookback rules is refused."""
    return {"bars": LOOKBACK_BARS, "match_tolerance_units": MATCH_TOLERANCE_UNITS}


def lookback_inputs(tokens: Sequence[int] | npt.NDArray[np.integer], vocabulary: Vocabulary) -> np.ndarray:
    """Lookback tokens after each token of a stream that starts with BAR: shape (len, LOOKBACK_BARS)."""
    cursor = BarCursor(vocabulary, 0)
    memory = BarMemory(vocabulary)
    result = np.zeros((len(tokens), LOOKBACK_BARS), np.int32)
    for index, token in enumerate(tokens):
        memory.record(cursor, int(token))
        cursor.advance(int(token))
        result[index] = memory.lookback(cursor)
    return result
