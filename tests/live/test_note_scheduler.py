"""Scheduling notes at tick positions: order, note-offs, retriggers, silence and panic."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.live.note_scheduler import NoteScheduler

ON, OFF, CC = 0x99, 0x89, 0xB9


def test_notes_come_out_when_due_with_their_note_offs():
    scheduler = NoteScheduler(note_ticks=3)
    scheduler.schedule(24.0, 36, 100)
    scheduler.schedule(30.5, 42, 70)
    assert scheduler.due(23.9) == []
    assert scheduler.due(24.0) == [(ON, 36, 100)]
    assert scheduler.due(30.5) == [(OFF, 36, 0), (ON, 42, 70)]
    assert scheduler.due(100) == [(OFF, 42, 0)]
    assert scheduler.sounding == set() and scheduler.pending() == 0


def test_retrigger_switches_the_note_off_first():
    scheduler = NoteScheduler(note_ticks=6)
    scheduler.schedule(0.0, 38, 90)
    scheduler.schedule(2.0, 38, 50)
    assert scheduler.due(10) == [(ON, 38, 90), (OFF, 38, 0), (ON, 38, 50), (OFF, 38, 0)]


def test_silence_switches_off_exactly_what_sounds():
    scheduler = NoteScheduler(note_ticks=12)
    scheduler.schedule(0.0, 36, 100)
    scheduler.schedule(1.0, 42, 80)
    scheduler.schedule(48.0, 38, 80)  # not yet played: must never come out
    scheduler.due(2.0)
    assert scheduler.silence() == [(OFF, 36, 0), (OFF, 42, 0), (CC, 123, 0)]
    assert scheduler.due(1000) == []


def test_panic_adds_all_sound_off():
    scheduler = NoteScheduler()
    scheduler.schedule(0.0, 36, 100)
    scheduler.due(0.0)
    assert scheduler.panic() == [(OFF, 36, 0), (CC, 123, 0), (CC, 120, 0)]


def test_velocity_is_clamped_to_midi_range():
    scheduler = NoteScheduler()
    scheduler.schedule(0.0, 36, 300)
    scheduler.schedule(1.0, 38, 0)
    assert [m[2] for m in scheduler.due(1.0) if m[0] == ON] == [127, 1]


hits = st.lists(st.tuples(st.floats(0, 200), st.sampled_from([36, 38, 42, 46]), st.integers(1, 127)), max_size=60)


def assert_note_pairs(sent) -> None:
    """Every note-on is followed by exactly one note-off before the same note starts again."""
    sounding = set()
    for status, note, _velocity in sent:
        if status == ON:
            assert note not in sounding, "two note-ons without a note-off"
            sounding.add(note)
        elif status == OFF:
            assert note in sounding, "a note-off for a note that was not on"
            sounding.discard(note)
    assert sounding == set()


@settings(max_examples=200, deadline=None)
@given(hits, st.lists(st.floats(0, 260), max_size=20), st.booleans())
def test_every_note_on_gets_its_note_off(notes, polls, stop_early):
    scheduler = NoteScheduler()
    for position, note, velocity in notes:
        scheduler.schedule(position, note, velocity)
    sent = []
    for position in sorted(polls):
        sent += scheduler.due(position)
    sent += scheduler.silence() if stop_early else scheduler.due(1e9)
    assert_note_pairs(sent)


# -- next_position, drop_from, pass_through, released_note_ons -------------------------------

THRU_ON, THRU_OFF = 0x90, 0x80  # channel 1 (index 0): the producer's notes echoed to the output


def test_next_position_is_the_earliest_queued_message():
    scheduler = NoteScheduler(note_ticks=3)
    assert scheduler.next_position() is None
    scheduler.schedule(10.0, 36, 100)
    scheduler.schedule(4.5, 38, 100)
    assert scheduler.next_position() == 4.5
    scheduler.due(4.5)
    assert scheduler.next_position() == 7.5  # the snare's note-off
    scheduler.due(7.5)
    assert scheduler.next_position() == 10.0
    scheduler.due(20)
    assert scheduler.next_position() is None


def test_released_note_ons_lists_the_positions_released_by_the_last_due():
    scheduler = NoteScheduler(note_ticks=3)
    scheduler.schedule(24.0, 36, 100)
    scheduler.schedule(24.0, 42, 80)
    scheduler.schedule(30.0, 38, 100)
    assert scheduler.released_note_ons == []
    scheduler.due(25.0)
    assert scheduler.released_note_ons == [24.0, 24.0]
    scheduler.due(28.0)  # only note-offs
    assert scheduler.released_note_ons == []
    scheduler.due(40.0)
    assert scheduler.released_note_ons == [30.0]
    scheduler.due(50.0)
    assert scheduler.released_note_ons == []


def test_drop_from_forgets_later_note_ons_and_keeps_earlier_ones():
    scheduler = NoteScheduler(note_ticks=3)
    for position, note in [(0.0, 36), (90.0, 42), (96.0, 38), (100.0, 36)]:
        scheduler.schedule(position, note, 100)
    scheduler.drop_from(96.0)
    assert scheduler.due(1000) == [(ON, 36, 100), (OFF, 36, 0), (ON, 42, 100), (OFF, 42, 0)]
    assert scheduler.pending() == 0


def test_drop_from_keeps_the_note_off_of_a_sounding_note():
    scheduler = NoteScheduler(note_ticks=6)
    scheduler.schedule(92.0, 36, 100)  # sounds until 98, across the line at 96
    scheduler.schedule(96.0, 38, 100)
    assert scheduler.due(93.0) == [(ON, 36, 100)]
    scheduler.drop_from(96.0)
    assert scheduler.next_position() == 98.0
    assert scheduler.due(1000) == [(OFF, 36, 0)]
    assert scheduler.sounding == set()


def test_notes_scheduled_after_drop_from_still_play():
    scheduler = NoteScheduler(note_ticks=3)
    scheduler.schedule(100.0, 36, 100)
    scheduler.drop_from(96.0)
    scheduler.schedule(100.0, 38, 90)  # the re-seeded bar
    assert scheduler.due(1000) == [(ON, 38, 90), (OFF, 38, 0)]


def test_pass_through_tracks_input_notes_so_silence_switches_them_off():
    scheduler = NoteScheduler()  # generated notes on channel 10
    assert scheduler.pass_through((THRU_ON, 60, 100)) == [(THRU_ON, 60, 100)]
    assert scheduler.pass_through((THRU_ON | 1, 61, 90)) == [(THRU_ON | 1, 61, 90)]
    assert scheduler.sounding == {(0, 60), (1, 61)}
    offs = [(THRU_OFF, 60, 0), (THRU_OFF | 1, 61, 0)]
    assert scheduler.silence() == offs + [(0xB0, 123, 0), (0xB1, 123, 0), (CC, 123, 0)]
    assert scheduler.sounding == set()


def test_pass_through_note_off_and_zero_velocity_note_on_end_the_note():
    scheduler = NoteScheduler()
    scheduler.pass_through((THRU_ON, 60, 100))
    assert scheduler.pass_through((THRU_OFF, 60, 64)) == [(THRU_OFF, 60, 64)]
    scheduler.pass_through((THRU_ON, 62, 100))
    assert scheduler.pass_through((THRU_ON, 62, 0)) == [(THRU_ON, 62, 0)]
    assert scheduler.sounding == set()
    assert scheduler.silence() == [(CC, 123, 0)]


def test_pass_through_retrigger_switches_the_note_off_first():
    scheduler = NoteScheduler()
    scheduler.pass_through((THRU_ON, 60, 100))
    assert scheduler.pass_through((THRU_ON, 60, 70)) == [(THRU_OFF, 60, 0), (THRU_ON, 60, 70)]
    assert scheduler.sounding == {(0, 60)}


def test_pass_through_on_the_output_channel_shares_the_retrigger_rule():
    scheduler = NoteScheduler(note_ticks=12)
    scheduler.pass_through((ON, 36, 100))  # the producer's kick echoed on channel 10
    assert scheduler.due(0.0) == []
    scheduler.schedule(1.0, 36, 90)
    assert scheduler.due(1.0) == [(OFF, 36, 0), (ON, 36, 90)]


@settings(max_examples=200, deadline=None)
@given(hits, st.lists(st.floats(0, 260), max_size=10), st.floats(0, 260), st.booleans())
def test_drop_from_never_leaves_a_note_sounding_and_sends_nothing_dropped(notes, polls, cut, stop_early):
    scheduler = NoteScheduler()
    for position, note, velocity in notes:
        scheduler.schedule(position, note, velocity)
    sent = []
    for position in sorted(p for p in polls if p < cut):
        sent += scheduler.due(position)
    scheduler.drop_from(cut)
    for position in sorted(p for p in polls if p >= cut):
        sent += scheduler.due(position)
        assert all(on < cut for on in scheduler.released_note_ons), "a dropped note-on came out"
    sent += scheduler.silence() if stop_early else scheduler.due(1e9)
    assert_note_pairs(sent)
    if not stop_early:  # every note-on before the cut was played, none after
        assert sum(status == ON for status, _note, _velocity in sent) == sum(p < cut for p, _n, _v in notes)


def test_change_channel_switches_off_what_sounds_and_moves_queued_notes():
    scheduler = NoteScheduler(channel=9, note_ticks=6)
    scheduler.schedule(0.0, 36, 100)
    scheduler.schedule(24.0, 38, 90)
    assert scheduler.due(1.0) == [(ON, 36, 100)]
    assert scheduler.change_channel(1) == [(OFF, 36, 0), (CC, 123, 0)]
    # The sounding kick's own note-off is skipped (already off); the snare comes on channel 2.
    assert scheduler.due(100) == [(0x91, 38, 90), (0x81, 38, 0)]
    scheduler.schedule(200.0, 42, 70)
    assert scheduler.due(300) == [(0x91, 42, 70), (0x81, 42, 0)]
    assert scheduler.silence() == [(0xB1, 123, 0)]
