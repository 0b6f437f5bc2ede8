"""Presets: TOML files with a documented schema, validated with errors that name file, key and range.

The schema is one table (PRESET_SCHEMA): section, key, type, default, allowed
values and a one-line description.  The headless bridge and the TUI both load
presets through `load_preset`; `docs/presets.md` is the same table in prose.

Preset files are user files: they are read through note_maps.read_toml
(bounded in size, every parser failure one line), and values quoted in an
error are escaped and cut (note_maps.shown), so a file cannot forge log
lines or flood a terminal through its error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.model.catalog import BUNDLED, model_names
from bridge.model.controls import bundled_styles
from bridge.music.drums import DRUM_NAMES
from bridge.music.sampling import DEFAULT_VARIATION
from bridge.resources import PRESETS_DIR
from bridge.settings.note_maps import available_note_maps, read_toml, shown
from bridge.system.safe_text import printable

# Re-exported (the preset store's tests read written presets back with it); reading goes through read_toml.
if sys.version_info >= (3, 11):
    import tomllib  # noqa: F401
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # noqa: F401

FACTORY_PRESETS_DIR = PRESETS_DIR  # presets/ of the checkout, or its copy in an installed wheel
DEFAULT_PRESET = "call-and-response"
MODES = ("call_response", "continuous", "loop")
CLOCK_SOURCES = ("auto", "external", "internal", "link")
NOTE_MAPS = available_note_maps()  # files in presets/note-maps/, then the user's <config>/note-maps/
STYLES = bundled_styles()  # "follow", then the styles the shipped model learned
# Actions mapped in [midi_cc] / [midi_notes] (bridge/settings/midi_map.py) and what each does; regenerate and
# fill keep their [triggers] keys.
ACTION_HELP = {
    "arm": "arm / disarm",
    "panic": "every note off",
    "mode": "next mode (call & response, continuous, loop)",
    "preset_next": "next preset (terminal UI)",
    "preset_previous": "previous preset (terminal UI)",
}
CC_ACTIONS = tuple(ACTION_HELP)


@dataclass(frozen=True)
class Field:
    """One preset setting: its type, default and what values are allowed."""

    kind: type[Any]
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    help: str = ""
    # Values an editor offers without enforcing them (known model names): a preset may name a
    # model this machine lacks, and the bridge says so when it starts (bridge/model/catalog.py).
    suggestions: Callable[[], list[str]] | None = None

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind is list:
            return "a list of drum names"
        if self.low is not None:
            return f"{self.kind.__name__} from {self.low} to {self.high}"
        return self.kind.__name__


PRESET_SCHEMA: dict[str, dict[str, Field]] = {
    "preset": {
        "description": Field(str, "", help="one line shown in the preset list"),
    },
    "mode": {
        "kind": Field(str, "call_response", choices=MODES, help="call & response, endless continuation, or a loop"),
        "listen_bars": Field(int, 2, 1, 16, help="bars of input heard before the model plays (every mode)"),
        "silence_beats": Field(
            float, 0.0, 0, 32, help="stop listening after this many silent beats (0 = bar count only)"
        ),
        "response_bars": Field(int, 2, 1, 64, help="bars generated per answer (call & response)"),
        "loop_bars": Field(int, 4, 1, 16, help="bars generated once and repeated (loop)"),
    },
    "clock": {
        "source": Field(str, "auto", choices=CLOCK_SOURCES, help="MIDI clock, Link, internal, or auto"),
        "bpm": Field(float, 120.0, 20, 300, help="tempo of the internal clock"),
    },
    "generation": {
        "temperature": Field(float, 1.0, 0.05, 3.0, help="higher = wilder"),
        "top_k": Field(int, 0, 0, 200, help="sample among the k likeliest tokens (0 = all)"),
        "top_p": Field(float, 1.0, 0.05, 1.0, help="nucleus sampling mass (1 = off)"),
        "variation": Field(
            float, DEFAULT_VARIATION, 0.0, 1.0, help="0 holds the groove exactly, 1 roams freely (the model alone)"
        ),
        "density": Field(float, 1.0, 0.0, 2.0, help="hits per bar, times the seed's (1 = as the seed, 0 = silent)"),
        "style": Field(str, "follow", choices=STYLES, help="style to play (follow = the seed decides)"),
        "fill_every": Field(int, 0, 0, 16, help="a fill on the last bar of every N bars (0 = only on cue)"),
        "random_seed": Field(int, -1, -1, 2**31 - 1, help="fixed seed for reproducible output (-1 = random)"),
        # The model by name; changing it restarts the bridge (a model is never loaded while the engine plays).
        "model": Field(str, BUNDLED, help="bundled or one of yours (beatgen models)", suggestions=model_names),
    },
    "feel": {
        "velocity_scale": Field(float, 1.0, 0.0, 2.0, help="multiply output velocities"),
        "swing": Field(float, 0.0, 0.0, 1.0, help="delay off-beat 16ths (1 = triplet swing)"),
        "humanize_ms": Field(float, 0.0, 0.0, 30.0, help="random timing spread in ms"),
        "quantize": Field(float, 0.0, 0.0, 1.0, help="0 = the model's feel, 1 = on the 16th grid"),
    },
    "drums": {
        "mute": Field(list, [], help="drum classes never played"),
        "lock": Field(list, [], help="drum classes that repeat their part of the seed"),
    },
    "input": {
        "channel": Field(int, 0, 0, 16, help="channel to listen on (0 = all)"),
        "note_map": Field(str, "gm", choices=NOTE_MAPS, help="how input pitches map to drums"),
    },
    "output": {
        "channel": Field(int, 10, 1, 16, help="channel of the generated notes"),
        "note_map": Field(str, "gm", choices=NOTE_MAPS, help="General MIDI or Ableton Drum Rack pitches"),
        "offset_ms": Field(float, 0.0, -100.0, 100.0, help="shift output in time (negative = earlier)"),
        "thru": Field(bool, False, help="echo input notes to the output"),
    },
    "triggers": {
        "note": Field(int, -1, -1, 127, help="MIDI note that triggers generation (-1 = none)"),
        "cc": Field(int, -1, -1, 127, help="CC number that triggers generation (-1 = none)"),
        "fill_note": Field(int, -1, -1, 127, help="MIDI note that asks for a fill at the next bar line (-1 = none)"),
        "fill_cc": Field(int, -1, -1, 127, help="CC number that asks for a fill at values >= 64 (-1 = none)"),
    },
    "midi_cc": {
        name: Field(int, -1, -1, 127, help=help_text)
        for name, help_text in [
            *(
                (n, f"CC number that sweeps {n} over its range (-1 = none)")
                for n in (
                    "temperature",
                    "top_k",
                    "top_p",
                    "variation",
                    "density",
                    "fill_every",
                    "velocity_scale",
                    "swing",
                    "humanize_ms",
                    "quantize",
                    "offset_ms",
                )
            ),
            ("style", "CC number whose value picks a style, follow first (-1 = none)"),
            ("random_seed", "CC number whose value (0-127) becomes the random seed (-1 = none)"),
            *((f"mute_{d}", f"CC number muting {d} at values >= 64 (-1 = none)") for d in DRUM_NAMES),
            *((f"lock_{d}", f"CC number locking {d} at values >= 64 (-1 = none)") for d in DRUM_NAMES),
            *((a, f"CC number: {ACTION_HELP[a]} when it goes to >= 64 (-1 = none)") for a in CC_ACTIONS),
        ]
    },
    "midi_notes": {
        name: Field(int, -1, -1, 127, help=help_text)
        for name, help_text in [
            *((a, f"note (a pad): {ACTION_HELP[a]} (-1 = none)") for a in CC_ACTIONS),
            *((f"mute_{d}", f"note (a pad) muting / unmuting {d} (-1 = none)") for d in DRUM_NAMES),
            *((f"lock_{d}", f"note (a pad) locking / unlocking {d} (-1 = none)") for d in DRUM_NAMES),
        ]
    },  # fmt: skip
}


class PresetError(ValueError):
    """A preset that cannot be used; the message names the file, the key and what is allowed."""


@dataclass(frozen=True)
class Preset:
    name: str
    path: Path | None
    values: dict[str, dict[str, Any]]

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.values[section]

    def summary(self) -> str:
        """The line "preset NAME: DESCRIPTION" (or the mode when there is none), safe to print.

        Names and descriptions come from files anyone can write: escaped and cut,
        they cannot move the terminal's cursor, forge log lines or flood the log.
        """
        description = self.values["preset"]["description"] or self.values["mode"]["kind"]
        return f"preset {printable(self.name, 80)}: {printable(description)}"


def defaults() -> dict[str, dict[str, Any]]:
    return {section: {key: field.default for key, field in fields.items()} for section, fields in PRESET_SCHEMA.items()}


def load_preset(name_or_path: str | Path, search: tuple[Path, ...] = (FACTORY_PRESETS_DIR,)) -> Preset:
    """A preset by file path or by name (looked up as NAME.toml in `search`)."""
    path = resolve_preset(name_or_path, search)
    return Preset(path.stem, path, validate(read_toml(path, PresetError, "preset"), str(path)))


def resolve_preset(name_or_path: str | Path, search: tuple[Path, ...] = (FACTORY_PRESETS_DIR,)) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        if candidate.is_file():
            return candidate
        raise PresetError(f"{candidate}: no such preset file")
    for folder in search:
        path = folder / f"{name_or_path}.toml"
        if path.is_file():
            return path
    known = sorted({p.stem for folder in search if folder.is_dir() for p in folder.glob("*.toml")})
    known_list = printable(", ".join(known) or "none", 500)
    raise PresetError(f"no preset named {shown(str(name_or_path))}; known presets: {known_list}")


# Keys presets had before variation replaced adherence (variation = 1 - adherence): still read, so
# a producer's own presets keep working.  Saving writes the new key.
LEGACY_KEYS = {("generation", "adherence"): "variation", ("midi_cc", "adherence"): "variation"}


def _renamed(data: dict, source: str) -> dict:
    """`data` with legacy keys read as their new ones (an adherence value turned into a variation)."""
    renamed = {section: dict(table) if isinstance(table, dict) else table for section, table in data.items()}
    for (section, old), new in LEGACY_KEYS.items():
        table = renamed.get(section)
        if not isinstance(table, dict) or old not in table or new in table:
            continue
        value = check_value(PRESET_SCHEMA[section][new], table.pop(old), f"{source}: {section}.{old}")
        table[new] = round(1.0 - value, 6) if section == "generation" else value
    return renamed


def validate(data: dict, source: str = "<preset>") -> dict[str, dict[str, Any]]:
    """Defaults overlaid with `data`; every unknown key and bad value is an error naming it."""
    values = defaults()
    data = _renamed(data, source)
    for section, table in data.items():
        if section not in PRESET_SCHEMA:
            raise PresetError(
                f"{source}: unknown section [{printable(section, 40)}]; known: {', '.join(PRESET_SCHEMA)}"
            )
        if not isinstance(table, dict):
            raise PresetError(f"{source}: [{section}] must be a table of settings")  # a known name: safe
        for key, value in table.items():
            field = PRESET_SCHEMA[section].get(key)
            if field is None:
                known = ", ".join(PRESET_SCHEMA[section])
                unknown = printable(key, 40)
                raise PresetError(f"{source}: unknown key {section}.{unknown}; known keys in [{section}]: {known}")
            values[section][key] = check_value(field, value, f"{source}: {section}.{key}")
    return values


def check_value(field: Field, value: Any, where: str) -> Any:
    """`value` checked against `field` (ints widen to floats); PresetError naming `where` and what is allowed."""
    if field.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, field.kind) or (field.kind is int and isinstance(value, bool)):
        raise PresetError(f"{where} = {shown(value)} must be {field.allowed()}")
    if field.choices and value not in field.choices:
        raise PresetError(f"{where} = {shown(value)} must be {field.allowed()}")
    if field.low is not None and not field.low <= value <= field.high:
        raise PresetError(f"{where} = {shown(value)} is out of range: {field.allowed()}")
    if field.kind is list:
        _check_drum_names(value, where)
    return value


def _check_drum_names(names: list, where: str) -> None:
    unknown = [name for name in names if name not in DRUM_NAMES]
    if unknown:
        raise PresetError(f"{where} has unknown drums {shown(unknown)}; drums are: {', '.join(DRUM_NAMES)}")


def schema_markdown() -> str:
    """The schema as the Markdown table in docs/presets.md (a test keeps the two identical)."""
    lines = [
        "| key | type | default | allowed | what it does |",
        "| --- | --- | --- | --- | --- |",
    ]
    for section, fields in PRESET_SCHEMA.items():
        for key, field in fields.items():
            default = (
                repr(field.default)
                if field.kind is str
                else str(field.default).lower()
                if field.kind is bool
                else str(field.default)
            )
            lines.append(
                f"| `{section}.{key}` | {field.kind.__name__} | `{default}` | {field.allowed()} | {field.help} |"
            )
    return "\n".join(lines) + "\n"
