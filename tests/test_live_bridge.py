"""LiveBridge and BridgeProcess pieces that need no MIDI system (the rest: test_bridge_process_jack.py)."""

from __future__ import annotations

import pytest

from bridge.controls import Controls
from bridge.engine import EngineStatus
from bridge.live_bridge import BridgeProcess, LiveBridge, TempoLog
from bridge.presets import Preset, validate


def status(bpm: float | None, running: bool = True, clock: str = "external") -> EngineStatus:
    return EngineStatus(clock, running, False, bpm, 0, "listening", True, 0, 0, 0, 0, Controls())


def test_tempo_log_says_when_the_clock_locks_and_only_real_changes_after():
    lines: list[str] = []
    tempo = TempoLog(lines.append)
    for bpm in (None, 120.4, 121.1, 119.2, 123.0, 123.5):
        tempo.update(status(bpm))
    tempo.update(status(123.0, running=False))
    tempo.update(status(90.0))
    assert lines == ["clock locked: 120.4 BPM (external)", "tempo 123.0 BPM", "clock locked: 90.0 BPM (external)"]


def test_an_unopened_bridge_says_so():
    preset = Preset("p", None, validate({}))
    for bridge in (LiveBridge(preset), BridgeProcess(preset)):
        assert bridge.describe() == "not open"
        with pytest.raises(RuntimeError, match="not open"):
            bridge.status()
        with pytest.raises(RuntimeError, match="not open"):
            bridge.command("trigger")
        bridge.close()  # nothing to close: no error
