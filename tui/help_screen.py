"""The help overlay (`?`): every key, what the screen shows, where to read more.

KEYS is the one hand-written list of keys with an explanation (a row may name
two keys, space-separated, that do opposite things); a test checks each one
is really bound, so the overlay cannot drift from the bindings.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

# (key as Textual names it, how it is shown, what it does)
KEYS: tuple[tuple[str, str, str], ...] = (
    ("space", "space", "arm / disarm: armed, the bridge answers or continues; disarmed, it only listens"),
    ("g", "g", "regenerate now: end the call (answer on the next bar line) or, in loop mode, a new loop"),
    ("f", "f", "fill: the next bar the model writes is a fill"),
    ("p", "p", "panic: every note off at once (works in number fields too; in a text field press Esc first)"),
    ("left_square_bracket right_square_bracket", "[ ]", "temperature down / up 0.1"),
    ("s S", "s S", "next / previous style (follow: the seed decides)"),
    ("comma full_stop", ", .", "density down / up 0.1 (hits per bar, times the seed's)"),
    ("1", "1-9", "select a drum lane (also up/down in the pattern)"),
    ("l", "l", "lock the selected lane: it repeats what you played"),
    ("m", "m", "mute the selected lane"),
    ("ctrl+z ctrl+y", "ctrl+z ctrl+y", "undo / redo a generation (the previous / next take)"),
    ("ctrl+s", "ctrl+s", "save the preset (a factory preset asks for a new name)"),
    ("e", "e", "export the seed and the last generated bars as a .mid file"),
    ("w", "w", "MIDI ports: backend, input and output names (reopens the bridge)"),
    ("ctrl+l", "ctrl+l", "MIDI learn: pick a control, move a knob or press a pad"),
    ("o", "o", "offline generation: continue a MIDI file with the current preset"),
    ("r", "r", "retry opening the MIDI ports, or restart a bridge that stopped by itself"),
    ("escape", "esc", "leave a field (back to the pattern)"),
    ("ctrl+p", "ctrl+p", "command palette: load preset, ports, panic, theme, save as, export..."),
    ("question_mark", "?", "this help"),
    ("ctrl+q", "ctrl+q", "quit (every note off first)"),
)
LIST_KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "load"),
    ("n", "save the current settings under a new name"),
    ("d", "duplicate"),
    ("delete", "delete (a user preset)"),
)


def help_table() -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for _key, shown, what in KEYS:
        table.add_row(shown, what)
    # The preset list's keys on one row: the overlay fits a 40-row terminal.
    keys = Text()
    for index, (shown, what) in enumerate(LIST_KEYS):
        keys.append(("; " if index else "") + shown, style="bold")
        keys.append(f" {what}")
    table.add_row(Text("preset list", style="bold underline"), keys)
    return table


ABOUT = (
    "Status bar: MIDI ports, clock (none / running / stopped), tempo, bar:beat, what the bridge does "
    "(listening / generating / looping), output offset, temperature, style, density and fills when set, "
    "selected lane, take.\n"
    "Pattern: drum lanes by 16ths; seed bars and generated bars in two colours; the playhead is the "
    "highlighted column. M = muted, L = locked.\n"
    "Editor: every preset key; changes apply to the running bridge at once, errors show under the field. "
    "Docs: docs/tui.md, docs/presets.md, docs/setup.md."
)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; background: $background 60%; }
    HelpScreen > VerticalScroll { width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 2; border-subtitle-color: $accent; }
    HelpScreen .about { color: $text-muted; margin: 1 0 0 0; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close"),
        Binding("q", "close", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("Beat Generation - keys", style="bold"))
            yield Static(help_table())
            yield Static(ABOUT, classes="about", markup=False)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # arrows and page keys scroll it

    def on_resize(self) -> None:
        self.call_after_refresh(self._say_if_more)

    def _say_if_more(self) -> None:
        """A terminal too short for the whole help says so on the frame, with the keys that scroll."""
        scroll = self.query_one(VerticalScroll)
        scroll.border_subtitle = "more below: up/down, page up/down" if scroll.max_scroll_y > 0 else ""

    def action_close(self) -> None:
        self.dismiss(None)
