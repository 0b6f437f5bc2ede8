"""The preset list: factory presets, then the user's presets folder; broken files shown, never hidden.

A preset file that fails validation stays in the list with a warning sign;
highlighting it shows its error (file, key, allowed range) under the list,
and choosing it only repeats the error, so one bad file never stops the app.
Each line's id is the preset's name, except for a user file named exactly
like a factory preset (copied in by hand): its id is "user/NAME" ("/" is in
no preset name), since two lines with one id would stop Textual's list.
Enter (or a click) asks the app to load the highlighted preset; n / d /
delete ask it to save as, duplicate or delete (the app confirms and does it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from bridge.settings.preset_store import PresetEntry


class PresetList(Vertical):
    DEFAULT_CSS = """
    PresetList { width: 34; height: 1fr; border-right: solid $panel-lighten-2; }
    PresetList > .title { color: $accent; text-style: bold; padding: 0 1; }
    PresetList OptionList { height: 1fr; border: none; padding: 0; }
    PresetList #preset-detail { height: auto; max-height: 6; padding: 0 1; color: $text-muted; }
    PresetList #preset-detail.-error { color: $error; }
    """
    BINDINGS = [
        Binding("n", "request('save_as')", "Save as"),
        Binding("d", "request('duplicate')", "Duplicate"),
        Binding("delete", "request('delete')", "Delete"),
    ]

    class Chosen(Message):
        """Enter or click on a preset: load it (`error`: it was listed broken; the app shows why instead)."""

        def __init__(self, name: str, error: str | None = None) -> None:
            super().__init__()
            self.name, self.error = name, error

    class Requested(Message):
        """save_as / duplicate / delete for the highlighted preset."""

        def __init__(self, action: str, name: str) -> None:
            super().__init__()
            self.action, self.name = action, name

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: dict[str, PresetEntry] = {}
        self.current: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("presets", classes="title")
        yield OptionList(id="preset-options")
        yield Static("", id="preset-detail")

    @property
    def options(self) -> OptionList:
        return self.query_one("#preset-options", OptionList)

    def set_entries(self, entries, current: str | None, modified: bool = False) -> None:
        """Fill the list (PresetEntry objects: factory ones first, as the store gives them).

        `entries` maps each line's id to its entry (see the module docstring for the ids).
        """
        self.entries = {}
        for entry in entries:
            self.entries[entry.name if entry.name not in self.entries else f"user/{entry.name}"] = entry
        self.current = current
        options = self.options
        highlighted = options.highlighted_option.id if options.highlighted_option else current
        options.clear_options()
        for key, entry in self.entries.items():
            playing = key == current  # by name the factory file wins, so a clashing user line is never the one playing
            options.add_option(Option(self._prompt(entry, playing, modified and playing), id=key))
        keys = list(self.entries)
        index = keys.index(highlighted) if highlighted in keys else keys.index(current) if current in keys else None
        if index is not None:
            options.highlighted = index
        self._show_detail(self.highlighted_name())

    def _prompt(self, entry, playing: bool, modified: bool) -> Text:
        text = Text("▶ " if playing else "  ")
        text.append(entry.name + ("*" if modified else ""), "bold" if playing else "")
        if entry.error:
            text.append("  ⚠ broken", "bold red")
        elif entry.factory:
            text.append("  factory", "dim")
        return text

    def highlighted_name(self) -> str | None:
        option = self.options.highlighted_option
        return option.id if option else None

    def _show_detail(self, name: str | None) -> None:
        detail = self.query_one("#preset-detail", Static)
        entry = self.entries.get(name) if name else None
        error = getattr(entry, "error", None)
        detail.set_class(bool(error), "-error")
        detail.update(Text(error or (entry.description if entry else "")))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_detail(event.option_id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        entry = self.entries.get(event.option_id) if event.option_id else None
        if entry is not None:
            self.post_message(self.Chosen(entry.name, entry.error))

    def action_request(self, action: str) -> None:
        key = self.highlighted_name()
        entry = self.entries.get(key) if key else None
        if entry is not None:
            self.post_message(self.Requested(action, entry.name))
