"""Snapshots of the TUI's screens (pytest-textual-snapshot) at a fixed terminal size.

Deterministic on purpose: a fake bridge with a frozen status (no clock
running, nothing changes between polls), the default preset, presets in a
temporary folder, no time stamps on screen, no blinking cursor.  A change
to what a screen shows fails here with a side-by-side report
(snapshot_report.html); after checking it, accept it with
`./test.sh tests/test_tui_snapshots.py --snapshot-update` and commit the .svg files.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widgets import Input

from bridge.settings.controls import Controls
from tests.conftest import simple_groove, write_midi
from tests.tui.support import NO_MIDI, engine_status, fake_factory, groove_bars, make_app

pytestmark = pytest.mark.ui

SIZE = (110, 36)
PLAYING = engine_status(
    clock="external", running=True, bpm=120.0, position_ticks=2 * 96 + 30, mode_state="answering",
    controls=Controls(mute=frozenset({9})), bars=groove_bars(), loop_history=(0, 2),
)  # fmt: skip


def settle(*steps):
    """run_before: wait for the bridge, stop cursors blinking, then the given steps (each gets the pilot)."""

    async def run_before(pilot):
        app = pilot.app
        for _ in range(200):
            if app.connection.state != "opening":
                break
            await pilot.pause(0.02)
        await pilot.pause()
        for step in steps:
            await step(pilot)
            await pilot.pause()
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run_before


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("BEATGEN_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


def test_main_screen_while_playing(snap_compare, config):
    app = make_app(config, fake_factory(status=PLAYING))

    async def pick_lane(pilot):
        await pilot.press("2")

    assert snap_compare(app, terminal_size=SIZE, run_before=settle(pick_lane))


def test_main_screen_without_midi(snap_compare, config):
    app = make_app(config, fake_factory(fail=NO_MIDI))
    assert snap_compare(app, terminal_size=SIZE, run_before=settle())


def test_help_overlay(snap_compare, config):
    app = make_app(config, fake_factory(status=PLAYING))
    assert snap_compare(app, terminal_size=SIZE, press=["question_mark"], run_before=settle())


def test_editor_shows_the_error_under_a_bad_value(snap_compare, config):
    app = make_app(config, fake_factory(status=PLAYING))

    async def type_bad_swing(pilot):
        swing = pilot.app.query_one("#field-feel-swing", Input)
        swing.focus()
        await pilot.pause()
        swing.value = ""
        await pilot.press("3")
        pilot.app.query_one("#editor").scroll_to_widget(swing, animate=False, top=True)

    assert snap_compare(app, terminal_size=SIZE, run_before=settle(type_bad_swing))


def test_port_picker(snap_compare, config):
    app = make_app(config, fake_factory(status=PLAYING))
    assert snap_compare(app, terminal_size=SIZE, press=["w"], run_before=settle())


def test_offline_screen(snap_compare, config, tmp_path, monkeypatch):
    folder = tmp_path / "grooves"
    (folder / "more").mkdir(parents=True)
    write_midi(folder / "funk.mid", simple_groove(2))
    write_midi(folder / "more" / "rock.mid", simple_groove(2))
    (folder / "notes.txt").write_text("not shown: only folders and MIDI files")
    monkeypatch.chdir(folder)
    app = make_app(config, fake_factory(fail=NO_MIDI), offline_seed=folder / "funk.mid")
    assert snap_compare(app, terminal_size=SIZE, press=["o"], run_before=settle())


def test_preset_list_with_a_broken_preset(snap_compare, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = Path("config")  # relative: the error names the file, and must name it the same way on every machine
    (config / "presets").mkdir(parents=True)
    (config / "presets" / "broken.toml").write_text("[feel]\nswing = 3\n")
    (config / "presets" / "my-groove.toml").write_text("[preset]\ndescription = 'mine'\n")
    app = make_app(config, fake_factory(status=dataclasses.replace(PLAYING, running=False)))

    async def highlight_broken(pilot):
        options = pilot.app.preset_list.options
        options.focus()
        await pilot.pause()
        options.highlighted = [o.id for o in options.options].index("broken")

    assert snap_compare(app, terminal_size=SIZE, run_before=settle(highlight_broken))
