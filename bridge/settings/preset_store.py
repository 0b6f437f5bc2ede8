"""The user's presets beside the factory ones: list, load, save, save as, duplicate, delete, last used.

Factory presets (presets/ in the project) are read-only: the TUI edits a
copy and saves it under a new name in the user's folder.  User presets
live in USER_PRESETS_DIR, one TOML file per preset, written with the same
schema as the factory files (bridge/presets.py), so `beatgen run --preset
NAME` finds them too and a file can be copied between machines.

A name is looked up in the factory folder first, then the user's, here and
in `beatgen run` alike (`PRESET_SEARCH`).  New user presets cannot take a
factory name, so the order only matters for a file a user copied in by hand
under a factory name: it is listed with an error saying it is shadowed.

Every write goes to a hidden sibling first and is renamed into place, so a
crash or a full disk never leaves a half-written preset behind.

Entries carry descriptions as the files give them: whoever shows one on a
terminal or in a log escapes it (bridge.system.safe_text.printable).  Names
quoted in errors here are escaped and cut already.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from bridge.settings.note_maps import read_toml, shown
from bridge.settings.presets import (
    DEFAULT_PRESET,
    FACTORY_PRESETS_DIR,
    PRESET_SCHEMA,
    Field,
    Preset,
    PresetError,
    check_value,
    load_preset,
    validate,
)
from bridge.settings.user_config import PRESETS, config_dir

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _-]{0,47}")
MAX_NAME_LENGTH = 48
STATE_KEY = "last_preset"
TRUE_WORDS, FALSE_WORDS = ("true",), ("false",)


def user_presets_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """$BEATGEN_CONFIG_DIR/presets, else $XDG_CONFIG_HOME/beatgen/presets, else ~/.config/beatgen/presets."""
    return config_dir(environ) / PRESETS


USER_PRESETS_DIR: Path = user_presets_dir()
# Where `beatgen run --preset NAME` and PresetStore.load look, in this order.
PRESET_SEARCH: tuple[Path, ...] = (FACTORY_PRESETS_DIR, USER_PRESETS_DIR)


@dataclass(frozen=True)
class PresetEntry:
    """One line of the preset list; a broken file is listed with its error rather than hidden."""

    name: str
    path: Path
    factory: bool
    description: str
    error: str | None


class PresetStore:
    def __init__(
        self,
        user_dir: Path | None = None,
        factory_dir: Path = FACTORY_PRESETS_DIR,
        state_file: Path | None = None,
    ) -> None:
        self.user_dir = Path(user_dir) if user_dir is not None else USER_PRESETS_DIR
        self.factory_dir = Path(factory_dir)
        # Beside the presets folder: with the default folder this is USER_PRESETS_DIR.parent / "state.toml";
        # a store on another folder (tests, a second profile) keeps its own state.
        self.state_file = Path(state_file) if state_file is not None else self.user_dir.parent / "state.toml"

    # -- reading ---------------------------------------------------------------------

    def entries(self) -> list[PresetEntry]:
        """Factory presets first (sorted by name), then the user's (sorted by name)."""
        factory = [self._entry(path, True) for path in _preset_files(self.factory_dir)]
        factory_names = {entry.name.casefold() for entry in factory}
        user = []
        for path in _preset_files(self.user_dir):
            entry = self._entry(path, False)
            if path.stem.casefold() in factory_names:
                entry = PresetEntry(entry.name, path, False, entry.description, _shadowed(path))
            user.append(entry)
        return factory + user

    def load(self, name: str) -> Preset:
        """The preset called `name`, from the factory folder or the user's; PresetError otherwise."""
        return load_preset(_checked_lookup(name), (self.factory_dir, self.user_dir))

    def is_factory(self, name: str) -> bool:
        return (self.factory_dir / f"{name}.toml").is_file()

    # -- writing ---------------------------------------------------------------------

    def save(self, name: str, values: dict) -> Preset:
        """Overwrite (or create) the user preset `name`; factory presets are never overwritten."""
        if self._factory_name(name):
            raise PresetError(f"{shown(name)} is a factory preset and cannot be overwritten; use Save as")
        return self._write(name, values)

    def save_as(self, name: str, values: dict, overwrite: bool = False) -> Preset:
        """A new user preset; refuses factory names, names in use (unless overwrite) and bad names."""
        _check_name(name)
        if self._factory_name(name):
            raise PresetError(f"{shown(name)} is the name of a factory preset; choose another name")
        existing = self._user_file(name)
        if existing is not None and not overwrite:
            raise PresetError(
                f"a preset named {shown(existing.stem)} already exists; choose another name or overwrite it"
            )
        return self._write(name, values)

    def duplicate(self, name: str) -> Preset:
        """A user copy of preset `name` (factory or user) named "<name>-copy", "<name>-copy-2", ..."""
        preset = self.load(name)
        for number in range(1, 1000):
            suffix = "-copy" if number == 1 else f"-copy-{number}"
            candidate = name[: MAX_NAME_LENGTH - len(suffix)] + suffix
            if not self._factory_name(candidate) and self._user_file(candidate) is None:
                return self.save_as(candidate, preset.values)
        raise PresetError(f"too many copies of {shown(name)}; delete some first")

    def delete(self, name: str) -> None:
        """Remove a user preset; factory presets cannot be deleted."""
        if self.is_factory(name):
            raise PresetError(f"{shown(name)} is a factory preset and cannot be deleted")
        path = self._user_file(name)
        if path is None or path.stem != name:
            raise PresetError(f"no user preset named {shown(name)}")
        path.unlink()

    # -- the last preset used ---------------------------------------------------------

    def last_used(self) -> str:
        """The name remembered by remember(); DEFAULT_PRESET when none, or when that preset is gone."""
        state = self._state()
        if state is None:
            return DEFAULT_PRESET  # no state yet, or a damaged file: start from the default, never fail
        name = state.get(STATE_KEY)
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            return DEFAULT_PRESET
        if self.is_factory(name) or self._user_file(name) is not None:
            return name
        return DEFAULT_PRESET

    def remember(self, name: str) -> None:
        """Remember `name` as the preset to start with next time (other keys in the state file are kept)."""
        state = self._state() or {}
        state[STATE_KEY] = name
        _write_atomically(self.state_file, tomli_w.dumps(state))

    # -- helpers ------------------------------------------------------------------------

    def _state(self) -> dict | None:
        """The state file's table; None when it is missing or damaged (too big, nested too deeply, not TOML)."""
        try:
            return read_toml(self.state_file, PresetError, "state file")
        except PresetError:
            return None

    def _entry(self, path: Path, factory: bool) -> PresetEntry:
        try:
            preset = load_preset(path)
        except PresetError as error:
            return PresetEntry(path.stem, path, factory, "", str(error))
        return PresetEntry(path.stem, path, factory, preset["preset"]["description"], None)

    def _factory_name(self, name: str) -> bool:
        """Factory names compare without case: on macOS/Windows "Endless.toml" is "endless.toml"."""
        return any(path.stem.casefold() == name.casefold() for path in _preset_files(self.factory_dir))

    def _user_file(self, name: str) -> Path | None:
        """The user's file for `name`, compared without case (one file per name on any disk)."""
        for path in _preset_files(self.user_dir):
            if path.stem.casefold() == name.casefold():
                return path
        return None

    def _write(self, name: str, values: dict) -> Preset:
        _check_name(name)
        path = self.user_dir / f"{name}.toml"
        checked = validate(values, str(path))  # nothing is written unless the whole preset is valid
        existing = self._user_file(name)
        _write_atomically(path, preset_toml(checked))
        if existing is not None and existing.name != path.name and existing.exists() and not existing.samefile(path):
            existing.unlink()  # "Groove" replacing "groove": one file per name, as on case-insensitive disks
        return Preset(name, path, checked)


