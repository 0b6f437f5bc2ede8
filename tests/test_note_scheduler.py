"""Scheduling notes at tick positions: order, note-offs, retriggers, silence and panic."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.note_scheduler import NoteScheduler

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
    sounding = set()
    for status, note, _velocity in sent:
        if status == ON:
            assert note not in sounding, "two note-ons without a note-off"
            sounding.add(note)
        elif status == OFF:
            assert note in sounding, "a note-off for a note that was not on"
            sounding.discard(note)
    assert sounding == set()
