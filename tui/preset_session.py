"""The preset being played: the loaded file plus your edits, each edit sent to the running bridge at once.

Live controls (temperature, density, mute/lock, feel, offset...) go as a new
Controls, the internal tempo as "bpm", anything else (mode, bar counts,
maps, triggers) as the whole preset.  Loading another preset drops unsaved
edits only after a yes.  The app keeps the state (preset, values, dirty);
these functions are the rules for changing it.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from bridge.live.events import SetBpm, SetControls, UsePreset
from bridge.settings.presets import DEFAULT_PRESET, Preset, PresetError

if TYPE_CHECKING:
    from .app import BeatGenApp

# Preset keys that are live Controls in the engine (bridge/controls.py): sent as "controls".
CONTROL_FIELDS = {
    *(("generation", key) for key in ("temperature", "top_k", "top_p", "adherence", "density", "random_seed")),
    *(("feel", key) for key in ("velocity_scale", "swing", "humanize_ms", "quantize")),
    ("drums", "mute"),
    ("drums", "lock"),
    ("output", "offset_ms"),
    ("output", "thru"),
}
NOT_LIVE = {("preset", "description")}  # nothing in the engine depends on it


def initial_preset(app: BeatGenApp) -> Preset:
    """The asked-for preset, else the last used, else the default; a broken one is reported, not fatal."""
    wanted = app.options.preset
    if wanted is None:
        try:
            wanted = app.store.last_used() or DEFAULT_PRESET
        except (OSError, PresetError):
            wanted = DEFAULT_PRESET
    try:
        return load(app.store, wanted)
    except PresetError as error:
        app.start_error = f"{error} - using {DEFAULT_PRESET} instead"
        return load(app.store, DEFAULT_PRESET)


def load(store, name: str) -> Preset:
    """A preset by name from the store, or from a file when the name is a path."""
    if name.endswith(".toml") or "/" in name:
        from bridge.settings.presets import load_preset

        return load_preset(name)
    return store.load(name)


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
    if (section, key) in CONTROL_FIELDS:
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
    """The store's presets; a folder that cannot be read is reported and lists nothing."""
    try:
        return list(app.store.entries())
    except OSError as error:
        app.notify(f"cannot list presets: {error}", severity="error")
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
    except PresetError as error:
        app.notify(str(error), title="Broken preset", severity="error", timeout=15)
        app.refresh_presets()
        return
    use(app, preset)
    app.notify(f"preset {preset.name}: {preset['preset']['description'] or preset['mode']['kind']}", timeout=3)


def use(app: BeatGenApp, preset: Preset) -> None:
    app.preset = preset
    app.values = copy.deepcopy(preset.values)
    app.editor.set_values(app.values)
    app.dirty = False
    remember(app, preset.name)
    app.refresh_presets()
    app.send(UsePreset(app.current_preset()))
    app.show_status()


def remember(app: BeatGenApp, name: str) -> None:
    """The store notes the last used preset, for the next start; failing that is only a warning."""
    try:
        app.store.remember(name)
    except OSError as error:
        app.notify(f"cannot remember the preset: {error}", severity="warning")
