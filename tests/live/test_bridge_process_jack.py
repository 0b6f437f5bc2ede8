"""BridgeProcess (the bridge in a child process, as the TUI runs it) through real JACK ports.

Like test_live_jack.py: a private JACK server (dummy driver, 256-frame
periods), jack_midi_clock, a "DAW" playing the example groove on the clock
and one recorder hearing the clock and the bridge.  Here the bridge is a
BridgeProcess opened from this test process, which also plays the part of a
busy UI: a thread spins in pure Python the whole time, and the timing must
not care.  Run these under `flock /tmp/beatgen-jack.lock`: they start jackd.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from bridge.live.bridge_process import BridgeProcess
from bridge.live.engine import EngineStatus
from bridge.live.events import SetControls, Trigger, Undo, UsePreset
from bridge.midi_io.ports import PortError
from bridge.model.files import ModelError
from bridge.settings.presets import Preset, validate
from devtools.jack_rig import JackRig, PlayerProcess, realtime_allowed
from devtools.live_analysis import TICKS_PER_BAR, analyze, input_losses, timing_report
from devtools.live_session import seed_notes

pytestmark = pytest.mark.jack

PERIOD = 256
BPM = 150.0
# Every note on its own 16th step: how close to the grid is bench-live's to measure (see test_live_jack.py).
STEP_BUDGET_MS = 5 * 60_000 / (BPM * 24)
CALL_AND_RESPONSE = {
    "mode": {"kind": "call_response", "listen_bars": 2, "response_bars": 2},
    "feel": {"quantize": 1.0},
    "clock": {"source": "external"},
}


def preset(name: str, values: dict) -> Preset:
    return Preset(name, None, validate(values))


def wait_bars(bars: float) -> None:
    time.sleep(bars * 4 * 60.0 / BPM)


class BusyUI(threading.Thread):
    """Pure-Python work holding this process's GIL most of the time (a UI redrawing flat out).

    It pauses 1 ms in 5: on a 2-core machine jackd and its clients need some CPU too.
    No JACK client runs in this process (the player has its own, see `player`).
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stopping = threading.Event()
        self.loops = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            while time.monotonic() - started < 0.004:
                sum(number * number % 7 for number in range(1000))
            self.loops += 1
            time.sleep(0.001)

    def stop(self) -> int:
        self.stopping.set()
        self.join()
        return self.loops


@pytest.fixture
def rig():
    # jackd -R where allowed (root on CI): the server and every client's process thread
    # preempt ordinary work, as on a producer's machine, so a loaded test machine is no xrun.
    with JackRig(period=PERIOD, realtime=realtime_allowed()).start() as rig:
        rig.activate_in_this_process()  # the spawned child inherits the server name from os.environ
        yield rig


@pytest.fixture
def player(rig):
    """The "DAW" in a process of its own: in this one its JACK callback would wait for BusyUI's GIL
    and overrun cycles (measured on a loaded machine: 11-41 xruns a run, all "groove-player")."""
    player = PlayerProcess(seed_notes(), rig, channel=0)
    yield player
    player.close()  # before the rig closes jackd


def connect_daw(rig: JackRig, player: PlayerProcess, bridge_in: str, bridge_out: str):
    """Clock and player into the bridge, one recorder on the clock, the bridge and the player (as LiveSession)."""
    clock = rig.start_clock(BPM)
    player_in, player_out = player.open()
    recorder = rig.record(clock, bridge_out, player_out)
    for source, destination in ((clock, player_in), (clock, bridge_in), (player_out, bridge_in)):
        rig.connect(source, destination)
    time.sleep(0.3)
    return recorder


