"""The terminal UI driven by keys and clicks (Textual's Pilot), built by create_app as `beatgen` builds it.

The bridge is a fake with BridgeProcess's API (tests/tui_support.py) that
records commands; presets live in each test's temporary folder.  What is
checked: what the app sends to the bridge, what it shows, what it writes.
The same app with the real bridge on real JACK ports: tests/test_tui_jack.py.
"""

from __future__ import annotations

import asyncio
import dataclasses

import mido
import pytest
from textual.widgets import Input, Select

from bridge.midi_io.midi_files import read_drum_part
from bridge.music.drums import DRUM_NAMES
from bridge.settings.controls import Controls
from bridge.settings.presets import DEFAULT_PRESET, FACTORY_PRESETS_DIR, PresetError
from tests.tui.support import DESCRIBE, NO_MIDI, FakeBridge, engine_status, fake_factory, groove_bars, make_app
from tui.dialogs import ConfirmDialog, NameDialog
from tui.help_screen import HelpScreen
from tui.offline_screen import OfflineScreen
from tui.port_picker import PortPicker

pytestmark = pytest.mark.ui

SIZE = (120, 40)


def run(app, scenario, size=SIZE):
    """Run `scenario(pilot)` inside the app; the app is quit (ctrl+q) afterwards unless the scenario did."""

    async def go():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await wait_for(pilot, lambda: app.connection.state != "opening")
            await scenario(pilot)
            if app.is_running:
                await pilot.press("ctrl+q")
                await pilot.pause()

    asyncio.run(go())


