"""The preset store: user presets beside the factory ones, written as TOML and read back equal."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.settings.preset_store import PresetEntry, PresetStore, check_field, preset_toml, user_presets_dir
from bridge.settings.presets import (
    DEFAULT_PRESET,
    FACTORY_PRESETS_DIR,
    PRESET_SCHEMA,
    PresetError,
    defaults,
    load_preset,
    tomllib,
    validate,
)
from tests.conftest import run_beatgen

FACTORY = sorted(p.stem for p in FACTORY_PRESETS_DIR.glob("*.toml"))


@pytest.fixture
def store(tmp_path) -> PresetStore:
    return PresetStore(user_dir=tmp_path / "config" / "presets")


def changed_values(**changes) -> dict:
    values = defaults()
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        values[section][key] = value
    return values


def test_config_dir_follows_the_environment(tmp_path):
    assert user_presets_dir({"BEATGEN_CONFIG_DIR": "/a", "XDG_CONFIG_HOME": "/b"}) == Path("/a/presets")
    assert user_presets_dir({"XDG_CONFIG_HOME": "/b"}) == Path("/b/beatgen/presets")
    assert user_presets_dir({}) == Path.home() / ".config" / "beatgen" / "presets"


def test_preset_toml_round_trips_every_value_in_schema_order():
    values = changed_values(
        mode__kind="loop", generation__temperature=0.1 + 0.2, drums__mute=["crash", "ride"], output__thru=True,
        preset__description='quotes " and \\ and ünïcode', midi_cc__mute_kick=22,
    )  # fmt: skip
    text = preset_toml(values)
    assert validate(tomllib.loads(text)) == validate(values)
    sections = [line.strip("[]") for line in text.splitlines() if line.startswith("[")]
    assert sections == list(PRESET_SCHEMA)
    keys = list(tomllib.loads(text)["generation"])
    assert keys == list(PRESET_SCHEMA["generation"])


def test_preset_toml_refuses_an_invalid_dict():
    with pytest.raises(PresetError, match="feel.swing"):
        preset_toml(changed_values(feel__swing=3.0))


def test_entries_list_factory_then_user_presets_sorted_with_broken_files_named(store):
    store.save_as("zebra", changed_values(preset__description="z"))
    store.save_as("Alpha", changed_values(preset__description="a"))
    (store.user_dir / "broken.toml").write_text("[feel]\nswing = 3\n")
    (store.user_dir / "endless.toml").write_text("")  # a hand-copied file under a factory name
    entries = store.entries()
    assert [e.name for e in entries if e.factory] == FACTORY
    assert [e.name for e in entries if not e.factory] == ["Alpha", "broken", "endless", "zebra"]
    by_name = {(e.name, e.factory): e for e in entries}
    assert by_name[("Alpha", False)] == PresetEntry("Alpha", store.user_dir / "Alpha.toml", False, "a", None)
    assert "feel.swing = 3" in by_name[("broken", False)].error
    assert "factory preset" in by_name[("endless", False)].error
    assert by_name[("endless", True)].error is None and by_name[("endless", True)].description


def test_save_as_then_load_gives_the_same_values(store):
    values = changed_values(mode__kind="continuous", feel__swing=0.25, drums__lock=["kick"])
    saved = store.save_as("My Groove_1", values)
    loaded = store.load("My Groove_1")
    assert loaded == saved
    assert loaded.values == validate(values)
    assert saved.path == store.user_dir / "My Groove_1.toml"
    assert load_preset(saved.path).values == saved.values  # a plain preset file, as `beatgen run` reads it


@pytest.mark.parametrize("name", ["", " lead", "-x", "a/b", "../x", "x.toml", "é", "a" * 49, "tab\there"])
def test_save_as_refuses_bad_names(store, name):
    with pytest.raises(PresetError, match="not a usable preset name"):
        store.save_as(name, defaults())
    assert not store.user_dir.exists() or not list(store.user_dir.iterdir())


def test_save_as_refuses_factory_and_existing_names_unless_overwrite(store):
    with pytest.raises(PresetError, match="factory preset"):
        store.save_as("endless", defaults())
    with pytest.raises(PresetError, match="factory preset"):
        store.save_as("Endless", defaults())  # one file on case-insensitive disks
    store.save_as("mine", changed_values(feel__swing=0.1))
    with pytest.raises(PresetError, match="already exists"):
        store.save_as("mine", changed_values(feel__swing=0.2))
    assert store.load("mine")["feel"]["swing"] == 0.1
    store.save_as("mine", changed_values(feel__swing=0.2), overwrite=True)
    assert store.load("mine")["feel"]["swing"] == 0.2


def test_save_overwrites_a_user_preset_and_never_a_factory_one(store):
    store.save_as("mine", defaults())
    store.save("mine", changed_values(generation__top_k=5))
    assert store.load("mine")["generation"]["top_k"] == 5
    before = (FACTORY_PRESETS_DIR / "endless.toml").read_text()
    with pytest.raises(PresetError, match="'endless' is a factory preset and cannot be overwritten; use Save as"):
        store.save("endless", defaults())
    assert (FACTORY_PRESETS_DIR / "endless.toml").read_text() == before


def test_an_invalid_preset_is_never_written(store):
    store.save_as("mine", changed_values(feel__swing=0.1))
    with pytest.raises(PresetError, match="feel.swing = 2.0 is out of range"):
        store.save("mine", changed_values(feel__swing=2.0))
    with pytest.raises(PresetError, match="unknown key mode.bogus"):
        store.save_as("other", {"mode": {"bogus": 1}})
    assert store.load("mine")["feel"]["swing"] == 0.1
    assert sorted(p.name for p in store.user_dir.iterdir()) == ["mine.toml"], "no partial files left"


def test_duplicate_numbers_the_copies(store):
    first = store.duplicate("endless")
    second = store.duplicate("endless")
    assert (first.name, second.name) == ("endless-copy", "endless-copy-2")
    assert first.values == load_preset("endless").values
    assert not first.path.parent.samefile(FACTORY_PRESETS_DIR)
    assert store.duplicate("endless-copy").name == "endless-copy-copy"
    long = store.save_as("x" * 48, defaults())
    assert store.duplicate(long.name).name == "x" * 43 + "-copy"


def test_delete_removes_user_presets_only(store):
    store.save_as("mine", defaults())
    store.delete("mine")
    with pytest.raises(PresetError, match="no preset named 'mine'"):
        store.load("mine")
    with pytest.raises(PresetError, match="factory preset and cannot be deleted"):
        store.delete("endless")
    with pytest.raises(PresetError, match="no user preset named 'ghost'"):
        store.delete("ghost")
    assert (FACTORY_PRESETS_DIR / "endless.toml").is_file()


def test_load_refuses_paths(store):
    with pytest.raises(PresetError, match="not a preset name"):
        store.load(str(FACTORY_PRESETS_DIR / "endless.toml"))


def test_last_used_is_remembered_and_falls_back_to_the_default(store):
    assert store.last_used() == DEFAULT_PRESET
    store.save_as("mine", defaults())
    store.remember("mine")
    assert PresetStore(user_dir=store.user_dir).last_used() == "mine"
    assert store.state_file == store.user_dir.parent / "state.toml"
    store.remember("endless")
    assert store.last_used() == "endless"
    store.remember("mine")
    store.delete("mine")
    assert store.last_used() == DEFAULT_PRESET, "a deleted preset is not offered again"
    store.state_file.write_text("not = [toml")
    assert store.last_used() == DEFAULT_PRESET
    store.remember("endless")
    assert store.last_used() == "endless"


def test_remember_keeps_other_state(store):
    store.state_file.parent.mkdir(parents=True)
    store.state_file.write_text('theme = "dark"\n')
    store.remember("endless")
    assert tomllib.loads(store.state_file.read_text()) == {"theme": "dark", "last_preset": "endless"}


@pytest.mark.parametrize(
    "section, key, text, value",
    [
        ("mode", "listen_bars", " 4 ", 4),
        ("generation", "temperature", "1", 1.0),
        ("generation", "temperature", "0.35", 0.35),
        ("output", "offset_ms", "-12.5", -12.5),
        ("output", "thru", "true", True),
        ("output", "thru", "False", False),
        ("mode", "kind", "loop", "loop"),
        ("drums", "mute", "kick, crash,,kick ", ["kick", "crash"]),
        ("drums", "lock", "", []),
        ("preset", "description", "my  groove ", "my  groove "),
        ("midi_cc", "temperature", "-1", -1),
    ],
)
def test_check_field_parses_typed_text(section, key, text, value):
    parsed = check_field(section, key, text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    "section, key, text, message",
    [
        ("mode", "listen_bars", "0", "mode.listen_bars = 0 is out of range: int from 1 to 16"),
        ("mode", "listen_bars", "2.5", "mode.listen_bars = '2.5' must be a whole number: int from 1 to 16"),
        ("mode", "listen_bars", "", "must be a whole number: int from 1 to 16"),
        ("generation", "temperature", "hot", "generation.temperature = 'hot' must be a number: float from 0.05 to 3.0"),
        ("generation", "temperature", "nan", "must be a number: float from 0.05 to 3.0"),
        ("generation", "temperature", "inf", "is out of range: float from 0.05 to 3.0"),
        ("output", "thru", "yes", "output.thru = 'yes' must be true or false"),
        ("mode", "kind", "jam", "mode.kind = 'jam' must be one of 'call_response', 'continuous', 'loop'"),
        ("drums", "mute", "kick, cowbell", "drums.mute has unknown drums ['cowbell']"),
        ("preset", "description", "two\nlines", "preset.description must be one line"),
        ("feel", "nope", "1", "unknown key feel.nope"),
    ],
)
def test_check_field_names_the_key_and_what_is_allowed(section, key, text, message):
    with pytest.raises(PresetError) as error:
        check_field(section, key, text)
    assert message in str(error.value)


def test_every_schema_field_accepts_its_own_default_as_text():
    for section, fields in PRESET_SCHEMA.items():
        for key, field in fields.items():
            if field.kind is list:
                text = ", ".join(field.default)
            elif field.kind is bool:
                text = str(field.default).lower()
            else:
                text = str(field.default)
            assert check_field(section, key, text) == field.default, f"{section}.{key}"


def test_beatgen_run_finds_user_presets(tmp_path, monkeypatch):
    """`beatgen run --preset NAME` searches the user's folder too (a bad one is refused before any port opens)."""
    config = tmp_path / "config"
    (config / "presets").mkdir(parents=True)
    (config / "presets" / "mine.toml").write_text("[feel]\nswing = 5\n")
    monkeypatch.setenv("BEATGEN_CONFIG_DIR", str(config))
    result = run_beatgen("run", "--backend", "jack", "--preset", "mine")
    assert result.returncode == 2, result.stderr
    assert str(config / "presets" / "mine.toml") in result.stderr and "feel.swing" in result.stderr
