"""e / Export MIDI: the bridge's recent bars to a .mid file, on the notes and channel the bridge plays on.

The ExportScreen dialog asks where and how many generated bars; this writes
them with bridge.midi_io.export, so the key and the palette share one path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import BeatGenApp


def ask_export(app: BeatGenApp) -> None:
    """Open the export dialog; without a running bridge there is nothing to export."""
    if app.bridge is None:
        app.notify("nothing to export: the bridge is not running", severity="warning")
        return
    from .export_screen import ExportScreen

    app.push_screen(ExportScreen(), lambda request: export(app, request))


def export(app: BeatGenApp, request) -> None:
    """Write the file the dialog asked for (request None: cancelled)."""
    if request is None or app.bridge is None:
        return
    from bridge.midi_io.export import export_midi
    from bridge.settings.note_maps import load_note_map

    output = app.values["output"]
    try:
        bars = list(app.bridge.history(limit_bars=256))
        bpm = (app.status.bpm if app.status and app.status.bpm else None) or app.values["clock"]["bpm"]
        request.path.parent.mkdir(parents=True, exist_ok=True)
        # The notes and channel the bridge plays on, so the file drops onto the same DAW track.
        notes = load_note_map(output["note_map"]).output_notes
        path = export_midi(request.path, bars, bpm, request.generated_bars, notes, output["channel"] - 1)
    except (OSError, ValueError, RuntimeError) as error:  # RuntimeError: the bridge process is gone
        app.notify(str(error), title="Not exported", severity="error", timeout=10)
        return
    app.notify(f"exported {path}", timeout=5)
