"""Each mode as an exact list: a scripted clock and call in, the (tick, note, velocity) sent out.

The core is stepped with fake time (tests/live/core_rig.py) and a worker
that writes every bar as kick on 1, snare on 2, with the bar's line added to
the velocities: a bar written for line 3 reads (288, 36, 63), one repeated
from line 1 reads (288, 36, 61).  As isobar's timeline tests do, each test
names the whole output, so any change in what is sent and when shows.
"""

from __future__ import annotations

from bridge.live.events import Panic, Trigger, Undo
from bridge.music.hits import Hit
from tests.live.core_rig import HAT, KICK, START, STOP, CoreRig, EchoWorker

BAR = 96
CALL = {0: [(36, 100)], 24: [(38, 90)]}  # kick on 1, snare on 2 of the first bar played


def played(rig: CoreRig, bars: int, call=CALL) -> None:
    rig.play_ticks(bars * BAR, call, start=True)
    rig.midi(STOP)


def test_call_and_response_answers_the_bar_after_the_call_then_listens():
    rig = CoreRig({"mode": {"kind": "call_response", "listen_bars": 1, "response_bars": 2}})
    played(rig, 5)
    assert rig.note_ons() == [(96, 36, 61), (120, 38, 41), (192, 36, 62), (216, 38, 42)]
    assert rig.logs == [
        "transport start at bar 1",
        "answering at bar 2",
        "listening at bar 4",
        "transport stop at tick 480: silenced",
    ]


def test_continuous_writes_every_bar_after_the_call():
    rig = CoreRig({"mode": {"kind": "continuous", "listen_bars": 1}})
    played(rig, 4)
    assert rig.note_ons() == [(96 * line, 36, 60 + line) for line in (1,)] + [
        (120, 38, 41), (192, 36, 62), (216, 38, 42), (288, 36, 63), (312, 38, 43),
    ]  # fmt: skip


def test_loop_repeats_the_bars_it_wrote_and_a_trigger_writes_new_ones_for_the_next_boundary():
    rig = CoreRig({"mode": {"kind": "loop", "listen_bars": 1, "loop_bars": 2}})
    rig.play_ticks(4 * BAR, CALL, start=True)
    rig.step(Trigger())  # in bar 5: the new loop starts at the boundary after it (line 5)
    rig.play_ticks(4 * BAR)
    rig.midi(STOP)
    assert rig.note_ons() == [
        (96, 36, 61), (120, 38, 41), (192, 36, 62), (216, 38, 42),  # the loop, written
        (288, 36, 61), (312, 38, 41), (384, 36, 62), (408, 38, 42),  # repeated
        (480, 36, 65), (504, 38, 45), (576, 36, 66), (600, 38, 46),  # the new loop from line 5
        (672, 36, 65), (696, 38, 45),  # repeated
    ]  # fmt: skip


def test_undo_brings_the_loop_before_back_at_the_next_boundary():
    rig = CoreRig({"mode": {"kind": "loop", "listen_bars": 1, "loop_bars": 1}})
    rig.play_ticks(2 * BAR, CALL, start=True)
    rig.step(Trigger())  # on the last tick of bar 2: a new loop from line 2 (bar 3)
    rig.play_ticks(2 * BAR)
    rig.step(Undo())  # loop 1 again from line 4
    rig.play_ticks(2 * BAR)
    rig.midi(STOP)
    kicks = [(tick, velocity) for tick, note, velocity in rig.note_ons() if note == 36]
    assert kicks == [(96, 61), (192, 62), (288, 62), (384, 61), (480, 61)]
    assert "undo: loop 1/2 from bar 5" in rig.logs


def test_a_downbeat_sent_ahead_plays_on_the_line_and_the_rest_follows():
    worker = EchoWorker([Hit(0.0, KICK, 60), Hit(0.05, HAT, 30), Hit(2.0, KICK, 50)], downbeat_first=True)
    rig = CoreRig({"mode": {"kind": "call_response", "listen_bars": 1, "response_bars": 1}}, worker=worker)
    played(rig, 3)
    assert rig.note_ons() == [(96, 36, 61), (97, 42, 31), (144, 36, 51)]
    assert not any("late" in line for line in rig.logs)


def test_a_late_worker_is_logged_and_its_notes_still_play_in_order():
    rig = CoreRig({"mode": {"kind": "call_response", "listen_bars": 1, "response_bars": 1}}, auto_deliver=False)
    rig.play_ticks(BAR + 6, CALL, start=True)  # the answer's bar line passes with nothing written
    rig.deliver()
    rig.play_ticks(BAR)
    rig.midi(STOP)
    assert rig.note_ons() == [(101, 36, 61), (120, 38, 41)]  # the downbeat as soon as it came (tick 101)
    assert any(line.startswith("bar 2 written") and "after its bar line" in line for line in rig.logs)


def test_stop_and_panic_silence_what_sounds_and_drop_what_was_planned():
    rig = CoreRig({"mode": {"kind": "continuous", "listen_bars": 1}})
    rig.play_ticks(BAR + 1, CALL, start=True)  # the kick on line 1 sounds now
    assert rig.sounding
    rig.step(Panic())
    assert not rig.sounding and rig.sent[-1][1] == (0xB9, 120, 0)  # All Sound Off after All Notes Off
    rig.play_ticks(2 * BAR)
    assert [tick for tick, _n, _v in rig.note_ons()] == [96], "panic drops the planned bars and listens"
    rig.midi(START)
    rig.midi(STOP)
    rig.close()
    assert not rig.sounding
