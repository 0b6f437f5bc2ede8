"""Undo/redo for generated material: the last 16 loops (loop mode) or answers (call & response).

A take is what the model generated in one go: a loop's bars, or one answer's
bars.  `current` is the take heard last; `chosen` is the take picked with
undo/redo to be played next instead of something new (the engine plays it
at the next loop boundary, or as the next answer).
"""

from __future__ import annotations

KEEP_TAKES = 16


class Takes:
    def __init__(self, keep: int = KEEP_TAKES) -> None:
        self.keep = keep
        self.items: list = []
        self.current = -1  # index of the take heard last; -1 = none yet
        self.chosen: int | None = None  # index picked by undo/redo, not yet played

    def add(self, take) -> None:
        """A new take was generated and is now the one heard.

        A choice made meanwhile stands (undo pressed while an answer was
        being written still picks the answer for the next call).
        """
        self.items.append(take)
        if len(self.items) > self.keep:
            del self.items[0]
            if self.chosen is not None:
                self.chosen = self.chosen - 1 if self.chosen > 0 else None
        self.current = len(self.items) - 1

    def played(self, index: int) -> None:
        """The chosen take is now the one heard."""
        self.current, self.chosen = index, None

    def back(self) -> bool:
        """Choose the take before the chosen (or current) one; False when there is none."""
        base = self.current if self.chosen is None else self.chosen
        if base - 1 < 0:
            return False
        self.chosen = base - 1
        return True

    def forward(self, fresh_after_newest: bool) -> bool:
        """Choose the take after the chosen (or current) one.

        Past the newest take: with fresh_after_newest (call & response) the
        choice is dropped, so the next answer is new again; otherwise False.
        """
        base = self.current if self.chosen is None else self.chosen
        if base + 1 < len(self.items):
            self.chosen = base + 1
            return True
        if fresh_after_newest and self.chosen is not None:
            self.chosen = None
            return True
        return False

    def clear(self) -> None:
        self.items, self.current, self.chosen = [], -1, None

    def position(self) -> tuple[int, int]:
        """(index of the chosen take, or of the current one; count); (0, 0) when there is none."""
        index = self.current if self.chosen is None else self.chosen
        return max(index, 0), len(self.items)
