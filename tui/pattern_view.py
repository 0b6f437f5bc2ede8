"""The pattern view: the 12 drum lanes by 16th steps, seed and generated bars as they play, with a playhead.

The grid is built by `PatternModel` (pure: bars in, cells out) so tests can
compare it with what the bridge really sent, and drawn by `PatternView`,
which re-renders only when what it shows changed: the window of bars, the
playhead's 16th, the selected lane or the mute/lock flags.  At 120 BPM the
playhead moves 8 times a second while status is polled 20 times, so most
polls cost a tuple comparison and no drawing.

Bars are paged like a DAW's arrangement view (bars start..start+N-1 with the
playhead inside), not scrolled, so the grid stands still while you read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.color import Color, ColorParseError
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from bridge.music.drums import DRUM_NAMES

TICKS_PER_BEAT = 24
TICKS_PER_BAR = 4 * TICKS_PER_BEAT
STEPS = 16  # 16ths in a 4/4 bar
LABEL_WIDTH = 16  # "12 ride_bell ML "
BAR_WIDTH = STEPS + 1  # the steps and a separator
KEPT_BARS = 128  # bars remembered behind the playhead (the view pages back at most this far)
EMPTY, SOFT, LOUD = "·", "•", "●"
LOUD_VELOCITY = 64


def step_of(time_beats: float) -> int:
    """The 16th a hit belongs to: the nearest one, a hit just before the bar line stays in its bar."""
    return min(max(round(time_beats * 4), 0), STEPS - 1)


@dataclass(frozen=True)
class BarCells:
    bar: int  # 0-based song bar
    source: str  # "seed" or "generated" (a bar you played over in continuous mode: "generated", both merged)
    cells: tuple[tuple[int, ...], ...]  # [lane][step] -> loudest velocity there, 0 = none

    @classmethod
    def from_views(cls, views) -> BarCells:
        """One song bar from its BarViews (a seed one, a generated one, or both: they sounded together)."""
        grid = [[0] * STEPS for _ in DRUM_NAMES]
        for view in views:
            for hit in view.hits:
                step = step_of(hit.time)
                if 0 <= hit.drum < len(DRUM_NAMES):
                    grid[hit.drum][step] = max(grid[hit.drum][step], hit.velocity)
        source = "generated" if any(view.source == "generated" for view in views) else "seed"
        return cls(views[0].bar, source, tuple(tuple(lane) for lane in grid))

    def steps(self) -> set[tuple[int, int]]:
        """(lane, step) of every hit, for comparisons in tests."""
        return {(lane, step) for lane, row in enumerate(self.cells) for step, velocity in enumerate(row) if velocity}


class PatternModel:
    """The bars the bridge reported, by song bar.

    The status carries the bridge's last 16 bars; within their span they are
    the truth (a planned bar the engine dropped at Stop disappears, a bar
    continuous mode regenerated is replaced).  Older bars are kept, up to
    KEPT_BARS behind the playhead, so paging back still shows them.
    """

    def __init__(self) -> None:
        self.bars: dict[int, BarCells] = {}
        self._seen: dict[int, tuple] = {}  # bar -> the BarViews it was built from (skip rebuilding equal ones)
        self._last_report: tuple = ()
        self.last_position = 0

    def update(self, bars, position_ticks: int) -> None:
        jumped_back = position_ticks < self.last_position - TICKS_PER_BAR
        if jumped_back or (not bars and self._last_report):
            # Start, or a jump back (SPP): the bridge forgot its bars; old ones would show under the new pass.
            self.clear()
        self.last_position = position_ticks
        if bars is not self._last_report and bars != self._last_report:
            self._last_report = bars
            by_bar: dict[int, list] = {}
            for view in bars:
                by_bar.setdefault(view.bar, []).append(view)
            if by_bar:
                first = min(by_bar)
                for gone in [b for b in self.bars if b >= first and b not in by_bar]:
                    del self.bars[gone]
                    self._seen.pop(gone, None)
            for bar, views in by_bar.items():
                key = tuple(views)
                if self._seen.get(bar) != key:
                    self._seen[bar] = key
                    self.bars[bar] = BarCells.from_views(views)
        oldest = position_ticks // TICKS_PER_BAR - KEPT_BARS
        for stale in [b for b in self.bars if b < oldest]:
            del self.bars[stale]
            self._seen.pop(stale, None)

    def clear(self) -> None:
        self.bars.clear()
        self._seen.clear()
        self._last_report = ()
        self.last_position = 0


def window_start(current_bar: int, visible: int) -> int:
    """First bar of the page holding the playhead."""
    visible = max(visible, 1)
    return (max(current_bar, 0) // visible) * visible


class PatternView(Widget, can_focus=True):
    """Drum lanes (rows) by 16th steps (columns); seed bars and generated bars in different colours."""

    class LaneSelected(Message):
        """The selected lane moved (arrow keys in the view); the app shows it in the status bar."""

        def __init__(self, lane: int) -> None:
            super().__init__()
            self.lane = lane

    DEFAULT_CSS = """
    PatternView {
        height: 14;
        width: 1fr;
        padding: 0 0;
    }
    """
    BINDINGS = [
        Binding("up", "move_lane(-1)", "Lane up", show=False),
        Binding("down", "move_lane(1)", "Lane down", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = PatternModel()
        self.position_ticks = 0
        self.playing = False
        self.selected_lane = 0
        self.muted_lanes: frozenset = frozenset()
        self.locked_lanes: frozenset = frozenset()
        self._key: tuple | None = None
        self._lines: list[Strip] = []
        self.renders = 0  # how often the grid was rebuilt (the benchmark and tests read it)

    # -- inputs -----------------------------------------------------------------------

    def show(self, bars, position_ticks: int, playing: bool, mute=frozenset(), lock=frozenset()) -> None:
        """New status: rebuild only if what is visible changed."""
        self.model.update(bars, position_ticks)
        self.position_ticks, self.playing = position_ticks, playing
        self.muted_lanes, self.locked_lanes = frozenset(mute), frozenset(lock)
        self._refresh_if_changed()

    def select_lane(self, lane: int) -> None:
        self.selected_lane = min(max(lane, 0), len(DRUM_NAMES) - 1)
        self._refresh_if_changed()

    def action_move_lane(self, delta: int) -> None:
        self.select_lane(self.selected_lane + delta)
        self.post_message(self.LaneSelected(self.selected_lane))

    def clear(self) -> None:
        self.model.clear()
        self.position_ticks = 0
        self._refresh_if_changed()

    # -- what is visible ------------------------------------------------------------------

    def visible_bars(self) -> int:
        width = self.size.width or 80
        return max((width - LABEL_WIDTH) // BAR_WIDTH, 1)

    def window(self) -> list[int]:
        count = self.visible_bars()
        start = window_start(self.position_ticks // TICKS_PER_BAR, count)
        return list(range(start, start + count))

    def playhead_step(self) -> int | None:
        if not self.playing:
            return None
        return (self.position_ticks % TICKS_PER_BAR) // (TICKS_PER_BEAT // 4)

    def _view_key(self) -> tuple:
        window = self.window()
        return (
            tuple(self.model.bars.get(bar) for bar in window),
            window[0],
            self.size.width,
            self.position_ticks // TICKS_PER_BAR if self.playing else None,
            self.playhead_step(),
            self.selected_lane,
            self.muted_lanes,
            self.locked_lanes,
            self.has_focus,
            self.app.theme if self.is_attached else None,
        )

    def _refresh_if_changed(self) -> None:
        key = self._view_key()
        if key != self._key:
            self._key = key
            self._lines = []  # rebuilt on the next render_line
            self.refresh()

    def on_resize(self) -> None:
        self._refresh_if_changed()

    def on_focus(self) -> None:
        self._refresh_if_changed()

    def on_blur(self) -> None:
        self._refresh_if_changed()

    # -- drawing ----------------------------------------------------------------------------

    def text_lines(self) -> list[Text]:
        """The grid as rich Text lines (title, ruler, one per lane)."""
        window = self.window()
        current_bar = self.position_ticks // TICKS_PER_BAR
        playhead = self.playhead_step()
        styles = _Styles(self)
        title = Text(" " * LABEL_WIDTH)
        ruler = Text()
        ruler.append("lane".ljust(LABEL_WIDTH), styles.dim)
        for bar in window:
            cells = self.model.bars.get(bar)
            name = f"{bar + 1} {cells.source if cells else ''}".rstrip()
            style = styles.source(cells.source if cells else None)
            if self.playing and bar == current_bar:
                style = style + styles.bold
            title.append(name[:STEPS].ljust(BAR_WIDTH), style)
            for step in range(STEPS):
                mark = str(step // 4 + 1) if step % 4 == 0 else "."
                ruler.append(mark, styles.playhead if (bar == current_bar and step == playhead) else styles.dim)
            ruler.append(" ")
        lines = [title, ruler]
        for lane, name in enumerate(DRUM_NAMES):
            number = str(lane + 1) if lane < 9 else " "
            flags = ("M" if lane in self.muted_lanes else " ") + ("L" if lane in self.locked_lanes else " ")
            label_style = styles.selected if lane == self.selected_lane else styles.label
            if lane in self.muted_lanes:
                label_style = label_style + styles.muted
            line = Text()  # spans, not a base style: the label's highlight must not run across the row
            line.append(f"{number:>2} {name:<10}", label_style)
            line.append(flags + " ", styles.flags)
            for bar in window:
                cells = self.model.bars.get(bar)
                row = cells.cells[lane] if cells else (0,) * STEPS
                hit_style = styles.source(cells.source if cells else None)
                if lane in self.muted_lanes:
                    hit_style = hit_style + styles.muted
                for step, velocity in enumerate(row):
                    char = EMPTY if not velocity else LOUD if velocity >= LOUD_VELOCITY else SOFT
                    style = hit_style if velocity else styles.dim
                    if bar == current_bar and step == playhead:
                        style = style + styles.playhead
                    line.append(char, style)
                line.append("│", styles.dim)
            lines.append(line)
        return lines

    def render_line(self, y: int) -> Strip:
        if not self._lines:
            self.renders += 1
            width = self.size.width
            self._lines = [
                Strip(list(line.render(self.app.console, end="")), line.cell_len).crop_extend(0, width, self.rich_style)
                for line in self.text_lines()
            ]
        if y < len(self._lines):
            return self._lines[y]
        return Strip([Segment(" " * self.size.width, self.rich_style)], self.size.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 2 + len(DRUM_NAMES)

    def render_text(self) -> str:
        """The grid as plain text (tests and snapshots read it)."""
        return "\n".join(line.plain for line in self.text_lines())


class _Styles:
    """Styles from the current theme's variables, so the grid follows the theme."""

    def __init__(self, widget: Widget) -> None:
        variables = getattr(widget.app, "theme_variables", {}) if widget.is_attached else {}
        self.seed = Style(color=_colour(variables, "accent", "cyan"))
        self.generated = Style(color=_colour(variables, "success", "green"))
        self.dim = Style(dim=True)
        self.bold = Style(bold=True)
        self.label = Style()
        self.selected = Style(reverse=True, bold=True) if widget.has_focus else Style(bold=True, underline=True)
        self.muted = Style(dim=True, strike=True)
        self.flags = Style(color=_colour(variables, "warning", "yellow"))
        self.playhead = Style(reverse=True)

    def source(self, source: str | None) -> Style:
        return self.seed if source == "seed" else self.generated if source == "generated" else self.dim


def _colour(variables: dict, name: str, fallback: str):
    try:
        return Color.parse(variables[name]).rich_color
    except (KeyError, ColorParseError):
        return fallback
