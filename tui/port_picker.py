"""The port picker: MIDI backend and the input/output port names; applying it reopens the bridge.

On Linux and macOS the bridge creates virtual ports under these names; on
Windows it opens existing ports whose names contain them (loopMIDI), so the
picker also lists what the chosen backend sees.  Listing runs in a thread:
asking a backend that is not there can take a moment, and it must never
freeze the screen.  The picker only returns a PortChoice; the app closes the
bridge and opens a new one with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

BACKENDS = ("auto", "alsa", "jack", "coremidi", "winmm")


@dataclass(frozen=True)
class PortChoice:
    backend: str
    in_name: str
    out_name: str


def describe_ports(backend: str) -> str:
    """What each backend sees, or why it is unavailable (the PortError text)."""
    from bridge.midi_io.ports import PortError, auto_backends, list_ports

    lines = []
    for name in auto_backends() if backend == "auto" else (backend,):
        try:
            inputs, outputs = list_ports(name)
        except PortError as error:
            lines.append(f"{name}: unavailable - {error}")
            continue
        lines.append(f"{name}: inputs {', '.join(inputs) or 'none'}; outputs {', '.join(outputs) or 'none'}")
    return "\n".join(lines)


class PortPicker(ModalScreen[PortChoice | None]):
    DEFAULT_CSS = """
    PortPicker { align: center middle; background: $background 60%; }
    PortPicker > Vertical { width: 90; max-width: 100%; height: auto; border: thick $accent;
        background: $surface; padding: 1 2; }
    PortPicker Horizontal { height: auto; }
    PortPicker .key { width: 10; padding: 1 1 0 0; }
    PortPicker Input { width: 1fr; }
    PortPicker Select { width: 24; }
    PortPicker #seen { color: $text-muted; height: auto; margin: 1 0 0 0; }
    PortPicker .buttons { align-horizontal: right; margin: 1 0 0 0; }
    PortPicker Button { margin: 0 0 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: PortChoice, scan: bool = True) -> None:
        super().__init__()
        self.current = current
        self.scan = scan  # tests turn the backend scan off where it would only repeat PortError

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("MIDI ports (applying reopens the bridge)")
            with Horizontal():
                yield Label("backend", classes="key")
                options = [(name, name) for name in BACKENDS]
                yield Select(options, value=self.current.backend, allow_blank=False, id="backend")
            with Horizontal():
                yield Label("input", classes="key")
                yield Input(self.current.in_name, id="in-name")
            with Horizontal():
                yield Label("output", classes="key")
                yield Input(self.current.out_name, id="out-name")
            yield Static("", id="seen", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Apply", id="apply", variant="primary")

    def on_mount(self) -> None:
        self._list(self.current.backend)

    def on_select_changed(self, event: Select.Changed) -> None:
        self._list(str(event.value))

    def _list(self, backend: str) -> None:
        if self.scan:
            self.query_one("#seen", Static).update(f"looking at {backend}…")
            self._scan(backend)

    @work(thread=True, exclusive=True, group="port-scan", exit_on_error=False)
    def _scan(self, backend: str) -> None:
        text = describe_ports(backend)
        self.app.call_from_thread(self._show_seen, text)

    def _show_seen(self, text: str) -> None:
        if self.is_attached:  # the picker may have been closed while the backend answered
            self.query_one("#seen", Static).update(text)

    def choice(self) -> PortChoice:
        return PortChoice(
            str(self.query_one("#backend", Select).value),
            self.query_one("#in-name", Input).value.strip() or self.current.in_name,
            self.query_one("#out-name", Input).value.strip() or self.current.out_name,
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(self.choice())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.choice() if event.button.id == "apply" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
