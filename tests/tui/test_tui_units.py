"""The TUI's pure parts (pattern grid, status words, editor text, help table) and its command line.

The pattern and status tests use the real BarView / EngineStatus classes;
the command-line tests run the real `beatgen` as a user would.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bridge.cli.main import build_parser
from bridge.live.bar_history import BarView
from bridge.music.hits import Hit
from bridge.settings.controls import Controls
from bridge.settings.preset_store import check_field
from bridge.settings.presets import PRESET_SCHEMA, defaults
from tests.conftest import ROOT, run_beatgen
from tests.tui.support import engine_status
from tui.app import BeatGenApp
from tui.bench import percentile
from tui.dialogs import check_name
from tui.export_screen import check_request
from tui.help_screen import KEYS
from tui.pattern_view import PatternModel, step_of, window_start
from tui.preset_editor import format_value
from tui.status_bar import Connection, clock_text, status_lines


def test_a_hit_belongs_to_its_nearest_16th_and_never_to_the_next_bar():
    assert [step_of(t) for t in (0.0, 0.12, 0.13, 1.0, 3.74, 3.76, 3.99)] == [0, 0, 1, 4, 15, 15, 15]


def test_pages_of_bars_hold_the_playhead():
    assert [window_start(bar, 4) for bar in (0, 3, 4, 9)] == [0, 0, 4, 8]


def bar(number, source, *hits):
    return BarView(number, source, tuple(Hit(time, drum, 100) for time, drum in hits))


def test_pattern_model_mirrors_the_bridges_recent_bars_and_keeps_older_ones():
    model = PatternModel()
    model.update((bar(0, "seed", (0, 0)), bar(1, "seed", (1, 1)), bar(2, "generated", (0, 9))), 2 * 96)
    assert {b: cells.source for b, cells in model.bars.items()} == {0: "seed", 1: "seed", 2: "generated"}
    # The bridge's report moved on: bar 0 fell out of its window (kept here); bar 2 was dropped at Stop.
    model.update((bar(1, "seed", (1, 1)), bar(3, "generated", (2, 3))), 3 * 96)
    assert sorted(model.bars) == [0, 1, 3]
    # Played over a generated bar (continuous mode): both sounded, both show.
    model.update((bar(3, "seed", (0.5, 0)), bar(3, "generated", (2, 3))), 3 * 96)
    assert model.bars[3].source == "generated" and model.bars[3].steps() == {(0, 2), (3, 8)}
    # Start again from bar 1: the bridge forgot its bars, so do we.
    model.update((), 0)
    assert model.bars == {}


def test_pattern_model_forgets_older_bars_when_the_song_jumps_back():
    model = PatternModel()
    model.update((bar(0, "seed", (0, 0)),), 0)
    recent = (bar(5, "generated", (0, 0)),)
    model.update(recent, 5 * 96)
    assert sorted(model.bars) == [0, 5], "bar 0 left the bridge's report but stays on screen"
    model.update(recent, 1 * 96)  # Song Position Pointer back to bar 2
    assert sorted(model.bars) == [5], "what the bridge still reports stays; the old pass is gone"


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"clock": "waiting", "running": False, "bpm": None}, "clock none"),
        ({"clock": "external", "running": False, "bpm": None}, "clock none"),
        ({"clock": "external", "running": True, "bpm": 98.76}, "clock running (external)"),
        ({"clock": "external", "running": False, "bpm": 98.0}, "clock stopped"),
        ({"clock": "internal", "running": True, "stalled": True, "bpm": 120.0}, "clock stalled"),
    ],
)
def test_clock_words(changes, words):
    assert clock_text(engine_status(**changes)) == words.removeprefix("clock ")


@pytest.mark.parametrize(
    "state, shown",
    [("listening", "listening"), ("hearing", "listening (hearing)"), ("answering", "generating (answering)"),
     ("continuing", "generating (continuing)"), ("looping", "looping"), ("disarmed", "disarmed")],
)  # fmt: skip
def test_mode_states_as_a_producer_names_them(state, shown):
    _, line = status_lines(engine_status(mode_state=state, mode="loop"), Connection("open", "x"), "p", 0)
    assert f"{shown} · loop" in line


def test_status_line_without_a_bridge_still_names_the_lane():
    first, second = status_lines(None, Connection("no-midi", "why"), "endless*", 11)
    assert "MIDI: none" in first and "preset endless*" in first and second == "clock none │ lane 12 ride_bell"


def test_status_line_shows_position_offset_temperature_take_and_late_notes():
    status = engine_status(
        running=True, clock="internal", bpm=90.0, position_ticks=96 * 4 + 24 * 3 + 23, offset_ms=7.4,
        controls=Controls(temperature=0.55), loop_history=(2, 5), late_notes=3,
    )  # fmt: skip
    _, line = status_lines(status, Connection("open", "x"), "p", 0)
    assert line.split(" │ ") == [
        "clock running (internal)", "90.0 BPM", "bar 5:4", "listening · call_response", "offset +7 ms", "temp 0.55",
        "lane 1 kick", "take 3/5", "late 3",
    ]  # fmt: skip


def test_editor_text_reads_back_as_the_same_value_for_every_key_of_the_schema():
    values = defaults()
    values["drums"]["mute"] = ["kick", "crash"]
    values["generation"]["temperature"] = 0.1 + 0.2  # a float that prints long with repr
    values["output"]["offset_ms"] = -12.5
    for section, fields in PRESET_SCHEMA.items():
        for key, field in fields.items():
            if field.choices or field.kind is bool:
                continue  # a Select / Switch, no text
            value = values[section][key]
            assert check_field(section, key, format_value(field, value)) == pytest.approx(value), (section, key)


def bound_keys(node_class) -> set[str]:
    keys = set()
    for binding in node_class.BINDINGS:
        keys.update(binding.key.split(","))
    return keys


def test_every_key_in_the_help_is_bound_and_every_shown_binding_is_in_the_help():
    from textual.app import App

    bound = bound_keys(BeatGenApp) | bound_keys(App)
    helped = {key for keys, _shown, _what in KEYS for key in keys.split()}
    for key in helped:
        assert key in bound or key == "ctrl+p", key  # ctrl+p: Textual's command palette
    helped |= {str(n) for n in range(2, 10)}
    for binding in BeatGenApp.BINDINGS:
        assert binding.key in helped, binding.key


def test_export_request_checks_path_and_bar_count():
    assert check_request("take", "4").path.name == "take.mid"
    assert check_request("a/b.mid", "256").generated_bars == 256
    assert "from 1 to 256" in check_request("x.mid", "0")
    assert "whole number" in check_request("x.mid", "four")
    assert "where" in check_request(" ", "4")


def test_save_as_names_follow_the_store():
    assert check_name("my groove 2") is None and check_name("a_b-c") is None
    for bad in ("", " lead", "../x", "a/b", "x" * 49, "dots.not.allowed"):
        assert check_name(bad), bad


def test_percentile_is_nearest_rank():
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([float(v) for v in range(1, 16)], 0.99) == 15.0
    assert percentile([float(v) for v in range(1, 201)], 0.99) == 198.0


# -- the command line ------------------------------------------------------------------------


def test_plain_beatgen_means_beatgen_tui(monkeypatch):
    import bridge.cli.main as cli
    import tui.cli

    seen = []
    monkeypatch.setattr(tui.cli, "_tui", lambda args: seen.append(args) or 0)
    assert cli.main([]) == 0
    assert seen and seen[0].command == "tui" and seen[0].preset is None and seen[0].backend == "auto"


def test_tui_takes_the_same_options_as_run():
    commands = build_parser()._subparsers._group_actions[0].choices
    options = {name: {o for a in commands[name]._actions for o in a.option_strings} for name in ("run", "tui")}
    assert options["run"] <= options["tui"]


def test_the_bridge_never_imports_textual():
    code = (
        "import sys, bridge.cli.main, bridge.live.runner, bridge.live.engine, bridge.cli.live, bridge.settings.preset_store;"
        "bridge.cli.main.build_parser(); print('textual' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_beatgen_tui_starts_and_reports_ready(tmp_path, monkeypatch):
    monkeypatch.setenv("BEATGEN_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("BEATGEN_BENCH_T0", "0")
    result = run_beatgen("tui", "--exit-when-ready", "--preset", "endless")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tui-ready "), result.stdout


@pytest.mark.slow
def test_bench_tui_reports_start_times(tmp_path, monkeypatch):
    """The benchmark runs and reports; the numbers against the 1.5 s bar are in docs/tui.md (no timing asserts here)."""
    monkeypatch.setenv("BEATGEN_CONFIG_DIR", str(tmp_path))
    result = run_beatgen("bench-tui", "--runs", "3", "--json")
    assert result.returncode == 0, result.stderr
    numbers = json.loads(result.stdout)
    assert numbers["runs"] == 3 and len(numbers["samples_s"]) == 3
    assert 0 < numbers["min_s"] <= numbers["median_s"] <= numbers["p99_s"] <= numbers["max_s"], numbers
