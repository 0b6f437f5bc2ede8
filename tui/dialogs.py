"""Small modal dialogs: ask for a name, confirm something destructive.

They only ask; the app decides what the answer means (saving, deleting),
so the rules about factory presets live in one place (PresetStore and the app).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

DIALOG_CSS = """
{name} {{ align: center middle; background: $background 60%; }}
{name} > Vertical {{ width: 64; height: auto; border: thick $accent; background: $surface; padding: 1 2; }}
{name} .buttons {{ height: auto; margin: 1 0 0 0; align-horizontal: right; }}
{name} Button {{ margin: 0 0 0 1; }}
{name} .error {{ color: $error; height: auto; }}
"""


def check_name(name: str) -> str | None:
    """Why a preset name is unusable, or None (the store's rule: names become file names)."""
    from bridge.settings.preset_store import MAX_NAME_LENGTH, NAME_PATTERN

    if not NAME_PATTERN.fullmatch(name):
        return f"1 to {MAX_NAME_LENGTH} letters, digits, spaces, '-' or '_', starting with a letter or digit"
    return None


class NameDialog(ModalScreen[str | None]):
    """Ask for a preset name; Enter accepts, Escape cancels."""

    DEFAULT_CSS = DIALOG_CSS.format(name="NameDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, initial: str = "") -> None:
        super().__init__()
        self.title_text, self.initial = title, initial

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(self.initial, id="name", placeholder="preset name")
            yield Static("", classes="error", id="name-error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("OK", id="ok", variant="primary")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#name-error", Static).update(check_name(event.value) or "" if event.value else "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._accept()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._accept() if event.button.id == "ok" else self.dismiss(None)

    def _accept(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        problem = check_name(name)
        if problem:
            self.query_one("#name-error", Static).update(problem)
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """Yes / no; Escape is no.  The question says exactly what will happen."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS = [Binding("escape", "no", "No"), Binding("y", "yes", "Yes")]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question, self.yes = question, yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            with Horizontal(classes="buttons"):
                yield Button("No", id="no")
                yield Button(self.yes, id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
