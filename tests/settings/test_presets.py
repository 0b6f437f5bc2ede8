"""Presets: factory files load, every default is valid, mistakes are named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.settings.presets import FACTORY_PRESETS_DIR, PRESET_SCHEMA, PresetError, defaults, load_preset, validate

FACTORY = sorted(p.stem for p in FACTORY_PRESETS_DIR.glob("*.toml"))


def test_at_least_the_four_factory_presets():
    assert {"call-and-response", "endless", "4-bar-loop", "wild-fills"} <= set(FACTORY)


@pytest.mark.parametrize("name", FACTORY)
def test_factory_preset_loads_with_a_description(name):
    preset = load_preset(name)
    assert preset["preset"]["description"]
    assert preset["mode"]["kind"] in ("call_response", "continuous", "loop")


def test_defaults_satisfy_their_own_schema():
    assert validate(defaults()) == defaults()


def test_values_override_defaults_and_ints_widen_to_floats():
    values = validate({"generation": {"temperature": 1}, "drums": {"mute": ["crash"]}})
    assert values["generation"]["temperature"] == 1.0 and isinstance(values["generation"]["temperature"], float)
    assert values["drums"]["mute"] == ["crash"]
    assert values["mode"]["kind"] == PRESET_SCHEMA["mode"]["kind"].default


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "[generation]\ntemprature = 1.0\n",
            "unknown key generation.temprature; known keys in [generation]: temperature",
        ),
        ("[generaton]\n", "unknown section [generaton]"),
        ("[generation]\ntemperature = 9.0\n", "generation.temperature = 9.0 is out of range: float from 0.05 to 3.0"),
        ('[mode]\nkind = "jam"\n', "mode.kind = 'jam' must be one of 'call_response', 'continuous', 'loop'"),
        ("[output]\nthru = 1\n", "output.thru = 1 must be bool"),
        ("[output]\nchannel = true\n", "output.channel = True must be int from 1 to 16"),
        ('[drums]\nlock = ["cowbell"]\n', "drums.lock has unknown drums ['cowbell']"),
        ("[mode\n", "not valid TOML"),
    ],
)
def test_mistakes_name_file_key_and_allowed_range(tmp_path, text, message):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(PresetError) as error:
        load_preset(path)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


def test_unknown_preset_name_lists_the_known_ones():
    with pytest.raises(PresetError, match="known presets: .*call-and-response"):
        load_preset("no-such-preset")


def test_the_documented_schema_is_the_code_schema():
    from bridge.settings.presets import schema_markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "presets.md").read_text()
    assert doc.endswith(schema_markdown()), (
        "docs/presets.md is out of date: regenerate its table with schema_markdown()"
    )


def test_the_summary_escapes_what_a_file_can_hide_and_cuts_a_flood(tmp_path):
    """A description with an escape sequence, a forged log line and 10,000 characters prints as one safe line."""
    path = tmp_path / "sneaky.toml"
    path.write_text('[preset]\ndescription = "\\u001b[2J\\n12:00:00.000 forged line ' + "x" * 10_000 + '"\n')
    summary = load_preset(path).summary()
    assert summary.startswith("preset sneaky: \\x1b[2J\\n12:00:00.000 forged line xxx")
    assert "\x1b" not in summary and "\n" not in summary and len(summary) < 300 and summary.endswith("…")


def test_the_summary_names_the_mode_when_there_is_no_description(tmp_path):
    path = tmp_path / "bare.toml"
    path.write_text('[mode]\nkind = "loop"\n')
    assert load_preset(path).summary() == "preset bare: loop"


def test_a_preset_with_the_old_adherence_key_reads_as_variation(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text("[generation]\nadherence = 0.85\n[midi_cc]\nadherence = 21\n")
    values = load_preset(path).values
    assert values["generation"]["variation"] == 0.15 and values["midi_cc"]["variation"] == 21
    assert "adherence" not in values["generation"]


def test_an_old_adherence_out_of_range_names_the_key_it_was_given(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text("[generation]\nadherence = 1.5\n")
    with pytest.raises(PresetError, match=r"generation\.adherence = 1\.5 is out of range"):
        load_preset(path)
