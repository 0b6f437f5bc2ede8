"""Preset files: ctrl+s saves, save as / duplicate / delete; factory presets are read-only.

The dialogs only ask; the rules about factory and user presets are here and
in PresetStore.  Anything the store refuses (a bad name, a full disk) is a
notification, never a crash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.settings.presets import DEFAULT_PRESET, PresetError

from .preset_session import remember, set_dirty, switch_to

if TYPE_CHECKING:
    from .app import BeatGenApp


def invalid_field_shown(app: BeatGenApp) -> bool:
    """A field whose text is not a valid value blocks saving: the file would get the last valid value,
    not what the field shows.  Its error is shown again and the field is brought into view."""
    errors = app.editor.errors
    if not errors:
        return False
    (section, key), message = next(iter(errors.items()))
    app.notify(message, title=f"Not saved: fix [{section}] {key} first", severity="error", timeout=10)
    app.editor.bring_into_view(section, key)
    return True


def save(app: BeatGenApp) -> None:
    """ctrl+s: write the edits back to the preset's file; a factory or outside preset asks for a new name."""
    if invalid_field_shown(app):
        return
    name = app.preset.name
    if app.preset.path is None or app.store.is_factory(name) or not _in_store(app, name):
        reason = "is a factory preset" if _in_store(app, name) else "is not in the presets folder"
        app.notify(f"{name} {reason}: save your settings under a new name", severity="warning")
        ask_save_as(app)
        return
    try:
        app.preset = app.store.save(name, app.values)
    except (PresetError, OSError) as error:
        app.notify(str(error), title="Not saved", severity="error", timeout=10)
        return
    set_dirty(app, False)
    app.notify(f"saved {app.preset.path}", timeout=3)


def _in_store(app: BeatGenApp, name: str) -> bool:
    return any(entry.name == name for entry in app.store_entries())


def ask_save_as(app: BeatGenApp) -> None:
    if invalid_field_shown(app):
        return
    from .dialogs import NameDialog

    initial = app.preset.name if not app.store.is_factory(app.preset.name) else f"my-{app.preset.name}"
    app.push_screen(NameDialog("Save the current settings as", initial), lambda name: save_as(app, name))


def save_as(app: BeatGenApp, name: str | None, overwrite: bool = False) -> None:
    """Save the current settings under this name: never over a factory preset, over a user one after a yes."""
    if not name or invalid_field_shown(app):
        return
    entries = {entry.name: entry for entry in app.store_entries()}
    if name in entries and entries[name].factory:
        app.notify(f"{name} is a factory preset and cannot be overwritten: choose another name", severity="error")
        return
    if name in entries and not overwrite:
        from .dialogs import ConfirmDialog

        question = f"Replace the user preset {name} with the current settings?"
        app.push_screen(ConfirmDialog(question, "Replace"), lambda yes: save_as(app, name, True) if yes else None)
        return
    try:
        preset = app.store.save_as(name, app.values, overwrite=overwrite)
    except (PresetError, OSError) as error:
        app.notify(str(error), title="Not saved", severity="error", timeout=10)
        return
    app.preset = preset
    app.dirty = False
    remember(app, name)
    app.refresh_presets()
    app.show_status()
    app.notify(f"saved {preset.path}", timeout=3)


def duplicate(app: BeatGenApp, name: str | None = None) -> None:
    """A user copy of this preset (default: the current one), then load it."""
    name = name or app.preset.name
    try:
        preset = app.store.duplicate(name)
    except (PresetError, OSError) as error:
        app.notify(str(error), title="Not duplicated", severity="error", timeout=10)
        return
    app.notify(f"duplicated {name} as {preset.name}", timeout=3)
    app.load_preset_named(preset.name)


def delete(app: BeatGenApp, name: str | None = None) -> None:
    """Delete a user preset's file after a yes (default: the current one); factory presets stay."""
    name = name or app.preset.name
    if app.store.is_factory(name):
        app.notify(f"{name} is a factory preset and cannot be deleted", severity="error")
        return
    from .dialogs import ConfirmDialog

    app.push_screen(ConfirmDialog(f"Delete the user preset {name}? This removes its file.", "Delete"),
                    lambda yes: _delete(app, name) if yes else None)  # fmt: skip


def _delete(app: BeatGenApp, name: str) -> None:
    try:
        app.store.delete(name)
    except (PresetError, OSError) as error:
        app.notify(str(error), title="Not deleted", severity="error", timeout=10)
        return
    app.notify(f"deleted {name}", timeout=3)
    if name == app.preset.name:
        app.dirty = False
        switch_to(app, DEFAULT_PRESET)
    else:
        app.refresh_presets()
