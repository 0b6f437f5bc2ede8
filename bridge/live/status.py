"""What the engine shows the world: a consistent snapshot for the TUI, the CLI and the log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge.live.bar_history import BarView
from bridge.live.clock import TICKS_PER_BEAT
from bridge.settings.controls import Controls
from bridge.settings.midi_map import Learned

if TYPE_CHECKING:
    from bridge.live.core import EngineCore

BEATS_PER_BAR = 4  # the model plays 4/4 (docs/model.md)
TICKS_PER_BAR = BEATS_PER_BAR * TICKS_PER_BEAT


@dataclass(frozen=True)
class EngineStatus:
    clock: str  # "internal", "external", "link", "waiting"
    running: bool
    stalled: bool
    bpm: float | None
    position_ticks: int
    mode_state: str
    armed: bool
    notes_sent: int
    late_notes: int
    bars_generated: int
    late_bars: int
    controls: Controls
    bars: tuple[BarView, ...] = ()  # the last 16 bars heard (seed) or generated (as sent), oldest first
    preset_name: str = ""
    mode: str = ""  # the preset's mode kind: call_response, continuous, loop
    offset_ms: float = 0.0  # the output offset in force (controls.offset_ms)
    loop_history: tuple[int, int] = (0, 0)  # (0-based index of the chosen/current take, takes kept); see Takes
    link_peers: int | None = None  # the Ableton Link session's peers; None where Link is not in use
    learned: Learned | None = None  # MIDI learn: the last knob or pad reported (ControlSurface)
    requests: tuple[tuple[int, str, str], ...] = ()  # (number, action, value) for the UI to carry out or follow

    @property
    def bar_beat(self) -> tuple[int, int]:
        bar, tick = divmod(self.position_ticks, TICKS_PER_BAR)
        return bar + 1, tick // TICKS_PER_BEAT + 1


def snapshot(core: EngineCore) -> EngineStatus:
    """The engine core's state as the world sees it (EngineCore.status)."""
    p, t, clock = core.performance, core.transport, core.clock
    return EngineStatus(
        clock=t.kind, running=clock.running, stalled=t.stalled, bpm=clock.bpm,
        position_ticks=max(clock.position, 0),
        mode_state=p.conductor.state if core.armed else "disarmed", armed=core.armed,
        notes_sent=core.notes_sent, late_notes=core.late_notes, bars_generated=p.bars_generated,
        late_bars=p.late_bars, controls=core.controls, bars=p.history.recent(), preset_name=core.preset.name,
        mode=p.conductor.settings.kind, offset_ms=core.controls.offset_ms,
        loop_history=p.repertoire.takes.position(), link_peers=t.link_peers,
        learned=core.surface.learned, requests=tuple(core.surface.requests),
    )  # fmt: skip
