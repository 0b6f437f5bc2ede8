"""The screens the app opens over the main one: help, the port picker, offline generation (and its model).

Each opens on a key, a palette entry or a NoMidiNotice button; the port
picker only returns a choice, and the app reopens the bridge with it.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bridge.model.step_model import StepModel

    from .app import BeatGenApp


def show_help(app: BeatGenApp) -> None:
    from .help_screen import HelpScreen

    app.push_screen(HelpScreen())


def pick_ports(app: BeatGenApp) -> None:
    """w: the port picker, starting from the backend and names in use."""
    from .port_picker import PortChoice, PortPicker

    current = PortChoice(app.options.backend, app.options.in_name, app.options.out_name)
    app.push_screen(PortPicker(current, scan=app.options.scan_ports), lambda choice: apply_ports(app, choice))


def apply_ports(app: BeatGenApp, choice) -> None:
    """A backend and port names chosen (None: cancelled): reopen the bridge with them."""
    if choice is None:
        return
    app.options = replace(app.options, backend=choice.backend, in_name=choice.in_name, out_name=choice.out_name)
    app.open_bridge()


def retry(app: BeatGenApp) -> None:
    """r: reopen the bridge, only when it is not running (no MIDI, it failed, or it stopped by itself)."""
    if app.connection.state in ("no-midi", "error", "gone"):
        app.open_bridge()


def offline(app: BeatGenApp) -> None:
    """o: continue a MIDI file with the current preset, no MIDI ports needed (and why there are none)."""
    from .offline_screen import OfflineScreen

    why = app.connection.text if app.connection.state == "no-midi" else ""
    options = app.options
    screen = OfflineScreen(app.current_preset, options.model_dir, options.variant, why, seed=options.offline_seed)
    app.push_screen(screen)


class OfflineModels:
    """The model for offline generation, loaded once per folder and variant (from the offline screen's thread)."""

    def __init__(self) -> None:
        self._model: tuple[tuple[str, str], StepModel] | None = None
        self._lock = threading.Lock()

    def get(self, model_dir: str, variant: str) -> StepModel:
        from bridge.model.step_model import StepModel

        with self._lock:
            key = (model_dir, variant)
            if self._model is None or self._model[0] != key:
                self._model = (key, StepModel(model_dir, variant))
            return self._model[1]