def preset_toml(values: dict) -> str:
    """TOML text for a full values dict, sections and keys in schema order; load_preset reads it back equal.

    Every key is written, defaults too, so a saved file shows all there is to change.
    """
    checked = validate(values)
    ordered = {section: {key: checked[section][key] for key in fields} for section, fields in PRESET_SCHEMA.items()}
    return "# Beat Generation preset; every key is described in docs/presets.md\n\n" + tomli_w.dumps(ordered)


def check_field(section: str, key: str, text: str) -> Any:
    """User-typed `text` as the value of section.key, checked against the schema.

    ints and floats as numbers, bools as true/false, choices by name, drum
    lists as comma-separated names.  PresetError names the key and what is
    allowed.  Cheap enough for every keystroke of an editor.
    """
    field = PRESET_SCHEMA.get(section, {}).get(key)
    if field is None:
        raise PresetError(f"unknown key {section}.{key}")
    where = f"{section}.{key}"
    return check_value(field, _parsed(field, text, where), where)


def _parsed(field: Field, text: str, where: str) -> Any:
    stripped = text.strip()
    if field.kind is bool:
        if stripped.lower() in TRUE_WORDS + FALSE_WORDS:
            return stripped.lower() in TRUE_WORDS
        raise PresetError(f"{where} = {shown(text)} must be true or false")
    if field.kind is int:
        try:
            return int(stripped)
        except ValueError:
            raise PresetError(f"{where} = {shown(text)} must be a whole number: {field.allowed()}") from None
    if field.kind is float:
        try:
            value = float(stripped)
        except ValueError:
            raise PresetError(f"{where} = {shown(text)} must be a number: {field.allowed()}") from None
        if value != value:  # NaN passes no range check by comparison alone
            raise PresetError(f"{where} = {shown(text)} must be a number: {field.allowed()}")
        return value
    if field.kind is list:
        names = [name.strip() for name in stripped.split(",") if name.strip()]
        return list(dict.fromkeys(names))  # a drum named twice is the same drum
    if "\n" in text or "\r" in text:
        raise PresetError(f"{where} must be one line")
    return stripped if field.choices else text


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise PresetError(
            f"{shown(name)} is not a usable preset name: 1 to {MAX_NAME_LENGTH} letters, digits, spaces, '-' or '_', "
            "starting with a letter or digit"
        )


def _checked_lookup(name: str) -> str:
    """A name, never a path: the store only serves its own two folders."""
    if (
        not isinstance(name, str)
        or not name
        or "/" in name
        or "\\" in name
        or name.endswith(".toml")
        or name in (".", "..")
    ):
        raise PresetError(f"{shown(name)} is not a preset name")
    return name


def _preset_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted((path for path in folder.glob("*.toml") if not path.name.startswith(".")), key=lambda p: p.stem)


def _shadowed(path: Path) -> str:
    return f"{path}: has the name of a factory preset, which wins; rename the file to use it"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
