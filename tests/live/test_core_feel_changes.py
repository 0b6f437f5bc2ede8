"""Feel controls moved mid-bar act on every note not yet sent (issue 12: a mute CC on beat 2 let the
rest of that bar's kicks play).  Exact lists from the core with fake time (tests/live/core_rig.py)."""

from __future__ import annotations

from bridge.live.events import SetControls
from bridge.music.hits import Hit
from tests.live.core_rig import CONTROL_CHANGE, KICK, SNARE, STOP, CoreRig, EchoWorker

BAR = 96
CALL = {0: [(36, 100)], 24: [(38, 90)]}
FOUR_KICKS = [Hit(float(beat), KICK, 60) for beat in range(4)] + [Hit(0.5, SNARE, 40)]
MUTE_KICK_CC = 20


def rig_with(values: dict | None = None) -> CoreRig:
    settings = {"mode": {"kind": "continuous", "listen_bars": 1}, "midi_cc": {"mute_kick": MUTE_KICK_CC}}
    return CoreRig({**settings, **(values or {})}, worker=EchoWorker(FOUR_KICKS))


def kicks(rig: CoreRig) -> list[int]:
    return [tick for tick, note, _velocity in rig.note_ons() if note == 36]


def test_a_mute_on_beat_two_silences_the_rest_of_that_bars_kicks():
    rig = rig_with()
    rig.play_ticks(BAR + 30, CALL, start=True)  # into the answer's bar, past its second kick (tick 120)
    rig.midi(CONTROL_CHANGE | 9, MUTE_KICK_CC, 127)
    rig.play_ticks(BAR + 66)  # the rest of bar 2 and bar 3
    rig.midi(STOP)
    assert kicks(rig) == [96, 120], "kicks after the mute"
    snares = [tick for tick, note, _velocity in rig.note_ons() if note == 38]
    assert snares == [108, 204], "the other drums play on"


def test_an_unmute_mid_bar_plays_what_is_still_to_come_and_not_what_passed():
    rig = rig_with({"drums": {"mute": ["kick"]}})
    rig.play_ticks(BAR + 30, CALL, start=True)
    rig.midi(CONTROL_CHANGE | 9, MUTE_KICK_CC, 0)
    rig.play_ticks(BAR + 66)
    rig.midi(STOP)
    assert kicks(rig) == [144, 168, 192, 216, 240, 264]


def test_velocity_changed_mid_bar_applies_to_the_next_note():
    rig = rig_with()
    rig.play_ticks(BAR + 30, CALL, start=True)
    rig.step(SetControls(rig.core.controls.with_changes(velocity_scale=0.5)))
    rig.play_ticks(BAR - 30)
    rig.midi(STOP)
    assert [(tick, velocity) for tick, note, velocity in rig.note_ons() if note == 36] == [
        (96, 61), (120, 61), (144, 30), (168, 30),
    ]  # fmt: skip


def test_a_lock_mid_bar_brings_the_calls_drum_from_then_on_and_each_hit_sounds_once():
    call = {0: [(36, 100)], 24: [(38, 90)], 66: [(36, 80)]}  # the call's own kick on beat 3 and a half
    rig = rig_with()
    rig.play_ticks(BAR + 30, call, start=True)
    rig.step(SetControls(rig.core.controls.with_changes(lock=frozenset({KICK}))))
    rig.play_ticks(BAR - 30)
    rig.midi(STOP)
    assert kicks(rig) == [96, 120, 162], "the model's kicks until the lock, then the call's"


def test_stop_after_a_change_brings_no_planned_bar_back():
    rig = rig_with()
    rig.play_ticks(BAR + 30, CALL, start=True)
    rig.midi(STOP)
    rig.midi(CONTROL_CHANGE | 9, MUTE_KICK_CC, 127)
    rig.midi(CONTROL_CHANGE | 9, MUTE_KICK_CC, 0)
    rig.advance(rig.now + 2.0)
    assert kicks(rig) == [96, 120], "nothing after Stop"
    assert not rig.sounding


def test_a_restart_after_stop_plays_the_new_answer_whole():
    rig = rig_with()
    rig.play_ticks(BAR + 60, CALL, start=True)
    rig.midi(STOP)
    rig.play_ticks(2 * BAR, CALL, start=True)
    rig.midi(CONTROL_CHANGE | 9, MUTE_KICK_CC, 127)  # after the answer's bar: nothing left to re-shape
    rig.midi(STOP)
    assert kicks(rig)[-4:] == [96, 120, 144, 168]


# -- what the history keeps (the pattern view and MIDI export read it) -------------------------


def generated_bars(rig: CoreRig) -> dict[int, list[tuple[int, int]]]:
    """Song bar -> [(tick inside the bar, drum)] of the generated bars the history holds."""
    return {
        view.bar: [(round(hit.time * 24), hit.drum) for hit in view.hits]
        for view in rig.core.performance.history.copy()
        if view.source == "generated"
    }


def test_after_a_panic_the_history_holds_what_was_played_not_what_panic_cancelled():
    """issue 13: an export after a panic held the bar panic cancelled (17 notes never played)."""
    from bridge.live.events import Panic

    rig = rig_with()
    rig.play_ticks(BAR + 30, CALL, start=True)
    rig.step(Panic())
    rig.play_ticks(BAR - 30)
    rig.midi(STOP)
    played_kicks = kicks(rig)
    assert played_kicks == [96, 120]
    assert generated_bars(rig) == {1: [(0, KICK), (12, SNARE), (24, KICK)]}, "bar 3 (written ahead) is gone too"


def test_after_stop_the_history_holds_the_notes_of_the_last_bar_that_went_out():
    rig = rig_with()
    rig.play_ticks(BAR + 30, CALL, start=True)
    rig.midi(STOP)
    assert generated_bars(rig) == {1: [(0, KICK), (12, SNARE), (24, KICK)]}
