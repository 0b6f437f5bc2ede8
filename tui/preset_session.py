"""The preset being played: the loaded file plus your edits, each edit sent to the running bridge at once.

Live controls (temperature, density, mute/lock, feel, offset...) go as a new
Controls, the internal tempo as "bpm", anything else (mode, bar counts,
maps, triggers) as the whole preset.  Loading another preset drops unsaved
edits only after a yes.  The app keeps the state (preset, values, dirty);
these functions are the rules for changing it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.live.events import SetBpm, SetControls, UsePreset
from bridge.settings.controls import PRESET_SECTION
from bridge.settings.presets import DEFAULT_PRESET, Preset, PresetError

from .preset_entries import describe_error, list_entries, size_problem, state_problem

if TYPE_CHECKING:
    from .app import BeatGenApp

# Preset keys that are live Controls in the engine (bridge/settings/controls.py): sent as "controls".
CONTROL_FIELDS = {(section, name) for name, section in PRESET_SECTION.items()}
NOT_LIVE = {("preset", "description")}  # nothing in the engine depends on it
# A model is loaded when the bridge starts, never on the playing engine: changing it restarts the bridge.
MODEL_FIELD = ("generation", "model")


def initial_preset(app: BeatGenApp) -> Preset:
    """The asked-for preset, else the last used, else the default; a broken one is reported, not fatal.

    Nothing a file holds may stop the start: a broken state file is ignored (with a line saying so),
    and any exception from loading the wanted preset falls back to the default (the UI's edge).
    """
    wanted = app.options.preset
    if wanted is None:
        wanted = DEFAULT_PRESET
        problem = state_problem(getattr(app.store, "state_file", None))
        if problem is not None:
            app.start_error = problem
        else:
            try:
                wanted = app.store.last_used() or DEFAULT_PRESET
            except Exception as error:  # noqa: BLE001 - the last used preset is a convenience, never a crash
                app.start_error = f"the last used preset is unknown ({type(error).__name__}: {error})"
    try:
        return load(app.store, wanted)
    except Exception as error:  # noqa: BLE001 - PresetError, or whatever else a damaged file raises
        why = str(error) if isinstance(error, PresetError) else describe_error(Path(wanted), error)
        app.start_error = f"{why} - using {DEFAULT_PRESET} instead"
        return load(app.store, DEFAULT_PRESET)


def load(store, name: str) -> Preset:
    """A preset by name from the store, or from a file when the name is a path; files too large are refused."""
    from bridge.settings.presets import load_preset

    if name.endswith(".toml") or "/" in name:
        _refuse_if_too_large(Path(name))
        return load_preset(name)
    for folder in (getattr(store, "factory_dir", None), getattr(store, "user_dir", None)):
        if folder is not None and (Path(folder) / f"{name}.toml").is_file():
            _refuse_if_too_large(Path(folder) / f"{name}.toml")  # the file store.load would read
            break
    return store.load(name)


def _refuse_if_too_large(path: Path) -> None:
    try:
        problem = size_problem(path)
    except OSError:
        return  # missing or unreadable: load_preset says so in its own words
    if problem is not None:
        raise PresetError(problem)


def current_preset(app: BeatGenApp) -> Preset:
    """The preset as it plays now: the loaded one with the edits (a copy the caller may keep)."""
    return Preset(app.preset.name, app.preset.path, copy.deepcopy(app.values))


def change(app: BeatGenApp, section: str, key: str, value: Any, from_editor: bool = False) -> None:
    """One preset value changed (editor or keys): keep it, show it, send it to the bridge."""
    if app.values[section][key] == value:
        return
    app.values[section][key] = value
    if not from_editor:
        app.editor.set_value(section, key, value)
    set_dirty(app, True)
    if (section, key) in NOT_LIVE:
        return
    if (section, key) == MODEL_FIELD:
        if not app.options.model_dir:  # --model given: the preset's model is not the one playing
            app.bridge_link.open()  # another model: the bridge restarts with it (loaded in its own process)
    elif (section, key) in CONTROL_FIELDS:
        from bridge.settings.controls import Controls

        app.send(SetControls(Controls.from_preset(app.current_preset())))
    elif (section, key) == ("clock", "bpm"):
        app.send(SetBpm(value))
    else:
        app.send(UsePreset(app.current_preset()))


def set_dirty(app: BeatGenApp, dirty: bool) -> None:
    """Unsaved edits or not: the list and the status bar mark the preset with a *."""
    if dirty != app.dirty:
        app.dirty = dirty
        app.refresh_presets()
        app.show_status()


def store_entries(app: BeatGenApp) -> list:
    """The presets, each file read on its own (preset_entries.py); a failure beyond one file lists nothing."""
    try:
        return list_entries(app.store)
    except Exception as error:  # noqa: BLE001 - the UI's edge: an empty list and a line, not a crash
        app.notify(f"cannot list presets: {type(error).__name__}: {error}", severity="error")
        return []


def refresh_presets(app: BeatGenApp) -> None:
    app.preset_list.set_entries(app.store_entries(), app.preset.name, app.dirty)


def load_preset_named(app: BeatGenApp, name: str) -> None:
    """Load a preset (list, palette); unsaved edits are only dropped after a yes."""
    if app.dirty:
        from .dialogs import ConfirmDialog

        question = f"Discard the unsaved changes to {app.preset.name} and load {name}?"
        app.push_screen(ConfirmDialog(question, "Discard"), lambda yes: switch_to(app, name) if yes else None)
        return
    switch_to(app, name)


def switch_to(app: BeatGenApp, name: str) -> None:
    """Play this preset now; a broken one is reported and the current one stays."""
    try:
        preset = load(app.store, name)
    except Exception as error:  # noqa: BLE001 - PresetError, or whatever else a damaged file raises
        why = str(error) if isinstance(error, PresetError) else f"{name}: {type(error).__name__}: {error}"
        show_broken(app, why)
        return
    use(app, preset)
    app.notify(preset.summary(), timeout=3)


def show_broken(app: BeatGenApp, error: str) -> None:
    """A preset that cannot be played: its error, and the list read again (the file may have changed)."""
    app.notify(error, title="Broken preset", severity="error", timeout=15)
    app.refresh_presets()


def use(app: BeatGenApp, preset: Preset) -> None:
    new_model = preset["generation"]["model"] != app.values["generation"]["model"]
    app.preset = preset
    app.values = copy.deepcopy(preset.values)
    app.editor.set_values(app.values)
    app.dirty = False
    remember(app, preset.name)
    app.refresh_presets()
    if new_model and not app.options.model_dir and app.bridge is not None:
        app.bridge_link.open()  # the preset plays another model: restart the bridge with it
    else:
        app.send(UsePreset(app.current_preset()))
    app.show_status()


def remember(app: BeatGenApp, name: str) -> None:
    """The store notes the last used preset, for the next start; failing that is only a warning.

    A state file the start ignored as broken (preset_entries.state_problem) is removed first, so
    the store writes a fresh one instead of failing on the old one again.
    """
    try:
        state_file = getattr(app.store, "state_file", None)
        if state_file is not None and state_problem(state_file) is not None:
            Path(state_file).unlink()
        app.store.remember(name)
    except Exception as error:  # noqa: BLE001 - OSError, or whatever a damaged state file raises
        app.notify(f"cannot remember the preset: {type(error).__name__}: {error}", severity="warning")
