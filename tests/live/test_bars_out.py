"""BarsOut with a real NoteScheduler: re-shaping takes back only what is queued, never plays a hit twice,
and forgets bars that were dropped."""

from __future__ import annotations

from bridge.live.bars_out import BarsOut
from bridge.live.note_scheduler import NOTE_OFF, NOTE_ON, NoteScheduler
from bridge.music.hits import Hit

NOTES = (36, 38, 42, 46, 45, 48, 49, 51, 50)  # drum class -> output note (GM order is irrelevant here)
HITS = [Hit(0.0, 0, 100), Hit(1.0, 0, 100), Hit(2.0, 0, 100), Hit(3.0, 0, 100)]


def shifted(by_beats: float = 0.0, muted: bool = False):
    def shape(_line: int, hits: list[Hit], _part: str) -> list[tuple[Hit, Hit]]:
        return [] if muted else [(hit, Hit(hit.time + by_beats, hit.drum, hit.velocity)) for hit in hits]

    return shape


def note_ons(messages) -> list[int]:
    return [m[1] for m in messages if m[0] & 0xF0 == NOTE_ON]


def test_a_hit_moved_before_what_was_sent_goes_at_once_and_only_once():
    scheduler = NoteScheduler()
    bars = BarsOut(scheduler)
    bars.schedule(0, HITS, "bar", shifted(), NOTES)
    assert len(note_ons(scheduler.due(30.0))) == 2  # beats 1 and 2 (ticks 0, 24) have gone
    bars.reshape(shifted(-0.5), NOTES)  # beat 3 now at tick 36, beat 4 at 60
    assert [round(n.position, 3) for n in bars.planned[0]][2:] == [36.0, 60.0]
    bars.reshape(shifted(-0.8), NOTES)  # beat 3 at tick 28.8, before 30: still to come, so it goes now
    released = scheduler.due(30.0 + 1e-3)
    assert len(note_ons(released)) == 1
    assert len(note_ons(scheduler.due(200.0))) == 1, "beat 4 once, and no hit twice"


def test_a_hit_that_has_sounded_is_not_played_again_when_moved_later():
    scheduler = NoteScheduler()
    bars = BarsOut(scheduler)
    bars.schedule(0, HITS, "bar", shifted(), NOTES)
    scheduler.due(25.0)  # ticks 0 and 24 sent
    bars.reshape(shifted(0.2), NOTES)  # their shaped places move past 25: they must not come back
    assert len(note_ons(scheduler.due(200.0))) == 2


def test_a_muted_hit_keeps_the_note_off_of_a_note_already_sounding():
    scheduler = NoteScheduler()
    bars = BarsOut(scheduler)
    bars.schedule(0, HITS, "bar", shifted(), NOTES)
    assert note_ons(scheduler.due(1.0)) == [36]
    bars.reshape(shifted(muted=True), NOTES)
    rest = scheduler.due(200.0)
    assert note_ons(rest) == [] and [m for m in rest if m[0] & 0xF0 == NOTE_OFF] == [(NOTE_OFF | 9, 36, 0)]
    assert not scheduler.sounding


def test_dropped_bars_are_forgotten_and_a_later_change_brings_nothing_back():
    scheduler = NoteScheduler()
    bars = BarsOut(scheduler)
    bars.schedule(0, HITS, "bar", shifted(), NOTES)
    bars.schedule(1, HITS, "bar", shifted(), NOTES)
    bars.drop_from(1)
    bars.reshape(shifted(muted=True), NOTES)
    bars.reshape(shifted(), NOTES)
    assert len(note_ons(scheduler.due(1000.0))) == 4, "bar 1 stays dropped"
    bars.schedule(2, HITS, "bar", shifted(), NOTES)
    bars.silence()
    bars.reshape(shifted(), NOTES)
    assert scheduler.pending() == 0


def test_bars_before_what_has_gone_out_are_let_go():
    scheduler = NoteScheduler()
    bars = BarsOut(scheduler)
    bars.schedule(0, HITS, "bar", shifted(), NOTES)
    scheduler.due(100.0)
    bars.schedule(1, HITS, "bar", shifted(), NOTES)
    assert list(bars.parts) == [1]
    assert [hit.time for hit in bars.notes(1)] == [0.0, 1.0, 2.0, 3.0]
