"""The preset editor: one row per key of the preset schema, validated as you type.

Rows are generated from `bridge.settings.presets.PRESET_SCHEMA`, so a new key in the
schema appears here without UI code.  Choices become a Select, booleans a
Switch, everything else an Input whose text is checked on every keystroke by
`bridge.settings.preset_store.check_field` (the same rules as loading a file): a bad
value replaces the field's help with the error, naming the key and the
allowed range, and is not applied; a good one is posted as `FieldChanged`
and the app sends it to the running bridge.

Numbers get a NumberInput: it refuses letters and, unlike Textual's Input,
does not claim them either, so the app's priority key p (panic) still works
while a number field has focus.  (Textual drops a priority binding for any
key the focused widget says it consumes; an Input claims every printable
character.)

Start-up time: every widget costs CSS matching at start, so a row is three
widgets in a section grid (key, editor, help/error), with no row container,
and the 35 [midi_cc] rows are only mounted when that section is first opened.
"""

from __future__ import annotations

from typing import Any, Literal

from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Label, Select, Switch

from bridge.settings.presets import PRESET_SCHEMA, Field, PresetError

DEFERRED_SECTIONS = ("midi_cc",)  # mounted on first expansion


def format_value(field: Field, value: Any) -> str:
    """The text an Input shows for a value (read back by check_field)."""
    if field.kind is list:
        return ", ".join(value)
    if field.kind is float:
        return f"{value:g}"
    return str(value)


def field_id(section: str, key: str) -> str:
    return f"field-{section}-{key}"


def parse_field(section: str, key: str, text: str):
    """The value for the text, or PresetError naming the key and what is allowed."""
    from bridge.settings.preset_store import check_field

    return check_field(section, key, text)


class NumberInput(Input):
    """An Input for numbers that leaves letters to the app's key bindings."""

    NUMBER_CHARACTERS = frozenset("0123456789+-.eE")

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and character in self.NUMBER_CHARACTERS


def select_options(field: Field, value: Any) -> list[tuple[str, Any]]:
    """A Select's options: the field's choices, or what it suggests (models) plus the value it has now.

    A preset may name a model this machine lacks: it stays selectable, and the bridge says why it cannot start.
    """
    choices = list(field.choices) if field.choices else list(field.suggestions() if field.suggestions else [])
    if value not in choices:
        choices.append(value)
    return [(str(choice), choice) for choice in choices]


def field_widgets(section: str, key: str, field: Field, value: Any) -> list:
    """Key label, editing widget, help label: one row of a section grid."""
    widget_id = field_id(section, key)
    editor: Widget
    if field.choices or field.suggestions:
        editor = Select(select_options(field, value), value=value, allow_blank=False, id=widget_id, compact=True)
    elif field.kind is bool:
        editor = Switch(value=bool(value), id=widget_id)
    else:
        kinds: dict[type, Literal["integer", "number"]] = {int: "integer", float: "number"}
        kind = kinds.get(field.kind)
        cls = NumberInput if kind else Input
        editor = cls(format_value(field, value), type=kind or "text", id=widget_id, select_on_focus=False, compact=True)
    help_label = Label(field.help, id=f"help-{section}-{key}", classes="help", markup=False)
    return [Label(key, classes="key", markup=False), editor, help_label]


