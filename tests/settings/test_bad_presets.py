"""Bad preset, note map and state files: one line naming the file, exit 2, no traceback, nothing escapes raw.

Presets go through the real `beatgen run --preset FILE` (the preset is read
before any MIDI port is opened); note maps and the store's state file are
read in-process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.settings.note_maps import MAX_TOML_BYTES, NoteMapError, load_note_map
from bridge.settings.preset_store import PresetStore
from bridge.settings.presets import DEFAULT_PRESET, PresetError, load_preset
from tests.conftest import run_beatgen

DEEP = "[" * 5000 + "]" * 5000
DEEP_TABLE = "{a = " * 5000 + "1" + "}" * 5000
LIMIT = f"over the {MAX_TOML_BYTES // 1000} KB limit"

PRESET_CASES = [
    ("deep-array", f"[generation]\ntemperature = {DEEP}\n", "not valid TOML (nested too deeply)"),
    ("deep-table", f"x = {DEEP_TABLE}\n", "not valid TOML (nested too deeply)"),
    ("huge-description", '[preset]\ndescription = "' + "x" * 10_000_000 + '"\n', f"10000 KB is {LIMIT} for a preset"),
    ("huge-integer", "[generation]\ntop_k = " + "9" * 5000 + "\n", "not valid TOML (Exceeds the limit"),
    ("not-utf8", b"[preset]\ndescription = '\xff'\n", "not UTF-8 text"),
    ("escape-in-key", '[mode]\n"a\\u001b[2Jb" = 1\n', "unknown key mode.a\\x1b[2Jb; known keys in [mode]"),
    ("newline-in-key", '[mode]\n"a\\nFAKE LINE" = 1\n', "unknown key mode.a\\nFAKE LINE; known keys in [mode]"),
    ("escape-in-value", '[mode]\nkind = "\\u001b[31mred"\n', "mode.kind = '\\x1b[31mred' must be one of"),
    ("long-value", '[mode]\nkind = "' + "k" * 5000 + '"\n', "mode.kind = 'kkkkkkkkkk"),
]


@pytest.mark.parametrize(("content", "message"), [c[1:] for c in PRESET_CASES], ids=[c[0] for c in PRESET_CASES])
def test_bad_preset_gives_one_line(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = run_beatgen("run", "--preset", path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "\x1b" not in result.stderr
    assert lines[0].startswith(f"beatgen run: error: {path}: {message}")
    assert len(lines[0]) < 1100


def test_a_long_value_is_cut_in_the_error(tmp_path):
    path = tmp_path / "long.toml"
    path.write_text('[mode]\nkind = "' + "k" * 5000 + '"\n')
    with pytest.raises(PresetError) as error:
        load_preset(path)
    assert "k" * 100 not in str(error.value) and "…" in str(error.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (f"[output]\nkick = {DEEP}\n", "not valid TOML (nested too deeply)"),
        (f"description = {DEEP_TABLE}\n", "not valid TOML (nested too deeply)"),
        ("description = '" + "x" * 100_000 + "'\n", f"100 KB is {LIMIT} for a note map"),
        ('[output]\n"\\u001b]0;title\\u0007" = 36\n', "[output] has unknown drums ['\\x1b]0;title\\x07']"),
    ],
    ids=["deep-array", "deep-table", "huge", "escape-in-drum"],
)
def test_bad_note_map_gives_one_line(tmp_path, content, message):
    (tmp_path / "mine.toml").write_text(content)
    with pytest.raises(NoteMapError) as error:
        load_note_map("mine", tmp_path)
    assert str(error.value).startswith(f"{tmp_path / 'mine.toml'}: {message}")
    assert "\n" not in str(error.value) and "\x1b" not in str(error.value)


@pytest.mark.parametrize("content", [f"last_preset = {DEEP}\n", "x" * (MAX_TOML_BYTES + 1), "last_preset = 'end"])
def test_a_damaged_state_file_falls_back_to_the_default_preset(tmp_path, content):
    store = PresetStore(user_dir=tmp_path / "presets")
    store.state_file.parent.mkdir(parents=True, exist_ok=True)
    store.state_file.write_text(content)
    assert store.last_used() == DEFAULT_PRESET
    store.remember("endless")  # a damaged state file is replaced, not a crash
    assert store.last_used() == "endless"


def test_a_broken_user_preset_is_listed_with_its_one_line_error(tmp_path):
    user = tmp_path / "presets"
    user.mkdir()
    (user / "deep.toml").write_text(f"x = {DEEP}\n")
    entries = {entry.name: entry for entry in PresetStore(user_dir=user).entries()}
    assert entries["deep"].error == f"{user / 'deep.toml'}: not valid TOML (nested too deeply)"


def test_bad_preset_name_is_quoted_escaped(tmp_path):
    result = run_beatgen("run", "--preset", "no\x1b[2Jsuch")
    assert result.returncode == 2 and "\x1b" not in result.stderr
    assert result.stderr.startswith("beatgen run: error: no preset named 'no\\x1b[2Jsuch'; known presets: ")


def test_preset_paths_in_errors_are_escaped(tmp_path: Path):
    path = tmp_path / "evil\nbeatgen run: all good.toml"
    path.write_text("[mode]\nkind = 1\n")
    result = run_beatgen("run", "--preset", path)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert "evil\\nbeatgen run: all good.toml: mode.kind = 1 must be one of" in result.stderr