def test_bridge_process_plays_in_time_while_the_parent_is_busy_and_serves_the_ui_api(rig, player):
    logs: list[str] = []
    bridge = BridgeProcess(preset("call", CALL_AND_RESPONSE), backend="jack", log=logs.append)
    busy = BusyUI()
    try:
        bridge.open()
        assert "jack: virtual ports" in bridge.describe() and "Beat Generation In" in bridge.describe()
        assert isinstance(bridge.status(), EngineStatus) and bridge.status().preset_name == "call"
        recorder = connect_daw(
            rig, player, rig.wait_for_port("Beat Generation In"), rig.wait_for_port("Beat Generation Out")
        )
        busy.start()
        rig.transport("locate 0", "play")
        wait_bars(2.5)
        playing = bridge.status()
        wait_bars(2.5)
        rig.transport("stop")
        time.sleep(0.3)
        status, history = bridge.status(), bridge.history()
        bridge.command(UsePreset(preset("loop", {**CALL_AND_RESPONSE, "mode": {"kind": "loop"}})))
        bridge.command(Undo())
        time.sleep(0.2)
        changed = bridge.status()
    finally:
        loops = busy.stop() if busy.is_alive() else 0
        bridge.close()
    events = recorder.stop()
    log = "\n".join(logs)
    losses = input_losses(events, log)  # a tick JACK lost before the bridge: judged on its own count from there
    result = analyze(events, slips=losses.slips)
    assert loops > 500, "the parent really was busy"
    assert result.note_ons, log
    assert result.grid_ticks[0] == 2 * TICKS_PER_BAR, "the answer starts on the bar line after the 2-bar call"
    errors = sorted(result.errors_ms)
    assert max(abs(e) for e in errors) <= STEP_BUDGET_MS, timing_report(result, STEP_BUDGET_MS, log, rig.log(), losses)
    assert result.unmatched_note_ons == 0 and not [n for n in result.note_ons if n[0] > result.stop_time]
    # The status came from the child, with bars pushed only when they changed.
    assert (
        playing.running
        and playing.bpm == pytest.approx(BPM, rel=0.03)
        and playing.mode_state in ("hearing", "answering")
    )
    assert not status.running and status.notes_sent == len(result.note_ons)
    assert [(v.bar, v.source) for v in history] == [(0, "seed"), (1, "seed"), (2, "generated"), (3, "generated")]
    assert status.bars == tuple(history)
    sent_bar_2 = sorted(tick % TICKS_PER_BAR for tick in result.grid_ticks if tick // TICKS_PER_BAR == 2)
    assert sent_bar_2 == sorted(round(hit.time * 24) for hit in history[2].hits), "history holds what was sent"
    assert (changed.preset_name, changed.mode) == ("loop", "loop")
    # Log lines of the child reach the parent, the last one included.
    for expected in ("ports ready", "clock locked", "hearing at bar", "answering at bar", "transport stop",
                     "preset loop", "undo: nothing to undo", "stopped: all notes off"):  # fmt: skip
        assert expected in log, log
    assert bridge._process.exitcode == 0
    with pytest.raises(RuntimeError, match="exited"):
        bridge.status()


def test_a_child_stopped_from_outside_switches_notes_off_and_the_parent_notices(rig, player):
    logs: list[str] = []
    bridge = BridgeProcess(
        preset("continuous", {**CALL_AND_RESPONSE, "mode": {"kind": "continuous"}}), backend="jack", log=logs.append
    )
    try:
        bridge.open()
        recorder = connect_daw(
            rig, player, rig.wait_for_port("Beat Generation In"), rig.wait_for_port("Beat Generation Out")
        )
        rig.transport("locate 0", "play")
        wait_bars(3.5)  # continuing: notes sounding and planned
        os.kill(bridge._process.pid, signal.SIGTERM)
        bridge._process.join(5)
        time.sleep(0.2)
        with pytest.raises(RuntimeError, match="exited"):
            bridge.status()
        with pytest.raises(RuntimeError):
            bridge.command(Trigger())
    finally:
        bridge.close()
        rig.transport("stop")
    result = analyze(recorder.stop())
    log = "\n".join(logs)
    assert result.note_ons, log
    assert result.unmatched_note_ons == 0, "SIGTERM closes the engine: every note switched off"
    assert "stopped: all notes off" in log and "the bridge process exited unexpectedly (exit code" in log, log
    assert bridge._process.exitcode == 0, "a clean exit after closing the engine"


def test_an_engine_failure_in_the_child_is_logged_in_the_parent(rig):
    logs: list[str] = []
    bridge = BridgeProcess(preset("p", {"clock": {"source": "internal"}}), backend="jack", log=logs.append)
    try:
        bridge.open()
        bridge.command(SetControls("not controls"))  # a bug's stand-in: the engine thread fails on it
        time.sleep(0.5)
    finally:
        bridge.close()
    log = "\n".join(logs)
    assert "engine error: AttributeError" in log and "beatgen-engine failed: AttributeError" in log, log
    assert bridge._process.exitcode == 0


def test_no_jack_server_is_a_port_error_in_the_parent_with_the_childs_message(monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "beatgen-test-nobody")
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    bridge = BridgeProcess(preset("p", {}), backend="jack", log=lambda line: None)
    with pytest.raises(PortError, match="jack: no JACK server running"):
        bridge.open()
    assert bridge._process.exitcode == 0, "the child reported the error and exited"
    bridge.close()  # harmless after a failed open


def test_a_bad_model_folder_is_a_model_error_in_the_parent(tmp_path):
    bridge = BridgeProcess(preset("p", {}), model_dir=tmp_path, backend="jack", log=lambda line: None)
    with pytest.raises(ModelError, match="no model.json"):
        bridge.open()
