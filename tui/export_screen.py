"""Export: where to write the .mid file and how many generated bars to keep after the seed.

The dialog only asks; the app takes the bars from the bridge's history and
writes them with bridge.export.export_midi, so an export from the command
palette and one from `e` are the same code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

DEFAULT_BARS = 8
MAX_BARS = 256


@dataclass(frozen=True)
class ExportRequest:
    path: Path
    generated_bars: int


def default_export_path() -> Path:
    return Path("out") / time.strftime("beatgen-%Y%m%d-%H%M%S.mid")


def check_request(path_text: str, bars_text: str) -> ExportRequest | str:
    """The request, or what is wrong with it."""
    path_text = path_text.strip()
    if not path_text:
        return "say where to write the file"
    path = Path(path_text)
    if path.suffix.lower() not in (".mid", ".midi"):
        path = path.with_suffix(".mid")
    try:
        bars = int(bars_text)
    except ValueError:
        return f"generated bars must be a whole number from 1 to {MAX_BARS}"
    if not 1 <= bars <= MAX_BARS:
        return f"generated bars must be from 1 to {MAX_BARS}"
    return ExportRequest(path, bars)


class ExportScreen(ModalScreen[ExportRequest | None]):
    DEFAULT_CSS = """
    ExportScreen { align: center middle; background: $background 60%; }
    ExportScreen > Vertical { width: 80; max-width: 100%; height: auto; border: thick $accent;
        background: $surface; padding: 1 2; }
    ExportScreen Horizontal { height: auto; }
    ExportScreen .key { width: 18; padding: 1 1 0 0; }
    ExportScreen Input { width: 1fr; }
    ExportScreen #export-error { color: $error; height: auto; }
    ExportScreen .buttons { align-horizontal: right; margin: 1 0 0 0; }
    ExportScreen Button { margin: 0 0 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, path: Path | None = None, bars: int = DEFAULT_BARS) -> None:
        super().__init__()
        self.path, self.bars = path or default_export_path(), bars

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export the seed and the last generated bars as a MIDI file")
            with Horizontal():
                yield Label("file", classes="key")
                yield Input(str(self.path), id="export-path")
            with Horizontal():
                yield Label("generated bars", classes="key")
                yield Input(str(self.bars), id="export-bars", type="integer")
            yield Static("", id="export-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Export", id="export", variant="primary")

    def _accept(self) -> None:
        path, bars = self.query_one("#export-path", Input).value, self.query_one("#export-bars", Input).value
        request = check_request(path, bars)
        if isinstance(request, str):
            self.query_one("#export-error", Static).update(request)
            return
        self.dismiss(request)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._accept()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._accept() if event.button.id == "export" else self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
