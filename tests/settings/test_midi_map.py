"""MIDI learn's mapping rules: where a learned knob or pad is kept, and that it does one thing."""

from __future__ import annotations

import pytest

from bridge.settings.midi_map import (
    ACTIONS,
    DRUM_FLAGS,
    LEARNABLE,
    Learned,
    LearnError,
    in_words,
    learn,
    mapping_of,
    next_mode,
)
from bridge.settings.presets import PRESET_SCHEMA, validate


def test_every_learnable_control_has_a_preset_key_for_a_knob():
    values = validate({})
    for control in LEARNABLE:
        learned = learn(values, control, Learned(1, "cc", 20, 1))
        assert mapping_of(learned, control) == "CC 20", control


def test_a_knob_learned_for_one_control_is_taken_from_the_others():
    values = validate({"midi_cc": {"temperature": 20, "swing": 20}, "triggers": {"cc": 20}})
    learned = learn(values, "density", Learned(1, "cc", 20, 1))
    assert learned["midi_cc"]["density"] == 20
    assert (learned["midi_cc"]["temperature"], learned["midi_cc"]["swing"], learned["triggers"]["cc"]) == (-1, -1, -1)
    assert values["midi_cc"]["temperature"] == 20, "the values given are not changed"


def test_regenerate_and_fill_keep_their_trigger_keys_and_pads_go_to_midi_notes():
    values = validate({})
    assert learn(values, "regenerate", Learned(1, "note", 48, 10))["triggers"]["note"] == 48
    assert learn(values, "fill", Learned(1, "cc", 64, 10))["triggers"]["fill_cc"] == 64
    assert learn(values, "mute_kick", Learned(1, "note", 37, 10))["midi_notes"]["mute_kick"] == 37
    assert learn(values, "preset_next", Learned(1, "note", 38, 10))["midi_notes"]["preset_next"] == 38
    pads = {control for control in ACTIONS + DRUM_FLAGS if control not in ("regenerate", "fill")}
    assert set(PRESET_SCHEMA["midi_notes"]) == pads


def test_a_pad_cannot_sweep_a_knob_control():
    with pytest.raises(LearnError, match="temperature needs a knob or fader"):
        learn(validate({}), "temperature", Learned(1, "note", 40, 10))


def test_words_a_producer_reads():
    assert in_words("mute_closed_hh", True) == "closed hh muted"
    assert in_words("lock_kick", False) == "kick unlocked"
    assert in_words("temperature", 1.345) == "temperature 1.34"
    assert in_words("style", "rock") == "style rock"
    assert [next_mode(kind) for kind in ("call_response", "continuous", "loop")] == [
        "continuous",
        "loop",
        "call_response",
    ]
