"""The user's own note maps and models named in presets: listed beside the factory ones, bad ones named."""

from __future__ import annotations

from bridge.settings.note_maps import available_note_maps, load_note_map, note_map_entries
from bridge.settings.presets import PRESET_SCHEMA, load_preset
from tests.conftest import run_beatgen

OUTPUT = "\n".join(
    f"{drum} = {note}"
    for drum, note in zip(
        [
            "kick",
            "snare",
            "side_stick",
            "closed_hh",
            "pedal_hh",
            "open_hh",
            "low_tom",
            "mid_tom",
            "high_tom",
            "crash",
            "ride",
            "ride_bell",
        ],
        range(60, 72),
    )
)


def write_map(folder, name: str, output: str = OUTPUT) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.toml").write_text(f'description = "my pads"\n\n[output]\n{output}\n\n[input]\nkick = [60]\n')


def test_user_note_maps_are_listed_after_the_factory_ones_and_load_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("BEATGEN_CONFIG_DIR", str(tmp_path))
    write_map(tmp_path / "note-maps", "mpd")
    assert available_note_maps() == ("ableton", "gm", "mpd")
    assert load_note_map("mpd").output_notes[0] == 60
    entries = note_map_entries()
    assert [(entry.name, entry.factory, entry.error) for entry in entries][-1] == ("mpd", False, None)


def test_a_bad_user_note_map_is_listed_with_its_file_and_key(tmp_path, monkeypatch):
    monkeypatch.setenv("BEATGEN_CONFIG_DIR", str(tmp_path))
    write_map(tmp_path / "note-maps", "broken", OUTPUT.replace("crash = 69", "crash = 300"))
    result = run_beatgen("note-maps")
    assert result.returncode == 1
    line = next(line for line in result.stdout.splitlines() if line.startswith("broken"))
    assert f"{tmp_path / 'note-maps' / 'broken.toml'}: output.crash = 300 must be a MIDI note from 0 to 127" in line


def test_a_user_note_map_with_a_factory_name_is_shadowed_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("BEATGEN_CONFIG_DIR", str(tmp_path))
    write_map(tmp_path / "note-maps", "gm")
    entry = [entry for entry in note_map_entries() if not entry.factory][0]
    assert entry.error is not None and "has a factory map's name, which wins" in entry.error


def test_a_preset_picks_the_bundled_model_unless_it_names_another(tmp_path):
    assert PRESET_SCHEMA["generation"]["model"].default == "bundled"
    path = tmp_path / "mine.toml"
    path.write_text('[generation]\nmodel = "groovy"\n')
    assert load_preset(path)["generation"]["model"] == "groovy"  # checked when the bridge starts


def test_an_unknown_model_in_a_preset_stops_the_bridge_before_it_opens_anything(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[generation]\nmodel = "groovy"\n')
    result = run_beatgen("run", "--preset", path, "--backend", "jack")
    assert result.returncode == 2
    assert result.stderr == (
        f"beatgen run: error: {path}: generation.model: no model named 'groovy'; "
        "known models: bundled (beatgen models)\n"
    )
