"""What the live keys do: panic, arm, regenerate, fill, style, temperature, density, lanes, undo / redo.

Each key becomes one typed command to the bridge (bridge/live/events.py) or
one preset edit (which the preset session sends on); a command that reached
the bridge is noted in the log line, so a key press always shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.live.events import Arm, Fill, Panic, Redo, Trigger, Undo
from bridge.music.drums import DRUM_NAMES
from bridge.settings.presets import PRESET_SCHEMA

if TYPE_CHECKING:
    from .app import BeatGenApp

TEMPERATURE_STEP = 0.1
DENSITY_STEP = 0.1


def panic(app: BeatGenApp) -> None:
    """All notes off (p works over everything; it says so even when no bridge runs)."""
    if app.send(Panic()):
        app.bridge_log("panic: all notes off (sent)")
    else:
        app.bridge_log("panic: no bridge running, nothing is sounding")
    app.show_status()


def toggle_arm(app: BeatGenApp) -> None:
    armed = app.status.armed if app.status is not None else True
    if app.send(Arm(not armed)):
        app.bridge_log("disarmed: listening only" if armed else "armed: the bridge answers / continues")
        app.show_status()


def regenerate(app: BeatGenApp) -> None:
    if app.send(Trigger()):
        app.bridge_log("regenerate: asked for a new answer / loop")
        app.show_status()


def fill(app: BeatGenApp) -> None:
    """f: a fill on the next bar the model writes (from the next bar line on)."""
    if app.send(Fill()):
        app.bridge_log("fill: asked for the next bar line")
        app.show_status()


def step_temperature(app: BeatGenApp, direction: int) -> None:
    """[ and ]: one step down or up, kept inside the schema's range."""
    step_generation(app, "temperature", direction * TEMPERATURE_STEP)


def step_density(app: BeatGenApp, direction: int) -> None:
    """, and .: density one step down or up (hits per bar, times the seed's)."""
    step_generation(app, "density", direction * DENSITY_STEP)


def step_generation(app: BeatGenApp, key: str, step: float) -> None:
    field = PRESET_SCHEMA["generation"][key]
    assert field.low is not None and field.high is not None  # both keys have a range
    value = round(min(max(app.values["generation"][key] + step, field.low), field.high), 2)
    app.change("generation", key, value)


def step_style(app: BeatGenApp, direction: int) -> None:
    """s and S: the next or previous style, follow first (the bars ahead are written again in it)."""
    styles = PRESET_SCHEMA["generation"]["style"].choices
    current = app.values["generation"]["style"]
    index = styles.index(current) if current in styles else 0
    app.change("generation", "style", styles[(index + direction) % len(styles)])


def select_lane(app: BeatGenApp, lane: int, from_pattern: bool = False) -> None:
    """Keys 1-9 (which also move the pattern's cursor), or the arrow keys in the pattern (moved already)."""
    app.lane = lane
    if not from_pattern:
        app.pattern.select_lane(lane)
    app.show_status()


def toggle_lane_flag(app: BeatGenApp, kind: str) -> None:
    """Toggle mute or lock of the selected lane (kept in drum order, like the schema's lists)."""
    drum = DRUM_NAMES[app.lane]
    names = set(app.values["drums"][kind]) ^ {drum}
    app.change("drums", kind, [name for name in DRUM_NAMES if name in names])


def history(app: BeatGenApp, which: str) -> None:
    """ctrl+z / ctrl+y: the previous or next take."""
    if app.send(Undo() if which == "undo" else Redo()):
        app.bridge_log(f"{which}: asked for the {'previous' if which == 'undo' else 'next'} take")
        app.show_status()
