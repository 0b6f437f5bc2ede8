"""Knobs, buttons and pads mapped to controls, and MIDI learn, in the core with fake time (issue 13)."""

from __future__ import annotations

from bridge.live.events import Learn
from bridge.music.drums import DRUM_NAMES
from bridge.settings.midi_map import Learned
from tests.live.core_rig import CONTROL_CHANGE, NOTE_OFF, NOTE_ON, STOP, CoreRig

BAR = 96
CALL = {0: [(36, 100)], 24: [(38, 90)]}
KICK = DRUM_NAMES.index("kick")


def cc(rig: CoreRig, number: int, value: int, channel: int = 9) -> None:
    rig.midi(CONTROL_CHANGE | channel, number, value)


def test_knobs_move_controls_and_the_log_says_it_in_words():
    rig = CoreRig({"midi_cc": {"temperature": 21, "mute_kick": 22, "style": 23}})
    cc(rig, 21, 127)
    cc(rig, 22, 100)
    cc(rig, 23, 0)
    assert rig.core.controls.temperature == 3.0 and KICK in rig.core.controls.mute
    assert rig.logs[-3:] == ["CC 21 = 127: temperature 3.00", "CC 22 = 100: kick muted", "CC 23 = 0: style follow"]
    cc(rig, 22, 10)
    assert rig.logs[-1] == "CC 22 = 10: kick unmuted"


def test_a_button_fires_on_the_rise_to_64_not_while_held_or_swept_above():
    rig = CoreRig({"midi_cc": {"arm": 30}})
    cc(rig, 30, 127)
    assert not rig.core.armed
    cc(rig, 30, 100)  # still up: no second press
    assert not rig.core.armed
    cc(rig, 30, 0)
    cc(rig, 30, 64)
    assert rig.core.armed
    assert [line for line in rig.logs if line.startswith("CC 30")] == ["CC 30 = 127: arm", "CC 30 = 64: arm"]


def test_pads_fire_actions_and_toggle_drums_and_are_never_part_of_the_call():
    rig = CoreRig({"mode": {"listen_bars": 1}, "midi_notes": {"panic": 60, "mute_kick": 61}})
    rig.play_ticks(10, start=True)
    rig.midi(NOTE_ON | 9, 61, 100)
    rig.midi(NOTE_OFF | 9, 61, 0)
    assert KICK in rig.core.controls.mute and rig.logs[-1] == "note 61: kick muted"
    rig.midi(NOTE_ON | 9, 61, 100)
    assert KICK not in rig.core.controls.mute
    rig.midi(NOTE_ON | 9, 60, 100)
    assert "panic: all notes off" in rig.logs
    rig.play_ticks(2 * BAR)
    assert rig.core.performance.conductor.state == "listening", "pad notes are not a call"


def test_mode_switches_in_turn_and_preset_buttons_are_requests_for_the_ui():
    rig = CoreRig({"midi_cc": {"mode": 40, "preset_next": 41, "preset_previous": 42}})
    cc(rig, 40, 127)
    assert rig.core.performance.conductor.settings.kind == "continuous"
    cc(rig, 40, 0)
    cc(rig, 40, 127)
    assert rig.core.performance.conductor.settings.kind == "loop"
    cc(rig, 41, 127)
    cc(rig, 42, 127)
    requests = rig.core.status().requests
    assert requests == (
        (1, "mode", "continuous"),
        (2, "mode", "loop"),
        (3, "preset_next", ""),
        (4, "preset_previous", ""),
    )


def test_learning_reports_the_first_knob_or_pad_on_any_channel_and_plays_nothing():
    rig = CoreRig({"mode": {"listen_bars": 1}, "input": {"channel": 10}, "midi_cc": {"temperature": 21}})
    rig.play_ticks(10, start=True)
    rig.step(Learn(True))
    cc(rig, 21, 127, channel=2)  # mapped, but learned: temperature stays
    assert rig.core.controls.temperature == 1.0
    assert rig.core.status().learned == Learned(1, "cc", 21, 3)
    assert rig.logs[-1] == "MIDI learn: CC 21 (channel 3)"
    cc(rig, 21, 127)  # learning is over: the knob acts again
    assert rig.core.controls.temperature == 3.0
    rig.step(Learn(True))
    rig.midi(NOTE_ON | 9, 36, 100)  # a pad learned is not a call
    rig.midi(NOTE_OFF | 9, 36, 0)
    assert rig.core.status().learned == Learned(2, "note", 36, 10)
    rig.play_ticks(2 * BAR)
    rig.midi(STOP)
    assert rig.core.performance.conductor.state == "listening" and not rig.note_ons()
