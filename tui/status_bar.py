"""The status bar: ports, clock, tempo, position, mode state, offset, and the live controls at a glance.

`status_lines` is pure (an EngineStatus-like snapshot in, two lines out) so
tests can check the words; `StatusBar` redraws only when those lines change,
which at 20 polls a second is mostly never (bar:beat moves 2-8 times a second).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from bridge.music.drums import DRUM_NAMES

# The engine's conductor states, as a producer thinks of them.
MODE_STATES = {
    "listening": "listening",
    "hearing": "listening",  # a call is being recorded
    "answering": "generating",
    "continuing": "generating",
    "looping": "looping",
    "disarmed": "disarmed",
}


@dataclass(frozen=True)
class Connection:
    """What the bridge's ports are, or why there are none."""

    state: str  # "opening", "open", "no-midi", "error" (could not open), "gone" (stopped by itself), "closed"
    text: str = ""


def clock_text(status) -> str:
    """none (no clock heard yet) / running (source) / stopped / stalled, and Link's peers where Link is in use."""
    return _clock_state(status) + link_text(status)


def link_text(status) -> str:
    """· Link N peers, while the bridge watches an Ableton Link session."""
    peers = getattr(status, "link_peers", None)
    if peers is None:
        return ""
    return f" · Link {peers} peer{'' if peers == 1 else 's'}"


def _clock_state(status) -> str:
    if status.stalled:
        return "stalled"
    if status.running:
        return f"running ({status.clock})"
    if status.clock == "waiting" or status.bpm is None:
        return "none"  # an external clock that never ticked has no tempo yet; after a Stop the tempo is kept
    return "stopped"


def mode_text(status) -> str:
    state = MODE_STATES.get(status.mode_state, status.mode_state)
    detail = f" ({status.mode_state})" if state != status.mode_state else ""
    mode = getattr(status, "mode", "")
    return f"{state}{detail}" + (f" · {mode}" if mode else "")


def status_lines(status, connection: Connection, preset_label: str, lane: int) -> tuple[str, str]:
    """The two lines of the bar.  `status` may be None (bridge not open)."""
    if connection.state == "open":
        first = f"MIDI {connection.text}"
    elif connection.state == "opening":
        first = "MIDI: opening ports…"
    elif connection.state == "no-midi":
        first = "MIDI: none (see below; offline generation: o)"
    else:
        first = f"MIDI: {connection.text}"
    first += f" │ preset {preset_label}"
    if status is None:
        return first, f"clock none │ lane {lane + 1} {DRUM_NAMES[lane]}"
    bar, beat = status.bar_beat
    bpm = f"{status.bpm:.1f} BPM" if status.bpm else "--- BPM"
    c = status.controls
    offset = getattr(status, "offset_ms", c.offset_ms)
    parts = [
        f"clock {clock_text(status)}",
        bpm,
        f"bar {bar}:{beat}",
        mode_text(status),
        f"offset {offset:+.0f} ms",
        f"temp {c.temperature:.2f}",
    ]
    if c.style != "follow":
        parts.append(f"style {c.style}")
    if c.density != 1.0:
        parts.append(f"density {c.density:.1f}")
    if c.fill_every:
        parts.append(f"fill every {c.fill_every}")
    parts.append(f"lane {lane + 1} {DRUM_NAMES[lane]}")
    history = getattr(status, "loop_history", None)
    if history and history[1] > 1:
        parts.append(f"take {history[0] + 1}/{history[1]}")
    if status.late_notes:
        parts.append(f"late {status.late_notes}")
    return first, " │ ".join(parts)


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        height: auto;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.lines: tuple[str, str] = ("", "")

    def show(self, status, connection: Connection, preset_label: str, lane: int) -> None:
        lines = status_lines(status, connection, preset_label, lane)
        if lines != self.lines:
            self.lines = lines
            text = Text(lines[0], overflow="ellipsis", no_wrap=True)
            text.append("\n")
            text.append(lines[1])
            self.update(text)
