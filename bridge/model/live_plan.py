"""The live stream's bar plan: what each bar asks of a conditioned model while the bridge plays.

Offline, a seed is known whole before the model writes (conditions.continuation_plan).
Live, a bar is fed as it is played, so its conditions must be known before its
notes are: a heard bar gets the style asked for, "not a fill" and no density
(the model guesses them, as it learned to with condition dropout) and its place
in the phrase; a bar the model writes gets what the producer asks for now
(style, density, a fill every N bars or on cue).  Bars are counted from the
stream's reset (the first bar of the call), as a drummer counts phrases from
the top, and a stream rewound to a bar line keeps its count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.music.conditions import (
    FILL_NO,
    FILL_STRENGTH,
    FILL_YES,
    FOLLOW,
    UNKNOWN,
    BarPlan,
    Condition,
    density_hold,
    density_value,
    phrase_value,
)


@dataclass(frozen=True)
class BarRequest:
    """The model-side controls a job's generated bars ask for (carried by each Job)."""

    style: str = FOLLOW  # a style the model lists (controls.model_styles), or follow: the seed decides
    density: float = 1.0  # times the density of the last bar heard (1 = as the seed)
    fill_every: int = 0  # a fill on the last bar of every N counted from the call (0 = never)
    fill_lines: frozenset[int] = field(default_factory=frozenset)  # song lines asked to be fills (on cue)

    def is_fill(self, bar: int, song_line: int) -> bool:
        by_phrase = self.fill_every > 0 and (bar + 1) % self.fill_every == 0
        return by_phrase or song_line in self.fill_lines


class LivePlan(BarPlan):
    """Conditions by the stream's bar index (0 = the bar its reset stands on).

    A bar is the model's unless it is marked heard: a bar line is fed before
    the bar it opens is known, and the bar after one the model wrote is most
    often the model's again (continuous mode, the rest of an answer).
    """

    def __init__(self, styles: list[str]) -> None:
        super().__init__()
        self.style_values = {name: value for value, name in enumerate(styles)}  # "follow" is 0
        self.request = BarRequest()
        self.line_offset = 0  # song line of a written bar = its bar index + this (a loop rewinds the stream)
        self.heard: set[int] = {0}
        self.reference_hits = 0  # hits of the last heard bar with any: what density multiplies

    def reset(self) -> None:
        """A fresh stream: its first bar is the call's."""
        self.heard = {0}
        self.reference_hits = 0

    def hearing(self, bar: int, hits: int | None = None) -> None:
        """Bar `bar` is played, not written; `hits`, once the whole bar is known, is the reference of
        later densities (a bar with none keeps the last)."""
        self.heard.add(bar)
        if hits:
            self.reference_hits = hits

    def will_write(self, first_bar: int, first_song_line: int, request: BarRequest) -> None:
        """Bars from first_bar on (song lines from first_song_line on) are the model's, asking for
        `request`, until a bar is heard again."""
        self.request = request
        self.line_offset = first_song_line - first_bar
        self.heard = {bar for bar in self.heard if bar < first_bar}

    def at(self, bar: int) -> Condition:
        if bar < 0:
            return (UNKNOWN, FILL_NO, UNKNOWN, UNKNOWN)
        # A style the model does not list was refused before it reached a job (Engine.command).
        style = self.style_values.get(self.request.style, UNKNOWN)
        if bar in self.heard:
            return (style, FILL_NO, UNKNOWN, phrase_value(bar))
        fill = FILL_YES if self._is_fill(bar) else FILL_NO
        return (style, fill, self._density(), phrase_value(bar))

    def hold(self, bar: int) -> float:
        if bar < 0 or bar in self.heard:
            return 1.0
        return 0.0 if self._is_fill(bar) else density_hold(self.request.density)

    def strength(self, bar: int) -> float:
        """Fill guidance of a written fill bar (bridge/model/fill_guidance.py), as offline; 1 elsewhere."""
        if bar < 0 or bar in self.heard or not self._is_fill(bar):
            return 1.0
        return FILL_STRENGTH

    def _is_fill(self, bar: int) -> bool:
        return self.request.is_fill(bar, bar + self.line_offset)

    def _density(self) -> int:
        """Density 1 leaves the input unset (the model reads the groove); another factor asks for that
        many times the reference bar's hits, and 0 asks for an empty bar."""
        factor = self.request.density
        if factor == 1.0 or (factor and not self.reference_hits):
            return UNKNOWN
        return density_value(self.reference_hits * factor)