async def wait_for(pilot, condition, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached in time")


def bridge() -> FakeBridge:
    return FakeBridge.instances[-1]


@pytest.fixture(autouse=True)
def fresh_instances(monkeypatch, tmp_path):
    FakeBridge.instances.clear()
    monkeypatch.setenv("BEATGEN_CONFIG_DIR", str(tmp_path / "config"))


def field(app, section: str, key: str):
    return app.query_one(f"#field-{section}-{key}")


def help_text(app, section: str, key: str) -> str:
    return str(app.query_one(f"#help-{section}-{key}").render())


# -- start, status, pattern ---------------------------------------------------------------------


def test_first_start_uses_the_default_preset_then_the_last_one_used(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        assert app.preset.name == DEFAULT_PRESET
        assert bridge().opened and bridge().preset.name == DEFAULT_PRESET
        app.load_preset_named("endless")
        await pilot.pause()
        assert bridge().sent("preset")[-1]["mode"]["kind"] == "continuous"

    run(app, scenario)
    assert bridge().closed, "quitting closes the bridge (every note off)"
    again = make_app(tmp_path)
    assert again.preset.name == "endless"


def test_status_bar_shows_ports_clock_tempo_position_mode_and_offset(tmp_path):
    status = engine_status(
        clock="external", running=True, bpm=128.04, position_ticks=2 * 96 + 2 * 24 + 5, mode_state="answering",
        offset_ms=-12.0, controls=Controls(temperature=1.25, offset_ms=-12.0), loop_history=(1, 3), bars=groove_bars(),
    )  # fmt: skip
    app = make_app(tmp_path, fake_factory(status=status))

    async def scenario(pilot):
        first, second = app.status_bar.lines
        assert DESCRIBE in first and "preset call-and-response" in first
        for part in ("clock running (external)", "128.0 BPM", "bar 3:3", "generating (answering)", "offset -12 ms",
                     "temp 1.25", "take 2/3"):  # fmt: skip
            assert part in second, second
        bridge().current = dataclasses.replace(bridge().current, running=False, mode_state="looping")
        await pilot.pause(0.15)
        assert "clock stopped" in app.status_bar.lines[1] and "looping" in app.status_bar.lines[1]
        bridge().current = dataclasses.replace(bridge().current, clock="waiting", bpm=None)
        await pilot.pause(0.15)
        assert "clock none" in app.status_bar.lines[1] and "--- BPM" in app.status_bar.lines[1]

    run(app, scenario)


def test_pattern_view_shows_seed_and_generated_bars_with_the_playhead(tmp_path):
    status = engine_status(running=True, clock="internal", bpm=120.0, position_ticks=2 * 96 + 30, bars=groove_bars())
    app = make_app(tmp_path, fake_factory(status=status))

    async def scenario(pilot):
        view = app.pattern
        text = view.render_text().splitlines()
        assert text[0].split() == ["1", "seed", "2", "seed", "3", "generated", "4", "generated", "5", "6"]
        assert view.playhead_step() == 5  # tick 30 of bar 3: the 6th 16th
        kick = next(line for line in text if "kick" in line)
        assert kick.split()[-1].startswith("●·······●·······│"), kick
        crash = next(line for line in text if "crash" in line)
        cells = crash.split("│")
        assert "●" not in cells[0].split()[-1] + cells[1] and cells[2].startswith("●"), "the crash only in bar 3"
        assert view.model.bars[2].steps() >= {(9, 0), (1, 15)}, "a hit at beat 3.75 is the bar's last 16th"
        renders = view.renders
        await pilot.pause(0.3)  # several polls, nothing new: no redraw
        assert view.renders == renders
        bridge().current = dataclasses.replace(status, position_ticks=2 * 96 + 36)
        await pilot.pause(0.15)
        assert view.playhead_step() == 6 and view.renders > renders

    run(app, scenario)


def test_display_follows_the_status_at_20_polls_a_second(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        start = app.polls
        await pilot.pause(1.0)
        assert app.polls - start >= 15, f"{app.polls - start} polls in 1 s"

    run(app, scenario)


# -- live keys --------------------------------------------------------------------------------------


def test_space_g_and_history_keys_send_their_commands(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await pilot.press("space")
        await pilot.pause(0.1)
        assert bridge().commands[-1] == ("disarm", None)
        assert "disarmed" in app.status_bar.lines[1]
        await pilot.press("space", "g", "ctrl+z", "ctrl+y")
        assert [name for name, _ in bridge().commands[-4:]] == ["arm", "trigger", "undo", "redo"]

    run(app, scenario)


def test_panic_works_from_a_number_field_and_a_dialog_but_p_types_in_a_text_field(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await pilot.press("p")
        assert bridge().sent("panic") == [None]
        field(app, "generation", "temperature").focus()
        await pilot.pause()
        await pilot.press("p")
        assert len(bridge().sent("panic")) == 2, "a number field cannot take a p: the app gets it"
        description = field(app, "preset", "description")
        description.focus()
        description.value = ""
        await pilot.pause()
        await pilot.press("p", "o", "p")
        assert description.value == "pop" and len(bridge().sent("panic")) == 2
        await pilot.press("escape", "p")
        assert len(bridge().sent("panic")) == 3, "Esc leaves the field; then p panics"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("p")
        assert len(bridge().sent("panic")) == 4, "a priority binding: also over a modal screen"

    run(app, scenario)


def test_temperature_keys_step_and_clamp_and_show_in_the_editor(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await pilot.press("right_square_bracket", "right_square_bracket", "left_square_bracket")
        temperatures = [controls.temperature for controls in bridge().sent("controls")]
        assert temperatures == [1.1, 1.2, 1.1]
        assert field(app, "generation", "temperature").value == "1.1"
        for _ in range(30):
            await pilot.press("right_square_bracket")
        assert bridge().sent("controls")[-1].temperature == 3.0
        await pilot.pause(0.15)
        assert "temp 3.00" in app.status_bar.lines[1] and app.preset.name + "*" in app.status_bar.lines[0]

    run(app, scenario)


def test_f_asks_for_a_fill_s_steps_styles_and_comma_full_stop_step_density(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await pilot.press("escape", "f")
        assert len(bridge().sent("fill")) == 1
        await pilot.press("s", "s", "S")
        styles = [controls.style for controls in bridge().sent("controls")]
        assert styles == ["afrobeat", "afrocuban", "afrobeat"]
        await pilot.press("S", "S")
        assert bridge().sent("controls")[-1].style == "soul", "follow comes after the last style"
        assert field(app, "generation", "style").value == "soul"
        await pilot.press("full_stop", "full_stop", "comma")
        assert [controls.density for controls in bridge().sent("controls")][-3:] == [1.1, 1.2, 1.1]
        await pilot.pause(0.15)
        assert "style soul" in app.status_bar.lines[1] and "density 1.1" in app.status_bar.lines[1]

    run(app, scenario)


def test_digit_keys_select_a_lane_and_m_l_mute_and_lock_it(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await pilot.press("2", "m", "4", "l", "9", "m")
        sent = bridge().sent("controls")[-1]
        assert sent.mute == {DRUM_NAMES.index("snare"), DRUM_NAMES.index("high_tom")}
        assert sent.lock == {DRUM_NAMES.index("closed_hh")}
        assert app.values["drums"]["mute"] == ["snare", "high_tom"]
        assert field(app, "drums", "mute").value == "snare, high_tom"
        await pilot.press("2", "m")
        assert bridge().sent("controls")[-1].mute == {DRUM_NAMES.index("high_tom")}
        await pilot.pause(0.15)
        assert "lane 2 snare" in app.status_bar.lines[1]
        lines = app.pattern.render_text().splitlines()
        assert lines[2 + 8].split()[2] == "M" and lines[2 + 3].split()[2] == "L"  # high_tom muted, closed_hh locked
        app.pattern.focus()
        await pilot.pause()
        await pilot.press("down", "down")
        assert app.lane == 3

    run(app, scenario)


# -- the editor -----------------------------------------------------------------------------------------


def test_editor_checks_each_keystroke_and_applies_only_valid_values(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        swing = field(app, "feel", "swing")
        swing.focus()
        swing.value = ""
        await pilot.pause()
        await pilot.press("3")
        assert "feel.swing = 3.0 is out of range: float from 0.0 to 1.0" in help_text(app, "feel", "swing")
        assert not bridge().sent("controls"), "an invalid value is not applied"
        await pilot.press("backspace", "0", ".", "5")
        assert help_text(app, "feel", "swing") == "delay off-beat 16ths (1 = triplet swing)"
        assert bridge().sent("controls")[-1].swing == 0.5
        mute = field(app, "drums", "mute")
        mute.value = "kick, cowbell"
        await pilot.pause()
        assert "unknown drums ['cowbell']" in help_text(app, "drums", "mute")
        mute.value = "kick, crash"
        await pilot.pause()
        assert bridge().sent("controls")[-1].mute == {0, 9}
        offset = field(app, "output", "offset_ms")
        offset.value = "-8"
        await pilot.pause()
        assert bridge().sent("controls")[-1].offset_ms == -8.0

    run(app, scenario)


def test_mode_bar_counts_and_tempo_go_to_the_running_bridge(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        field(app, "mode", "kind").value = "loop"
        await pilot.pause()
        assert bridge().sent("preset")[-1]["mode"]["kind"] == "loop"
        field(app, "mode", "loop_bars").value = "8"
        await pilot.pause()
        assert bridge().sent("preset")[-1]["mode"]["loop_bars"] == 8
        field(app, "clock", "bpm").value = "96.5"
        await pilot.pause()
        assert bridge().sent("bpm")[-1] == 96.5
        field(app, "output", "thru").value = True
        await pilot.pause()
        assert bridge().sent("controls")[-1].thru is True
        app.query_one("#collapsible-midi_cc").collapsed = False
        await pilot.pause()
        cc = field(app, "midi_cc", "temperature")
        cc.value = "200"
        await pilot.pause()
        error = help_text(app, "midi_cc", "temperature")
        assert "midi_cc.temperature = 200 is out of range: int from -1 to 127" in error
        cc.value = "21"
        await pilot.pause()
        assert bridge().sent("preset")[-1]["midi_cc"]["temperature"] == 21

    run(app, scenario)


def test_a_knob_mapped_to_a_control_moves_the_editor_and_marks_the_preset_unsaved(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        app.change("midi_cc", "temperature", 21)
        app.change("midi_cc", "mute_kick", 22)
        app.change("drums", "lock", ["closed_hh", "snare"])  # not in drum order: a knob elsewhere leaves it
        app._set_dirty(False)  # as if saved with the mapping: what follows is the knob alone
        bridge().turn_knob(21, 127)
        await wait_for(pilot, lambda: app.values["generation"]["temperature"] == 3.0)
        assert float(field(app, "generation", "temperature").value) == 3.0
        bridge().turn_knob(22, 127)
        await wait_for(pilot, lambda: app.values["drums"]["mute"] == ["kick"])
        assert app.values["drums"]["lock"] == ["closed_hh", "snare"]
        assert app.dirty and app.preset.name + "*" in app.status_bar.lines[0], "a knob turn leaves the preset unsaved"
        assert bridge().sent("controls")[-1] == bridge().status().controls, "what the app sends back agrees"

    run(app, scenario)


def test_a_bridge_slow_to_apply_edits_never_undoes_the_latest_one(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        bridge().holding = True
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert app.values["generation"]["temperature"] == 1.2
        bridge().apply_held(1)  # the bridge shows 1.1 for a while: an older edit of ours, not a knob
        await pilot.pause(0.2)
        assert app.values["generation"]["temperature"] == 1.2
        assert float(field(app, "generation", "temperature").value) == 1.2
        bridge().apply_held(1)
        await pilot.pause(0.2)
        assert bridge().status().controls.temperature == 1.2 and app.values["generation"]["temperature"] == 1.2

    run(app, scenario)


# -- presets ---------------------------------------------------------------------------------------------


def test_ctrl_s_on_a_factory_preset_asks_for_a_new_name_and_saves_a_user_preset(tmp_path):
    app = make_app(tmp_path)
    factory_text = (FACTORY_PRESETS_DIR / f"{DEFAULT_PRESET}.toml").read_text()

    async def scenario(pilot):
        await pilot.press("right_square_bracket", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NameDialog)
        name_input = app.screen.query_one("#name", Input)
        name_input.value = "my groove"
        await pilot.press("enter")
        await pilot.pause()
        assert app.preset.name == "my groove" and not app.dirty
        saved = tmp_path / "presets" / "my groove.toml"
        assert "temperature = 1.1" in saved.read_text()
        assert "my groove" in app.preset_list.entries and not app.preset_list.entries["my groove"].factory
        await pilot.press("right_square_bracket", "ctrl+s")  # a user preset: saved in place, no question
        await pilot.pause()
        assert not isinstance(app.screen, NameDialog) and "temperature = 1.2" in saved.read_text()

    run(app, scenario)
    assert (FACTORY_PRESETS_DIR / f"{DEFAULT_PRESET}.toml").read_text() == factory_text


def test_save_as_refuses_factory_names_and_asks_before_replacing_a_user_preset(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        app._save_as("endless")
        await pilot.pause()
        assert not (tmp_path / "presets" / "endless.toml").exists()
        app._save_as("mine")
        await pilot.pause()
        app.action_temperature(1)
        app._save_as("mine")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # no
        assert "temperature = 1.0" in (tmp_path / "presets" / "mine.toml").read_text()
        app._save_as("mine")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert "temperature = 1.1" in (tmp_path / "presets" / "mine.toml").read_text()

    run(app, scenario)


def test_duplicate_and_delete_from_the_preset_list(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        options = app.preset_list.options
        options.focus()
        await pilot.pause()
        options.highlighted = [o.id for o in options.options].index("endless")
        await pilot.press("d")
        await pilot.pause()
        assert app.preset.name == "endless-copy" and (tmp_path / "presets" / "endless-copy.toml").is_file()
        assert bridge().sent("preset")[-1]["mode"]["kind"] == "continuous"
        options.highlighted = [o.id for o in options.options].index("endless")
        await pilot.press("delete")
        await pilot.pause()
        assert (FACTORY_PRESETS_DIR / "endless.toml").is_file(), "factory presets cannot be deleted"
        options.highlighted = [o.id for o in options.options].index("endless-copy")
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
        assert not (tmp_path / "presets" / "endless-copy.toml").exists()
        assert app.preset.name == DEFAULT_PRESET, "the deleted preset was playing: back to the default"

    run(app, scenario)


def test_loading_another_preset_asks_before_dropping_unsaved_changes(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await pilot.press("right_square_bracket")
        app.load_preset_named("4-bar-loop")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        assert app.preset.name == DEFAULT_PRESET and app.dirty
        app.load_preset_named("4-bar-loop")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.preset.name == "4-bar-loop" and not app.dirty
        assert field(app, "mode", "kind").value == "loop"
        assert field(app, "generation", "temperature").value == "0.9"  # presets/4-bar-loop.toml

    run(app, scenario)


def test_a_broken_preset_file_is_listed_with_its_error_and_the_app_keeps_running(tmp_path):
    (tmp_path / "presets").mkdir()
    broken = tmp_path / "presets" / "broken.toml"
    broken.write_text("[feel]\nswing = 3\n")
    app = make_app(tmp_path)

    async def scenario(pilot):
        entry = app.preset_list.entries["broken"]
        assert entry.error and str(broken) in entry.error
        options = app.preset_list.options
        options.focus()
        await pilot.pause()
        options.highlighted = [o.id for o in options.options].index("broken")
        await pilot.pause()
        detail = str(app.preset_list.query_one("#preset-detail").render())
        assert "feel.swing = 3.0 is out of range: float from 0.0 to 1.0" in detail
        await pilot.press("enter")
        await pilot.pause()
        assert app.preset.name == DEFAULT_PRESET and app.is_running
        messages = [n.message for n in app._notifications]
        assert any(str(broken) in m and "feel.swing" in m and "0.0 to 1.0" in m for m in messages), messages

    run(app, scenario)


def test_a_broken_preset_asked_for_at_start_falls_back_to_the_default_with_the_error(tmp_path):
    broken = tmp_path / "bad.toml"
    broken.write_text("[mode]\nkind = 'loops'\n")
    app = make_app(tmp_path, preset=str(broken))

    async def scenario(pilot):
        assert app.preset.name == DEFAULT_PRESET
        messages = [n.message for n in app._notifications]
        assert any(str(broken) in m and "mode.kind" in m for m in messages), messages

    run(app, scenario)


# -- no MIDI, ports, offline, export --------------------------------------------------------------------------


def test_without_midi_the_app_says_why_and_what_to_do_and_offers_offline_generation(tmp_path, monkeypatch):
    app = make_app(tmp_path, fake_factory(fail=NO_MIDI))
    target = tmp_path / "out" / "answer.mid"

    async def scenario(pilot):
        assert app.connection.state == "no-midi" and app.is_running
        notice = str(app.query_one("#no-midi-reason").render())
        assert "no JACK server running" in notice and "modprobe snd-seq" in notice
        assert "MIDI: none" in app.status_bar.lines[0]
        assert not app.pattern.display
        await pilot.press("o")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OfflineScreen) and "no JACK server" in screen.why
        screen.query_one("#out-path", Input).value = str(target)
        await pilot.click("#generate")
        await asyncio.to_thread(screen.done.wait, 60)
        await pilot.pause()
        assert screen.result_text.startswith(f"wrote {target}: 4 bars"), screen.result_text
        await pilot.press("escape")
        assert not isinstance(app.screen, OfflineScreen)

    run(app, scenario)
    part = read_drum_part(target)
    # The seed's 2 bars (8 beats), then the answer (call-and-response: 2 bars).
    assert any(hit.time < 8 for hit in part.hits) and any(hit.time >= 8 for hit in part.hits)
    assert max(hit.time for hit in part.hits) < 16
    assert mido.MidiFile(target).length > 0


def test_offline_generation_reports_a_bad_file_and_keeps_going(tmp_path):
    bad = tmp_path / "not-midi.mid"
    bad.write_text("hello")
    app = make_app(tmp_path, fake_factory(fail=NO_MIDI))

    async def scenario(pilot):
        await pilot.click("#offline")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#seed-path", Input).value = str(bad)
        screen.action_generate()
        await asyncio.to_thread(screen.done.wait, 60)
        await pilot.pause()
        assert str(bad) in screen.result_text and "-error" in screen.query_one("#result").classes
        screen.query_one("#seed-path", Input).value = str(tmp_path / "missing.mid")
        screen.action_generate()
        assert "no such file" in screen.result_text

    run(app, scenario)


def test_port_picker_reopens_the_bridge_with_the_new_backend_and_names(tmp_path):
    app = make_app(tmp_path, fake_factory(fail=NO_MIDI))

    async def scenario(pilot):
        first = bridge()
        await pilot.press("w")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PortPicker)
        picker.query_one("#backend", Select).value = "jack"
        picker.query_one("#in-name", Input).value = "Drums In"
        picker.query_one("#out-name", Input).value = "Drums Out"
        await pilot.click("#apply")
        await wait_for(pilot, lambda: len(FakeBridge.instances) == 2 and app.connection.state != "opening")
        second = bridge()
        chosen = (second.options.backend, second.options.in_name, second.options.out_name)
        assert chosen == ("jack", "Drums In", "Drums Out")
        assert second.preset.values == app.values
        assert app.connection.state == "no-midi" and not first.opened
        app.bridge_factory = fake_factory()  # the MIDI system is there now
        await pilot.press("r")  # retry
        await wait_for(pilot, lambda: len(FakeBridge.instances) == 3 and app.connection.state == "open")
        assert bridge().opened and app.pattern.display

    run(app, scenario)


def test_reopening_closes_the_running_bridge_first(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        first = bridge()
        app._apply_ports(type("Choice", (), {"backend": "alsa", "in_name": "a", "out_name": "b"})())
        await wait_for(pilot, lambda: len(FakeBridge.instances) == 2 and app.connection.state == "open")
        assert first.closed and bridge().opened and bridge().options.backend == "alsa"

    run(app, scenario)


def test_export_writes_the_seed_and_the_last_generated_bars(tmp_path):
    app = make_app(tmp_path, fake_factory(status=engine_status(bpm=100.0, running=True, clock="external")))
    target = tmp_path / "export" / "take.mid"

    async def scenario(pilot):
        bridge().history_bars = list(groove_bars())
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#export-path", Input).value = str(target)
        app.screen.query_one("#export-bars", Input).value = "1"
        await pilot.click("#export")
        await pilot.pause()

    run(app, scenario)
    part = read_drum_part(target)
    assert round(part.bpm) == 100
    assert part.bar_count == 3, "2 seed bars and the last generated bar"
    drums = {hit.drum for hit in part.hits}
    assert DRUM_NAMES.index("crash") not in drums, "the crash was in the first generated bar, not the last one"


def test_export_dialog_refuses_bad_input(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#export-bars", Input).value = "0"
        await pilot.click("#export")
        await pilot.pause()
        assert "from 1 to 256" in str(app.screen.query_one("#export-error").render())
        await pilot.press("escape")

    run(app, scenario)


# -- help, palette, quit ------------------------------------------------------------------------------------------


def test_help_overlay_opens_with_question_mark_and_closes_with_escape(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)

    run(app, scenario)


def test_command_palette_runs_panic_loads_presets_and_offers_the_theme(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for title in ("Panic", "Ports", "Theme", "Export MIDI", "Load preset: endless", "Save preset as…"):
            assert title in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"panic")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert bridge().sent("panic") == [None]
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"load preset: wild")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.preset.name == "wild-fills"

    run(app, scenario)


def test_ctrl_q_quits_and_closes_the_bridge(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running

    run(app, scenario)
    assert bridge().closed


def test_a_bridge_that_dies_is_reported_and_the_app_keeps_running(tmp_path):
    app = make_app(tmp_path)

    async def scenario(pilot):
        def dead():
            raise EOFError("bridge process exited")

        bridge().status = dead
        await pilot.pause(0.2)
        assert app.connection.state == "error" and "bridge process exited" in app.connection.text
        assert app.is_running and app.bridge is None
        await pilot.press("p")  # nothing to send to: still no crash

    run(app, scenario)


def test_a_preset_error_from_the_store_never_crashes_save(tmp_path, monkeypatch):
    app = make_app(tmp_path)

    async def scenario(pilot):
        def refuse(*_args, **_kwargs):
            raise PresetError("disk says no")

        monkeypatch.setattr(app.store, "save_as", refuse)
        app._save_as("fine-name")
        await pilot.pause()
        assert any("disk says no" in n.message for n in app._notifications) and app.is_running

    run(app, scenario)
