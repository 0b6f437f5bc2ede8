"""Note maps: which incoming pitches are heard as each drum, and which pitch each drum is sent on.

Maps are TOML files: the factory ones in presets/note-maps/ (gm.toml,
ableton.toml), the user's own in <config>/note-maps/ (bridge/settings/
user_config.py), listed after the factory ones.  A user map with a factory
map's name is shadowed (the factory one wins, as for presets), and `beatgen
note-maps` says so.  Each has an [output] table (drum -> one note)
that names every drum class, and an [input] table (drum -> list of notes); a
pitch may belong to one drum only.

`read_toml` here is how every TOML file we read is opened (presets, note
maps, the preset store's state): bounded in size, and every way a parser
can fail (a syntax error, a RecursionError from deeply nested arrays, an
integer too long to convert) becomes one line naming the file.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from bridge.music.drums import DRUM_NAMES
from bridge.resources import NOTE_MAPS_DIR
from bridge.settings.user_config import user_note_maps_dir
from bridge.system.safe_text import printable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


# A full preset is 3 KB, a note map 1 KB: 64 KB is room for comments, and a cap on what a
# hostile file can make us parse, keep in memory or quote in a log.
MAX_TOML_BYTES = 64_000


class NoteMapError(ValueError):
    """A note map file that cannot be used; the message names the file and the key."""


def read_toml(path: Path, error: type[ValueError], what: str, max_bytes: int = MAX_TOML_BYTES) -> dict:
    """The TOML file at `path` as a dict; `error` (one line naming the file) for anything unreadable."""
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            data = stream.read(max_bytes + 1)  # never more than the limit, whatever the file's size
    except OSError as problem:
        raise error(f"{path}: cannot be read ({problem.strerror})") from None
    if len(data) > max_bytes:
        raise error(
            f"{path}: {max(size, len(data)) / 1000:.0f} KB is over the {max_bytes // 1000} KB limit for a {what}"
        )
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise error(f"{path}: not valid TOML (nested too deeply)") from None
    except ValueError as problem:  # TOMLDecodeError, and int() refusing a huge number
        raise error(f"{path}: not valid TOML ({printable(problem, 120)})") from None


def shown(value: object) -> str:
    """A value from a user's file, quoted for an error line: repr, control characters escaped, short."""
    return printable(repr(value), 60)


@dataclass(frozen=True)
class NoteMap:
    name: str
    description: str
    output_notes: tuple[int, ...]  # indexed by drum class
    input_classes: dict[int, int]  # pitch -> drum class


@dataclass(frozen=True)
class NoteMapEntry:
    """One line of `beatgen note-maps`: a broken or shadowed file is listed with why, not hidden."""

    name: str
    path: Path
    factory: bool
    description: str
    error: str | None


def available_note_maps(folder: Path | None = None) -> tuple[str, ...]:
    """Names of the maps in `folder`; without one, the factory maps (sorted) then the user's."""
    if folder is not None:
        return tuple(sorted(path.stem for path in _map_files(folder)))
    factory = available_note_maps(NOTE_MAPS_DIR)
    return factory + tuple(name for name in available_note_maps(user_note_maps_dir()) if name not in factory)


def note_map_entries(user_dir: Path | None = None) -> list[NoteMapEntry]:
    """Every map file, factory first, each loaded (validated) so its first error is shown."""
    user = user_note_maps_dir() if user_dir is None else user_dir
    factory = available_note_maps(NOTE_MAPS_DIR)
    entries = [_entry(path, True) for path in _map_files(NOTE_MAPS_DIR)]
    for path in _map_files(user):
        entry = _entry(path, False)
        if path.stem in factory:
            entry = NoteMapEntry(
                entry.name, path, False, "", f"{path}: has a factory map's name, which wins; rename it"
            )
        entries.append(entry)
    return entries


def _entry(path: Path, factory: bool) -> NoteMapEntry:
    try:
        note_map = load_note_map(path.stem, path.parent)
    except NoteMapError as error:
        return NoteMapEntry(path.stem, path, factory, "", str(error))
    return NoteMapEntry(path.stem, path, factory, note_map.description, None)


def _map_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob("*.toml") if not path.name.startswith("."))


def load_note_map(name: str, folder: Path | None = None) -> NoteMap:
    """The map `name` from `folder`; without one, the factory folder first, then the user's."""
    folders = (folder,) if folder is not None else (NOTE_MAPS_DIR, user_note_maps_dir())
    path = next((f / f"{name}.toml" for f in folders if (f / f"{name}.toml").is_file()), None)
    if path is None:
        where = " or ".join(str(f) for f in folders)
        known = available_note_maps(folder)
        raise NoteMapError(f"no note map named {shown(name)} in {where}; known: {', '.join(known)}")
    data = read_toml(path, NoteMapError, "note map")
    unknown = set(data) - {"description", "output", "input"}
    if unknown:
        raise NoteMapError(
            f"{path}: unknown keys {shown(sorted(unknown))}; a note map has description, [output], [input]"
        )
    output = _output_notes(data.get("output", {}), path)
    return NoteMap(name, str(data.get("description", "")), output, _input_classes(data.get("input", {}), path))


def _output_notes(table: dict, path: Path) -> tuple[int, ...]:
    _check_drums(table, path, "output")
    missing = [drum for drum in DRUM_NAMES if drum not in table]
    if missing:
        raise NoteMapError(f"{path}: [output] must give a note for every drum; missing {missing}")
    for drum in DRUM_NAMES:
        _check_note(table[drum], f"{path}: output.{drum}")
    return tuple(table[drum] for drum in DRUM_NAMES)


def _input_classes(table: dict, path: Path) -> dict[int, int]:
    _check_drums(table, path, "input")
    classes: dict[int, int] = {}
    for drum, notes in table.items():
        if not isinstance(notes, list):
            raise NoteMapError(f"{path}: input.{printable(drum, 40)} = {shown(notes)} must be a list of notes 0-127")
        for note in notes:
            _check_note(note, f"{path}: input.{drum}")
            if note in classes:
                raise NoteMapError(f"{path}: note {note} is listed for both {DRUM_NAMES[classes[note]]} and {drum}")
            classes[note] = DRUM_NAMES.index(drum)
    return classes


def _check_drums(table: dict, path: Path, section: str) -> None:
    if not isinstance(table, dict):
        raise NoteMapError(f"{path}: [{section}] must be a table of drum = note(s)")
    unknown = [drum for drum in table if drum not in DRUM_NAMES]
    if unknown:
        raise NoteMapError(
            f"{path}: [{section}] has unknown drums {shown(unknown)}; drums are: {', '.join(DRUM_NAMES)}"
        )


def _check_note(note, where: str) -> None:
    if isinstance(note, bool) or not isinstance(note, int) or not 0 <= note <= 127:
        raise NoteMapError(f"{where} = {shown(note)} must be a MIDI note from 0 to 127")
