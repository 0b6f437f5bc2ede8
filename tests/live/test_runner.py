"""LiveBridge and BridgeProcess pieces that need no MIDI system (the rest: test_bridge_process_jack.py)."""

from __future__ import annotations

import pytest

from bridge.live.bridge_process import BridgeProcess
from bridge.live.engine import EngineStatus
from bridge.live.events import Trigger
from bridge.live.runner import LiveBridge, TempoLog
from bridge.settings.controls import Controls
from bridge.settings.presets import Preset, validate


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
            bridge.command(Trigger())
        bridge.close()  # nothing to close: no error


def test_jacks_period_comes_from_jackd2s_tools_and_is_none_when_they_cannot_say(monkeypatch):
    """Without the period the clock takes no tick for a copy (ClockTracker._is_repeat); the live
    JACK tests check the real answer ("period 5.33 ms" in the bridge's log)."""
    import subprocess

    import bridge.midi_io.ports as ports

    answers = {"jack_bufsize": "256\n", "jack_samplerate": "48000\n"}
    monkeypatch.setattr(ports.shutil, "which", lambda tool: f"/usr/bin/{tool}")

    def run(command, **_options):
        return subprocess.CompletedProcess(command, 0, answers[command[0]], "")

    monkeypatch.setattr(ports.subprocess, "run", run)
    assert ports.jack_period() == pytest.approx(256 / 48000)
    answers["jack_bufsize"] = "Cannot connect to server socket\n"  # no server: no number
    assert ports.jack_period() is None
    failing = subprocess.CompletedProcess(["jack_bufsize"], 1, "error 2\n", "")
    monkeypatch.setattr(ports.subprocess, "run", lambda command, **_: failing)
    assert ports.jack_period() is None
    monkeypatch.setattr(ports.shutil, "which", lambda tool: None)  # jackd2's tools not installed
    assert ports.jack_period() is None
