"""MIDI learn in the terminal UI (ctrl+l), and buttons mapped to a mode or a preset change (issue 13).

The bridge is the fake of tests/tui/support.py: a test plays the engine's part by
setting what its status reports (a learned message, a request).  The same with the
real bridge on real JACK ports: tests/tui/test_tui_jack.py.
"""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import OptionList

from bridge.settings.midi_map import LEARNABLE, Learned
from tests.tui.support import make_app
from tests.tui.test_tui_app import bridge, fresh_instances, run, wait_for  # noqa: F401 - fresh_instances: autouse
from tui.learn_screen import LearnScreen

pytestmark = pytest.mark.ui


def report(message: Learned | None = None, requests: tuple = ()) -> None:
    """The engine saw a knob or pad while learning, or fired requests."""
    changes: dict = {"requests": requests} if requests else {}
    if message is not None:
        changes["learned"] = message
    bridge().current = dataclasses.replace(bridge().current, **changes)


async def choose(pilot, app, control: str) -> None:
    options = app.screen.query_one(OptionList)
    options.highlighted = LEARNABLE.index(control)
    await pilot.press("enter")


def test_learning_a_knob_maps_it_in_the_preset_and_takes_it_from_another_control(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        app.change("midi_cc", "swing", 21)
        await pilot.press("escape", "ctrl+l")
        assert isinstance(app.screen, LearnScreen)
        await choose(pilot, app, "temperature")
        assert bridge().sent("learn") == [None]
        assert "move a knob or press a pad" in str(app.screen.query_one("#learn-state").render())
        report(Learned(1, "cc", 21, 10))
        await wait_for(pilot, lambda: app.values["midi_cc"]["temperature"] == 21)
        assert app.values["midi_cc"]["swing"] == -1, "one knob, one control"
        assert app.dirty and bridge().sent("preset")[-1]["midi_cc"]["temperature"] == 21
        state = str(app.screen.query_one("#learn-state").render())
        assert state.startswith("temperature <- CC 21 (channel 10)")
        await pilot.press("escape")
        assert not isinstance(app.screen, LearnScreen)

    run(app, scenario)


def test_a_pad_for_a_knob_control_is_refused_and_learning_goes_on(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await pilot.press("escape", "ctrl+l")
        await choose(pilot, app, "temperature")
        report(Learned(1, "note", 40, 10))
        await wait_for(pilot, lambda: len(bridge().sent("learn")) == 2)
        assert "temperature needs a knob or fader" in str(app.screen.query_one("#learn-state").render())
        report(Learned(2, "note", 41, 10))
        await choose(pilot, app, "mute_kick")
        report(Learned(3, "note", 41, 3))
        await wait_for(pilot, lambda: app.values["midi_notes"]["mute_kick"] == 41)
        assert "listens on channel" not in str(app.screen.query_one("#learn-state").render()), "input channel 0: all"

    run(app, scenario)


def test_a_mode_button_shows_in_the_editor(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await pilot.pause(0.2)
        report(requests=((1, "mode", "loop"),))
        await wait_for(pilot, lambda: app.values["mode"]["kind"] == "loop")
        assert app.dirty and bridge().sent("preset")[-1]["mode"]["kind"] == "loop"

    run(app, scenario)


@pytest.mark.parametrize(("action", "step"), [("preset_next", 1), ("preset_previous", -1)])
def test_preset_buttons_load_the_next_or_previous_preset_once(tmp_path, action, step):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await pilot.pause(0.2)
        names = [entry.name for entry in app.store_entries() if entry.error is None]
        first = app.preset.name
        expected = names[(names.index(first) + step) % len(names)]
        report(requests=((1, action, ""),))
        await wait_for(pilot, lambda: app.preset.name == expected)
        await pilot.pause(0.3)  # the same request polled again is not carried out twice
        assert app.preset.name == expected

    run(app, scenario)
