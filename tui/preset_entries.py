"""The preset list's entries and the UI's state file, read so that no file in the user's folder can stop the app.

The user's folder holds whatever anyone copied there: a file named like a
factory preset, invalid TOML, bytes that are not UTF-8, a dangling link, a
folder called `x.toml`, TOML nested thousands deep (tomllib raises
RecursionError, which is no PresetError), a file of many megabytes.  Each is
one file's problem: it is listed with its error and the app goes on.  So
every file is read here on its own, and *any* exception from reading it
becomes that entry's error (the UI's edge; whatever the store raises next
release, one file never takes the list down).  Files over MAX_PRESET_BYTES
are not read at all: a full preset is about 3 KB, and tomllib needs
seconds for tens of megabytes, which would freeze the screen on every
refresh of the list.

The order and the clash rule are the store's (bridge/settings/preset_store.py):
factory presets first, then the user's, each sorted by name; a user file
named like a factory preset (compared without case) is listed as shadowed,
since loading by that name gives the factory one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bridge.settings.preset_store import PresetEntry
from bridge.settings.presets import PresetError, load_preset
from bridge.system.safe_text import printable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_PRESET_BYTES = 1 << 20  # 1 MiB: hundreds of times a full preset, read in milliseconds
MAX_STATE_BYTES = 64 << 10  # the state file holds one name (and keys other versions may add)


def list_entries(store) -> list[PresetEntry]:
    """Factory entries then user entries; a file that cannot be used is an entry with its error.

    A store without the two folders (a test's stand-in) is asked for its entries as before.
    """
    factory_dir, user_dir = getattr(store, "factory_dir", None), getattr(store, "user_dir", None)
    if factory_dir is None or user_dir is None:
        return list(store.entries())
    factory = [read_entry(path, True) for path in preset_files(Path(factory_dir))]
    factory_names = {entry.name.casefold(): entry.name for entry in factory}
    user = []
    for path in preset_files(Path(user_dir)):
        entry = read_entry(path, False)
        clash = factory_names.get(path.stem.casefold())
        if clash is not None:
            why = f"{path}: has the name of the factory preset {clash!r}, which wins; rename the file to use it"
            entry = PresetEntry(entry.name, path, False, entry.description, why)
        user.append(entry)
    return factory + user


def read_entry(path: Path, factory: bool) -> PresetEntry:
    """One list entry; never raises."""
    try:
        problem = size_problem(path)
        if problem is not None:
            return PresetEntry(path.stem, path, factory, "", problem)
        preset = load_preset(path)
    except Exception as error:  # noqa: BLE001 - the UI's edge: one file's failure, whatever it is, is its entry
        return PresetEntry(path.stem, path, factory, "", describe_error(path, error))
    # The description is the file's text: escaped, so a file cannot send control sequences to the terminal.
    return PresetEntry(path.stem, path, factory, printable(preset["preset"]["description"]), None)


def preset_files(folder: Path) -> list[Path]:
    """The folder's *.toml files, hidden ones skipped (the store's partial writes), sorted by name."""
    try:
        if not folder.is_dir():
            return []
        paths = [path for path in folder.glob("*.toml") if not path.name.startswith(".")]
    except OSError:
        return []  # a folder that cannot be listed lists nothing (the store reports it when asked to save)
    return sorted(paths, key=lambda path: path.stem)


def size_problem(path: Path, limit: int = MAX_PRESET_BYTES) -> str | None:
    """Why `path` is not read (too large), or None; OSError when it cannot even be looked at."""
    size = path.stat().st_size
    if size > limit:
        return f"{path}: {size:,} bytes is too large for a preset (at most {limit:,}); not read"
    return None


def describe_error(path: Path, error: BaseException) -> str:
    """A PresetError says it all already; anything else gets the file and the exception's name."""
    if isinstance(error, PresetError):
        return str(error)
    if isinstance(error, RecursionError):
        return f"{path}: nested too deeply to be a preset (not read)"
    return f"{path}: cannot be read ({type(error).__name__}: {printable(error)})"


def state_problem(state_file: Path | None) -> str | None:
    """Why the UI's state file (the last used preset) is ignored, or None when it is fine or absent."""
    if state_file is None:
        return None
    path = Path(state_file)
    try:
        if not path.exists():
            return None
        problem = size_problem(path, MAX_STATE_BYTES)
        if problem is None:
            tomllib.loads(path.read_text(encoding="utf-8"))
            return None
    except Exception as error:  # noqa: BLE001 - a broken state file only costs the last used preset
        problem = describe_error(path, error)
    return f"{problem} - it is ignored (the next preset you load replaces it)"
