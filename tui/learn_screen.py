"""MIDI learn (ctrl+l): pick a control, move a knob or press a pad, and the preset maps it.

The list shows every control that can be mapped (bridge/settings/midi_map.py)
with what moves it now.  Choosing one asks the bridge to learn: the first CC
or note-on it sees, on any channel, is reported in its status instead of
played, and this screen writes it into the preset (taken from any control
that had it), as an edit like any other: the preset shows unsaved, ctrl+s
keeps it.  Esc stops learning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from bridge.live.events import Learn
from bridge.settings.midi_map import LEARNABLE, LearnError, learn, mapping_of

if TYPE_CHECKING:
    from bridge.settings.midi_map import Learned

    from .app import BeatGenApp

POLL_S = 0.05


def control_label(values: dict, control: str) -> str:
    return f"{control.replace('_', ' '):<18} {mapping_of(values, control)}"


class LearnScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    LearnScreen { align: center middle; background: $background 60%; }
    LearnScreen > Vertical { width: 72; max-width: 100%; height: 80%; border: thick $accent;
        background: $surface; padding: 1 2; }
    LearnScreen OptionList { height: 1fr; }
    LearnScreen #learn-state { height: auto; margin: 1 0 0 0; }
    LearnScreen #learn-state.-error { color: $error; }
    """
    BINDINGS = [Binding("escape", "cancel", "Close")]

    def __init__(self) -> None:
        super().__init__()
        self.control: str | None = None  # the control waiting for a knob or pad
        self.seen = 0  # the bridge's last learned message before this wait began

    @property
    def beatgen(self) -> BeatGenApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        values = self.beatgen.values
        with Vertical():
            yield Label("MIDI learn: choose a control, then move a knob or press a pad (esc closes)")
            yield OptionList(*(Option(control_label(values, c), id=c) for c in LEARNABLE), id="learn-controls")
            yield Static("", id="learn-state", markup=False)

    def on_mount(self) -> None:
        self.set_interval(POLL_S, self._check)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        control = event.option.id
        if control is None:
            return
        status = self.beatgen.status
        self.seen = status.learned.sequence if status is not None and status.learned is not None else 0
        if not self.beatgen.send(Learn(True)):
            self._show("no bridge is running: open the MIDI ports first (w, or r to retry)", error=True)
            return
        self.control = control
        self._show(f"{control.replace('_', ' ')}: move a knob or press a pad…")

    def _check(self) -> None:
        status = self.beatgen.status
        learned = status.learned if status is not None else None
        if self.control is None or learned is None or learned.sequence <= self.seen:
            return
        self.seen = learned.sequence
        self._apply(self.control, learned)

    def _apply(self, control: str, learned: Learned) -> None:
        app = self.beatgen
        try:
            values = learn(app.values, control, learned)
        except LearnError as error:
            app.send(Learn(True))  # the bridge stopped learning at that message: wait for another
            self._show(f"{error}; try another", error=True)
            return
        self.control = None
        for section, keys in values.items():
            for key, value in keys.items():
                if app.values[section][key] != value:
                    app.change(section, key, value)
        listened = app.values["input"]["channel"]
        line = f"{control.replace('_', ' ')} <- {learned.describe()}; ctrl+s saves the preset"
        if listened and learned.channel != listened:
            line += f". The bridge listens on channel {listened} only: set [input] channel to 0 or {learned.channel}"
        self._show(line, error=bool(listened and learned.channel != listened))
        options = self.query_one(OptionList)
        for name in LEARNABLE:
            options.replace_option_prompt(name, control_label(app.values, name))
        app.bridge_log(f"MIDI learn: {line}")

    def _show(self, text: str, error: bool = False) -> None:
        state = self.query_one("#learn-state", Static)
        state.set_class(error, "-error")
        state.update(text)

    def action_cancel(self) -> None:
        if self.control is not None:
            self.beatgen.send(Learn(False))
        self.dismiss(None)
