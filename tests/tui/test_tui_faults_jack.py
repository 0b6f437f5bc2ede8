"""The UI's faults on real JACK ports: its bridge child killed mid-song, its JACK server gone, the UI signalled.

Killed child: the app (headless under Pilot, the real bridge factory, as
`beatgen tui --backend jack` builds it) plays a song in continuous mode; the
child gets SIGKILL; the notice must say so within a second, r must open a
new bridge that switches every note off first (its engine's panic) and then
follows the clock again.  Server gone: the child reports LiveBridge.fault()
and the notice says it in words.  Signals: `beatgen tui --headless` (the real
command, devtools/live_session.py) gets SIGHUP mid-song, alone or with its
child (a closed terminal signals the whole foreground group); the recording
must show every note-on switched off and All Notes Off, and the exit status
must be 128 + SIGHUP.

Run as `flock /tmp/beatgen-jack.lock .venv/bin/pytest -q tests/tui/test_tui_faults_jack.py`: they start jackd.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from devtools.jack_rig import JackRig, PlayerProcess, realtime_allowed
from devtools.live_analysis import analyze
from devtools.live_session import LiveSession, seed_notes
from tests.live.test_faults_jack import sent_all_notes_off
from tests.live.test_live_jack import BPM, CONTINUOUS, PERIOD, REALTIME, assert_every_note_switched_off
from tui.app import AppOptions, create_app

pytestmark = [pytest.mark.jack, pytest.mark.ui]

BAR_SECONDS = 4 * 60.0 / BPM


async def wait_for(pilot, condition, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not after {timeout} s")
        await pilot.pause(0.02)
    return time.monotonic() - started


def app_on_jack(tmp_path):
    preset = tmp_path / "continuous.toml"
    preset.write_text(CONTINUOUS)
    options = AppOptions(
        preset=str(preset), backend="jack", user_presets_dir=tmp_path / "presets", state_file=tmp_path / "state.toml",
        scan_ports=False,  # no short-lived JACK clients in this process while the rig runs
    )  # fmt: skip
    return create_app(options)


def test_a_child_killed_mid_song_is_reported_within_a_second_and_r_brings_a_working_bridge(tmp_path):
    observed: dict = {}
    with JackRig(period=PERIOD, realtime=realtime_allowed()).start() as rig:
        rig.activate_in_this_process()  # the bridge's processes inherit the server name
        clock = rig.start_clock(BPM)
        player = PlayerProcess(seed_notes(), rig, channel=0)
        player_in, player_out = player.open()
        app = app_on_jack(tmp_path)

        rig.connect(clock, player_in)

        async def connect_bridge() -> None:
            bridge_in = await asyncio.to_thread(rig.wait_for_port, "Beat Generation In")
            for source in (clock, player_out):
                await asyncio.to_thread(rig.connect, source, bridge_in)
            await asyncio.sleep(0.3)

        async def scenario(pilot):
            await wait_for(pilot, lambda: app.connection.state == "open", 20, "the bridge opened")
            await connect_bridge()
            await asyncio.to_thread(rig.transport, "locate 0", "play")
            await wait_for(pilot, lambda: "clock running" in app.status_bar.lines[1], 3, "the clock runs")
            await pilot.pause(3.5 * BAR_SECONDS)  # continuing the call: notes sounding
            assert app.status.notes_sent > 0, "the bridge was playing when it was killed"
            os.kill(app.bridge._process.pid, signal.SIGKILL)
            observed["took"] = await wait_for(pilot, lambda: app.connection.state == "gone", 3, "the death noticed")
            observed["reason"] = str(app.query_one("#no-midi-reason").render())
            await asyncio.to_thread(rig.transport, "stop")

            await pilot.press("r")
            await wait_for(pilot, lambda: app.connection.state == "open", 20, "the bridge restarted")
            await wait_for(pilot, lambda: "panic: all notes off" in "\n".join(app.bridge_log.lines), 3, "silence")
            await connect_bridge()  # the new ports: connections to the dead ones went with them
            await asyncio.to_thread(rig.transport, "locate 0", "play")
            await wait_for(pilot, lambda: "clock running" in app.status_bar.lines[1], 5, "the new bridge follows")
            await pilot.pause(2.5 * BAR_SECONDS)
            observed["after"] = app.status
            await asyncio.to_thread(rig.transport, "stop")

        async def run():
            async with app.run_test(size=(120, 40)) as pilot:
                await scenario(pilot)
                await pilot.press("ctrl+q")

        try:
            asyncio.run(run())
        finally:
            player.close()  # before the rig closes jackd
    log = "\n".join(app.bridge_log.lines)
    assert "The bridge stopped unexpectedly (killed by SIGKILL)" in observed["reason"], observed["reason"]
    assert observed["took"] < 1.0, f"noticed after {observed['took']:.2f} s"
    assert "restarted after the bridge stopped: all notes off sent on the new port" in log, log
    assert observed["after"].notes_sent > 0, f"the restarted bridge answered the call; log:\n{log}"
    assert log.rstrip().endswith("late)") and "stopped: all notes off" in log, "ctrl+q closed the new bridge"


def test_the_jack_server_going_away_is_shown_in_words_with_the_restart_offer(tmp_path):
    with JackRig(period=PERIOD, realtime=realtime_allowed()).start() as rig:
        rig.activate_in_this_process()
        app = app_on_jack(tmp_path)
        observed: dict = {}

        async def scenario(pilot):
            await wait_for(pilot, lambda: app.connection.state == "open", 20, "the bridge opened")
            await asyncio.to_thread(rig.kill_server, signal.SIGKILL)
            observed["took"] = await wait_for(pilot, lambda: app.connection.state == "gone", 15, "the fault shown")
            observed["reason"] = str(app.query_one("#no-midi-reason").render())
            observed["retry"] = str(app.query_one("#retry").label)

        async def run():
            async with app.run_test(size=(120, 40)) as pilot:
                await scenario(pilot)
                await pilot.press("ctrl+q")

        asyncio.run(run())
    reason = observed["reason"]
    assert reason.startswith("The bridge stopped unexpectedly (") and "JACK server" in reason, reason
    assert "Restart (r)" in observed["retry"]
    assert "killed" not in reason, "the child said why: the fault, not a signal"


def test_after_the_server_comes_back_r_opens_a_bridge_that_answers_on_it(tmp_path):
    """Server death and restart: the UI waits for the user (who restarts JACK), then `r` opens the ports on the
    new server and the bridge answers a call there."""
    observed: dict = {}
    with JackRig(period=PERIOD, realtime=realtime_allowed()).start() as rig:
        rig.activate_in_this_process()
        app = app_on_jack(tmp_path)
        server_name = rig.name

        async def scenario(pilot):
            await wait_for(pilot, lambda: app.connection.state == "open", 20, "the bridge opened")
            await asyncio.to_thread(rig.kill_server, signal.SIGKILL)
            await wait_for(pilot, lambda: app.connection.state == "gone", 15, "the fault shown")
            new_rig = await asyncio.to_thread(JackRig(period=PERIOD, name=server_name).start)
            try:
                clock = await asyncio.to_thread(new_rig.start_clock, BPM)
                player = PlayerProcess(seed_notes(), new_rig, channel=0)
                player_in, player_out = await asyncio.to_thread(player.open)
                try:
                    await asyncio.to_thread(new_rig.connect, clock, player_in)
                    await pilot.press("r")
                    await wait_for(pilot, lambda: app.connection.state == "open", 20, "the bridge reopened")
                    bridge_in = await asyncio.to_thread(new_rig.wait_for_port, "Beat Generation In")
                    for source in (clock, player_out):
                        await asyncio.to_thread(new_rig.connect, source, bridge_in)
                    await asyncio.sleep(0.3)
                    await asyncio.to_thread(new_rig.transport, "locate 0", "play")
                    await wait_for(pilot, lambda: "clock running" in app.status_bar.lines[1], 5, "the clock runs")
                    await pilot.pause(3.5 * BAR_SECONDS)
                    observed["after"] = app.status
                    await asyncio.to_thread(new_rig.transport, "stop")
                    await pilot.press("ctrl+q")
                finally:
                    player.close()
            finally:
                new_rig.close()

        async def run():
            async with app.run_test(size=(120, 40)) as pilot:
                await scenario(pilot)

        asyncio.run(run())
    log = "\n".join(app.bridge_log.lines)
    assert observed["after"].notes_sent > 0, f"the bridge on the new server answered the call; log:\n{log}"


@pytest.mark.parametrize("with_child", [False, True], ids=["the UI alone", "the UI and its child (a closed terminal)"])
def test_sighup_to_the_headless_ui_switches_every_note_off_then_exits_129(tmp_path, with_child):
    with LiveSession(CONTINUOUS, bpm=BPM, period=PERIOD, realtime=REALTIME, ui=True) as session:
        session.rig.transport("locate 0", "play")
        session.wait_bars(3.6)  # inside the continuation, notes sounding
        child = session.bridge_pid()
        if with_child:
            os.kill(child, signal.SIGHUP)  # both at once, as the terminal's hangup reaches the whole group
        code = session.terminate(signal.SIGHUP)
        time.sleep(0.3)
        events = session.recorder.stop()
        log, rig_log = session.log(), session.rig.log()
    assert code == 128 + signal.SIGHUP, log
    assert "Traceback" not in log and "stopped: all notes off" in log, log
    result = analyze(events)
    assert result.note_ons, log
    assert_every_note_switched_off(result, events, log, rig_log, tmp_path)
    assert sent_all_notes_off(events, after=result.note_ons[-1][0]), "All Notes Off (CC 123) after the last note"
