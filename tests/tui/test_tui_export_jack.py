"""Export after a panic holds what was played (issue 13): the UI on real JACK ports, the file against a recorder.

The app (headless under Pilot, the real bridge child, as `beatgen tui --backend
jack` builds it) continues a call; p (panic) comes in the middle of a bar; then
e exports every bar.  The file's notes must be the call the bridge heard plus
exactly the notes an independent JACK recorder saw the bridge send: before the
fix it also held the rest of the bar panic cancelled and the bar written ahead.

Run as `flock /tmp/beatgen-jack.lock .venv/bin/pytest -q tests/tui/test_tui_export_jack.py`: it starts jackd.
"""

from __future__ import annotations

import asyncio

import mido
import pytest
from textual.widgets import Input

from devtools.jack_rig import JackRig, PlayerProcess, realtime_allowed
from devtools.live_analysis import analyze
from devtools.live_session import seed_notes
from tests.tui.test_tui_faults_jack import BAR_SECONDS, BPM, PERIOD, app_on_jack, wait_for

pytestmark = [pytest.mark.jack, pytest.mark.ui]


def test_an_export_after_a_panic_holds_the_notes_that_were_sent_and_no_others(tmp_path):
    target = tmp_path / "take.mid"
    observed: dict = {}
    with JackRig(period=PERIOD, realtime=realtime_allowed()).start() as rig:
        rig.activate_in_this_process()
        clock = rig.start_clock(BPM)
        player = PlayerProcess(seed_notes(), rig, channel=0)
        player_in, player_out = player.open()
        rig.connect(clock, player_in)
        app = app_on_jack(tmp_path)

        async def scenario(pilot):
            await wait_for(pilot, lambda: app.connection.state == "open", 20, "the bridge opened")
            bridge_in = await asyncio.to_thread(rig.wait_for_port, "Beat Generation In")
            bridge_out = await asyncio.to_thread(rig.wait_for_port, "Beat Generation Out")
            for source in (clock, player_out):
                await asyncio.to_thread(rig.connect, source, bridge_in)
            observed["recorder"] = await asyncio.to_thread(rig.record, bridge_out)
            await asyncio.sleep(0.3)
            await asyncio.to_thread(rig.transport, "locate 0", "play")
            await wait_for(pilot, lambda: app.status.notes_sent > 0, 4 * BAR_SECONDS, "the continuation plays")
            await pilot.pause(1.4 * BAR_SECONDS)  # into the next bar, notes of it still to come
            await pilot.press("p")
            await pilot.pause(BAR_SECONDS)
            await asyncio.to_thread(rig.transport, "stop")
            await pilot.pause(0.3)
            observed["history"] = list(app.bridge.history())
            await pilot.press("e")
            await pilot.pause()
            app.screen.query_one("#export-path", Input).value = str(target)
            app.screen.query_one("#export-bars", Input).value = "256"
            await pilot.click("#export")
            await wait_for(pilot, target.exists, 5, "the file written")
            await pilot.press("ctrl+q")

        async def run():
            async with app.run_test(size=(120, 40)) as pilot:
                await scenario(pilot)

        try:
            asyncio.run(run())
        finally:
            player.close()
        sent = analyze(observed["recorder"].stop()).note_ons
    heard = sum(len(view.hits) for view in observed["history"] if view.source == "seed")
    exported = [m for track in mido.MidiFile(target).tracks for m in track if m.type == "note_on" and m.velocity]
    assert heard > 0 and len(sent) > 0
    log = "\n".join(app.bridge_log.lines)
    assert "panic: all notes off" in log, log
    assert len(exported) == heard + len(sent), (
        f"exported {len(exported)} notes: the call heard has {heard}, the bridge sent {len(sent)}; log:\n{log}"
    )
