"""Command palette entries (ctrl+p): everything the keys do, plus one "Load preset: NAME" per preset.

Textual's own entries (theme, keys, screenshot, quit) stay; ours are added
through App.get_system_commands, the hook Textual provides for this, so the
palette needs no provider class of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand

if TYPE_CHECKING:
    from .app import BeatGenApp


def palette_commands(app: BeatGenApp) -> Iterator[SystemCommand]:
    yield SystemCommand("Panic", "All notes off now", app.action_panic)
    yield SystemCommand("Ports", "MIDI backend and port names; reopens the bridge", app.action_ports)
    yield SystemCommand("Arm / disarm", "Toggle whether the bridge answers / continues", app.action_toggle_arm)
    yield SystemCommand("Regenerate", "End the call now, or a new loop", app.action_regenerate)
    yield SystemCommand("Undo generation", "Back to the previous take", partial(app.action_history, "undo"))
    yield SystemCommand("Redo generation", "Forward to the next take", partial(app.action_history, "redo"))
    yield SystemCommand("Save preset", "Save the current settings to the current preset", app.action_save)
    yield SystemCommand("Save preset as…", "Save the current settings under a new name", app.action_save_as)
    yield SystemCommand("Duplicate preset", "Copy the current preset under a new name", app.action_duplicate)
    yield SystemCommand("Delete preset", "Delete the current user preset", app.action_delete)
    yield SystemCommand("Export MIDI", "Save the seed and the last generated bars as .mid", app.action_export)
    yield SystemCommand("Offline generation", "Continue a MIDI file with the current preset", app.action_offline)
    yield SystemCommand("Help", "Keys and what the screen shows", app.action_help)
    for entry in app.store_entries():
        if entry.error:
            continue  # a broken file is listed (with its error) in the preset list, not offered for loading
        kind = "factory" if entry.factory else "user"
        yield SystemCommand(
            f"Load preset: {entry.name}",
            f"{kind} preset - {entry.description or 'no description'}",
            partial(app.load_preset_named, entry.name),
            discover=False,
        )
