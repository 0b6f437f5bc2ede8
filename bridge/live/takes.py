"""Undo/redo for generated material: the last 16 loops (loop mode) or answers (call & response).

A take is what the model generated in one go: a loop's bars, or one answer's
bars.  `current` is the take heard last; `chosen` is the take picked with
undo/redo to be played next instead of something new (the engine plays it
at the next loop boundary, or as the next answer).
"""

from __future__ import annotations

from typing import TypeAlias, cast

from bridge.music.hits import Hit

KEEP_TAKES = 16
# A loop (index -> hits) or an answer's bars; one kind at a time (a mode change clears the takes).
Take: TypeAlias = dict[int, list[Hit]] | list[list[Hit]]


class Takes:
    def __init__(self, keep: int = KEEP_TAKES) -> None:
        self.keep = keep
        self.items: list[Take] = []
        self.current = -1  # index of the take heard last; -1 = none yet
        self.chosen: int | None = None  # index picked by undo/redo, not yet played

    def add(self, take: Take) -> None:
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


class Repertoire:
    """Every generated bar the engine keeps to play again: the loop playing, the loop on its way,
    the answer being written, and the takes undo/redo steps through.

    Bars are kept by index within their loop or answer.  `new_loop_line` is
    the song line a loop on its way starts at (its bars arrive by song line);
    the conductor (modes.py) decides when it becomes the loop playing.
    """

    def __init__(self) -> None:
        self.takes = Takes()
        self.loop: dict[int, list[Hit]] = {}  # the loop playing: index -> hits
        self.new_loop: dict[int, list[Hit]] = {}  # a loop on its way (regenerated or recalled)
        self.new_loop_line = 0
        # (epoch, first line, bars) of the answer being written; a bar is None until it comes
        self.answer: tuple[int, int, list[list[Hit] | None]] | None = None
        # The newest answer the model wrote, (first line, bars), once it became a take: a rewrite of its
        # later bars (a model-side control changed while it played) is filled into that take in place.
        self.newest_answer: tuple[int, list[list[Hit] | None]] | None = None

    def loop_generated_from(self, line: int, first: bool) -> None:
        """A new loop is generated from `line`; the first loop of a performance plays at once."""
        self.new_loop, self.new_loop_line = {}, line
        if first:
            self.loop = self.new_loop
            self.takes.add(self.loop)

    def loop_bar(self, line: int, hits: list[Hit]) -> None:
        self.new_loop[line - self.new_loop_line] = hits

    def swap_loop(self) -> None:
        """The loop on its way is now the one playing (a recalled one or a new one)."""
        self.loop, self.new_loop = self.new_loop, {}
        if self.takes.chosen is not None:
            self.takes.played(self.takes.chosen)
        else:
            self.takes.add(self.loop)

    def recall(self) -> None:
        """The chosen take is the loop on its way (it plays from memory at the next boundary)."""
        assert self.takes.chosen is not None  # called after undo/redo chose a take
        take = self.takes.items[self.takes.chosen]
        assert isinstance(take, dict)  # loop mode keeps loops only
        self.new_loop = take

    def forget_new_loop(self) -> None:
        self.new_loop = {}

    def answer_started(self, epoch: int, first_line: int, bars: int) -> list[list[Hit]] | None:
        """Call & response: an answer starts at first_line.  Returns the bars of an earlier answer
        chosen with undo/redo to repeat (now the one heard), or None when the model writes a new one."""
        chosen = self.takes.chosen
        self.newest_answer = None
        if chosen is None:
            self.answer = (epoch, first_line, [None] * bars)
            return None
        self.takes.played(chosen)
        take = self.takes.items[chosen]
        assert isinstance(take, list)  # call & response keeps answers only
        return take[:bars]

    def answer_bar(self, epoch: int, line: int, hits: list[Hit]) -> None:
        """A bar of the answer being written; a complete answer becomes a take."""
        if self.answer is None or epoch != self.answer[0]:
            return
        _epoch, first, bars = self.answer
        if 0 <= line - first < len(bars):
            bars[line - first] = hits
            if all(bar is not None for bar in bars):
                if self.newest_answer is None or self.newest_answer[1] is not bars:
                    self.takes.add(cast("list[list[Hit]]", bars))  # every bar is there now
                self.newest_answer = (first, bars)
                self.answer = None

    def answer_rewritten(self, epoch: int, from_line: int) -> None:
        """The model writes the answer again from `from_line` (under `epoch`): its take gets the new bars."""
        if self.answer is not None:
            _epoch, first, bars = self.answer
        elif self.newest_answer is not None:
            first, bars = self.newest_answer
        else:
            return
        for index in range(max(from_line - first, 0), len(bars)):
            bars[index] = None
        self.answer = (epoch, first, bars)

    def clear(self) -> None:
        """New bar counts or mode: earlier loops and answers may not fit."""
        self.takes.clear()
