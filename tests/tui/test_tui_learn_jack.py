"""MIDI learn end to end on a private JACK server (issue 13): the UI with the real bridge child, a
controller's knob on the bridge's real input port.  A CC moved while learning is mapped and saved with
the preset; a new app loads the saved file and the same knob moves the control it was learned for.

Run as `flock /tmp/beatgen-jack.lock .venv/bin/pytest -q tests/tui/test_tui_learn_jack.py`: it starts jackd.
"""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import OptionList

from bridge.settings.midi_map import LEARNABLE
from bridge.settings.presets import load_preset
from devtools.jack_rig import JackRig, realtime_allowed
from tests.tui.test_tui_jack import close_knob, open_knob, wait_for
from tui.app import AppOptions, create_app
from tui.learn_screen import LearnScreen

pytestmark = [pytest.mark.jack, pytest.mark.ui]

KNOB_CC = 25


def test_a_knob_learned_in_the_ui_is_saved_reloaded_and_moves_its_control(tmp_path):
    presets = tmp_path / "presets"
    presets.mkdir()
    preset = presets / "learned.toml"
    preset.write_text('[preset]\ndescription = "a knob to learn"\n')
    options = AppOptions(
        preset=str(preset), backend="jack", user_presets_dir=presets, state_file=tmp_path / "state.toml",
        scan_ports=False,  # no short-lived JACK clients in this process while the rig runs
    )  # fmt: skip
    logs: list[str] = []
    with JackRig(period=256, realtime=realtime_allowed()).start() as rig:
        rig.activate_in_this_process()  # the bridge's process inherits the server name

        async def learn_and_save():
            app = create_app(options)
            async with app.run_test(size=(120, 40)) as pilot:
                await wait_for(pilot, lambda: app.connection.state != "opening", 20, "the bridge opened")
                assert app.connection.state == "open", app.connection
                bridge_in = await asyncio.to_thread(rig.wait_for_port, "Beat Generation In")
                knob = await asyncio.to_thread(open_knob, rig, bridge_in)
                try:
                    await pilot.press("escape", "ctrl+l")
                    assert isinstance(app.screen, LearnScreen)
                    app.screen.query_one(OptionList).highlighted = LEARNABLE.index("density")
                    await pilot.press("enter")
                    await pilot.pause(0.3)  # the bridge learns from the next message
                    await asyncio.to_thread(knob.send_message, [0xB3, KNOB_CC, 64])  # channel 4
                    await wait_for(pilot, lambda: app.values["midi_cc"]["density"] == KNOB_CC, 5, "the knob learned")
                    assert app.values["generation"]["density"] == 1.0, "the knob was learned, not played"
                    await pilot.press("escape", "ctrl+s")
                    await wait_for(pilot, lambda: not app.dirty, 5, "the preset saved")
                finally:
                    await asyncio.to_thread(close_knob, knob)
                await pilot.press("ctrl+q")
            logs.extend(app.bridge_log.lines)

        async def reload_and_turn():
            app = create_app(options)
            async with app.run_test(size=(120, 40)) as pilot:
                await wait_for(pilot, lambda: app.connection.state != "opening", 20, "the bridge opened")
                assert app.values["midi_cc"]["density"] == KNOB_CC, "the mapping came back from the file"
                bridge_in = await asyncio.to_thread(rig.wait_for_port, "Beat Generation In")
                knob = await asyncio.to_thread(open_knob, rig, bridge_in)
                try:
                    await pilot.pause(0.3)
                    await asyncio.to_thread(knob.send_message, [0xB3, KNOB_CC, 127])
                    await wait_for(pilot, lambda: app.values["generation"]["density"] == 2.0, 5, "the knob acts")
                finally:
                    await asyncio.to_thread(close_knob, knob)
                await pilot.press("ctrl+q")
            logs.extend(app.bridge_log.lines)

        asyncio.run(learn_and_save())
        assert load_preset(preset)["midi_cc"]["density"] == KNOB_CC, "saved in the preset's file"
        asyncio.run(reload_and_turn())
    log = "\n".join(logs)
    assert "MIDI learn: CC 25 (channel 4)" in log and "CC 25 = 127: density 2.00" in log, log