class PresetEditor(VerticalScroll):
    """Every preset key, grouped by section; posts FieldChanged for each valid edit."""

    DEFAULT_CSS = """
    PresetEditor { width: 1fr; padding: 0 1; }
    PresetEditor .section { color: $accent; text-style: bold; margin: 1 0 0 0; }
    PresetEditor Grid { grid-size: 3; grid-columns: 16 22 1fr; grid-rows: auto; height: auto; grid-gutter: 0 1; }
    PresetEditor Input { width: 22; padding: 0 1; }
    PresetEditor Input:focus { background-tint: $accent 25%; }
    PresetEditor Input.-invalid { background-tint: $error 40%; }
    PresetEditor Select { width: 22; }
    PresetEditor Switch { height: 1; border: none; padding: 0; width: 8; }
    PresetEditor .help { width: 1fr; color: $text-muted; }
    PresetEditor .help.-error { color: $error; text-style: bold; }
    PresetEditor Collapsible { padding: 0; border: none; margin: 1 0 0 0; }
    PresetEditor Collapsible > Contents { padding: 0; }
    """

    class FieldChanged(Message):
        def __init__(self, section: str, key: str, value: Any) -> None:
            super().__init__()
            self.section, self.key, self.value = section, key, value

    def __init__(self, values: dict[str, dict[str, Any]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.values = {section: dict(table) for section, table in values.items()}
        self.errors: dict[tuple[str, str], str] = {}
        self.mounted_sections: set[str] = set()

    def compose(self) -> ComposeResult:
        for section, fields in PRESET_SCHEMA.items():
            if section in DEFERRED_SECTIONS:
                title = f"[{section}]  {len(fields)} keys"
                yield Collapsible(Grid(id=f"grid-{section}"), title=title, collapsed=True, id=f"collapsible-{section}")
                continue
            self.mounted_sections.add(section)
            yield Label(f"[{section}]", classes="section", markup=False)
            widgets = []
            for key, field in fields.items():
                widgets += field_widgets(section, key, field, self.values[section][key])
            yield Grid(*widgets, id=f"grid-{section}")

    def on_collapsible_expanded(self, event: Collapsible.Expanded) -> None:
        section = (event.collapsible.id or "").removeprefix("collapsible-")
        self.mount_section(section)

    def mount_section(self, section: str) -> None:
        if section in self.mounted_sections or section not in PRESET_SCHEMA:
            return
        self.mounted_sections.add(section)
        widgets = []
        for key, field in PRESET_SCHEMA[section].items():
            widgets += field_widgets(section, key, field, self.values[section][key])
        self.query_one(f"#grid-{section}", Grid).mount_all(widgets)

    # -- values in from the app ------------------------------------------------------------

    def set_values(self, values: dict[str, dict[str, Any]]) -> None:
        """Show a whole preset (after loading one); errors of the previous one are forgotten."""
        for section, fields in PRESET_SCHEMA.items():
            for key in fields:
                self.set_value(section, key, values[section][key])

    def set_value(self, section: str, key: str, value: Any) -> None:
        """Show a value changed elsewhere (keys, lanes, another preset); posts nothing back."""
        self.values[section][key] = value
        if section not in self.mounted_sections:
            return  # the rows are built from self.values when the section opens
        self._show_error(section, key, None)
        field = PRESET_SCHEMA[section][key]
        widget = self.query_one(f"#{field_id(section, key)}")
        with widget.prevent(Input.Changed, Select.Changed, Switch.Changed):
            if isinstance(widget, Input):
                if not self._same(section, key, widget.value, value):
                    widget.value = format_value(field, value)
            elif isinstance(widget, Select):
                if field.suggestions:
                    widget.set_options(select_options(field, value))
                widget.value = value
            else:
                assert isinstance(widget, Switch)  # booleans are the only other editor
                widget.value = bool(value)

    def _same(self, section: str, key: str, text: str, value: Any) -> bool:
        """Leave the text alone when it already means this value ("1.50" while typing, for 1.5)."""
        try:
            return parse_field(section, key, text) == value
        except PresetError:
            return False

    def _show_error(self, section: str, key: str, message: str | None) -> None:
        if message:
            self.errors[(section, key)] = message
        elif self.errors.pop((section, key), None) is None:
            return  # no error shown: nothing to undo
        help_label = self.query_one(f"#help-{section}-{key}", Label)
        help_label.set_class(bool(message), "-error")
        help_label.update(message or PRESET_SCHEMA[section][key].help)
        self.query_one(f"#{field_id(section, key)}").set_class(bool(message), "-invalid")

    def bring_into_view(self, section: str, key: str) -> None:
        """Scroll to a field and focus it (a save refused because of its error)."""
        widget = self.query_one(f"#{field_id(section, key)}")
        self.scroll_to_widget(widget, animate=False)
        widget.focus()

    # -- edits ---------------------------------------------------------------------------------

    def _edited(self, widget_id: str | None, text: str | None, value: Any = None) -> None:
        if not widget_id or not widget_id.startswith("field-"):
            return
        _, section, key = widget_id.split("-", 2)
        if text is not None:
            try:
                value = parse_field(section, key, text)
            except PresetError as error:
                self._show_error(section, key, str(error))
                return
        self._show_error(section, key, None)
        if value != self.values[section][key]:
            self.values[section][key] = value
            self.post_message(self.FieldChanged(section, key, value))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._edited(event.input.id, event.value)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL:
            self._edited(event.select.id, None, event.value)

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self._edited(event.switch.id, None, event.value)
