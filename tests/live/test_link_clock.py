"""The Link clock with fake time: ticks read off the timeline, Start/Stop at their announced times, jumps.

No sockets and no Link library: LinkState snapshots go in as numbers, as the
session edge (link_session.py) would post them, and the tests check the exact
song positions and times that come out.
"""

from __future__ import annotations

import pytest

from bridge.live.events import LinkControl
from bridge.live.link_clock import JOIN_WAIT_S, LinkClock
from bridge.live.link_timeline import LinkState, LinkTimeline

TICK_120 = 60.0 / (120.0 * 24)


def state(tempo=120.0, beat=0.0, time=0.0, playing=False, play_time=0.0, peers=1) -> LinkState:
    return LinkState(LinkTimeline(tempo, beat, time), playing, play_time, peers)


def started(tempo=120.0, at=1.0, beat_at_start=8.0, peers=1) -> LinkClock:
    """A clock that saw a peer start the transport at `at` on Link beat `beat_at_start`, stepped to `at`."""
    clock = LinkClock(120.0, now=0.0)
    timeline = LinkTimeline(tempo, beat_at_start, at)
    clock.update(LinkState(timeline, False, 0.0, peers), now=0.5)
    clock.update(LinkState(timeline, True, at, peers), now=0.6)
    assert clock.advance(at) == ["start"]
    return clock


def test_a_start_takes_effect_at_its_announced_time_not_when_it_arrives():
    clock = LinkClock(120.0, now=0.0)
    clock.update(state(playing=True, play_time=2.0, beat=8.0, time=2.0), now=1.0)  # isPlaying flips at once
    assert clock.advance(1.99) == [] and not clock.running
    assert clock.next_tick() == 2.0
    assert clock.advance(2.0) == ["start"]
    assert clock.running and clock.position == 0 and clock.last_tick_time == 2.0


def test_ticks_fall_on_the_timeline_24_to_a_beat_and_bar_lines_on_its_quanta():
    clock = started(at=1.0, beat_at_start=8.0)
    times = clock.ticks_due(1.0 + 4 * 0.5)  # four beats at 120 BPM
    assert clock.position == 96
    assert times == pytest.approx([1.0 + n * TICK_120 for n in range(1, 97)], abs=1e-12)
    assert clock.time_of(96) == pytest.approx(3.0) and clock.origin == 8.0  # bar 2 starts on Link beat 12


def test_a_hit_is_placed_on_the_link_beat_from_its_arrival_stamp():
    clock = started(at=1.0)
    clock.ticks_due(1.26)
    assert clock.position_at(1.25 + 0.001) == pytest.approx(12.048)  # a hit 1 ms after the 8th note
    assert clock.position_at(1.0) == 11.0, "kept within a tick of the count, as a MIDI clock's"


def test_a_tempo_change_moves_the_next_ticks_at_once_and_keeps_the_beat():
    clock = started(at=1.0)
    clock.ticks_due(1.5)  # one beat: tick 24 at 1.5 s
    timeline = clock.state.timeline.with_tempo(60.0, 1.5)  # a peer halves the tempo on the beat
    assert clock.update(LinkState(timeline, True, 1.0, 1), now=1.5004) == ["Link: tempo 60.00 BPM"]
    assert clock.tick_interval == pytest.approx(60.0 / (60.0 * 24))
    assert clock.advance(1.5 + 1.0) == [], "a tempo change is no jump"
    assert clock.position == 48 and clock.last_tick_time == pytest.approx(2.5)


def test_a_jump_from_60_to_300_bpm_is_followed_within_the_tick_and_counts_every_tick_once():
    clock = started(tempo=60.0, at=0.0, beat_at_start=0.0)
    clock.ticks_due(2.0)  # two beats at 60: tick 48
    timeline = clock.state.timeline.with_tempo(300.0, 2.0)
    clock.update(LinkState(timeline, True, 0.0, 1), now=2.001)
    seen = clock.ticks_due(2.2)  # one beat at 300 BPM
    assert clock.position == 72 and len(seen) == 24
    assert seen[-1] == pytest.approx(2.2) and clock.bpm == 300.0
    assert all(b > a for a, b in zip(seen, seen[1:]))


def test_another_numbering_of_the_beats_by_whole_bars_keeps_the_song_where_it_is():
    clock = started(at=1.0, beat_at_start=8.0)
    clock.ticks_due(1.6)
    renumbered = LinkTimeline(120.0, 8.0 + 1.2 - 16.0, 1.6)  # the beat at 1.6 s, four bars lower
    clock.update(LinkState(renumbered, True, 1.0, 2), now=1.6)
    assert clock.advance(2.0) == []
    assert clock.position == 48 and clock.time_of(48) == pytest.approx(2.0)


def test_a_moved_phase_is_a_jump_and_the_song_goes_on_from_where_the_timeline_puts_it():
    clock = started(at=1.0, beat_at_start=8.0)
    clock.ticks_due(1.6)  # 1.2 beats in
    moved = LinkTimeline(120.0, 8.0 + 1.2 + 1.0, 1.6)  # a beat further on
    clock.update(LinkState(moved, True, 1.0, 2), now=1.6)
    assert clock.advance(1.6) == ["jump"]
    assert clock.position == 52  # 2.2 beats after the bar line (ticks 0..52, the last one at 1.6 - 1/60 s)


def test_a_stop_takes_effect_at_its_time_and_the_ticks_before_it_are_counted():
    clock = started(at=1.0)
    clock.ticks_due(1.2)
    clock.update(state(beat=8.0, time=1.0, playing=False, play_time=1.5), now=1.21)
    assert clock.advance(1.3) == [] and clock.running
    assert clock.advance(1.6) == ["stop"]
    assert not clock.running and clock.position == 23, "tick 24 is at the stop's time: not played"
    assert clock.advance(3.0) == [] and clock.position == 23


def test_a_start_stop_storm_ends_in_the_last_announced_state_and_a_start_cancelled_in_time_never_plays():
    clock = LinkClock(120.0, now=0.0)
    for index in range(50):  # peers toggling faster than the start time comes
        clock.update(state(playing=index % 2 == 0, play_time=1.0 + index * 0.001, time=0.0), now=0.5 + index * 1e-4)
    assert clock.advance(2.0) == [] and not clock.running, "the last word was Stop before any Start took effect"
    clock.update(state(playing=True, play_time=2.5, time=0.0), now=2.0)
    clock.update(state(playing=False, play_time=2.6, time=0.0), now=2.1)
    clock.update(state(playing=True, play_time=4.0, time=0.0), now=2.2)  # beat 8: a bar line
    assert clock.advance(4.0) == ["start"] and clock.position == 0


def test_joining_a_song_already_playing_counts_bars_from_its_start_and_continues_from_now():
    clock = LinkClock(120.0, now=10.0)
    clock.update(state(beat=100.0, time=10.0, playing=True, play_time=4.0), now=10.0)  # started 3 bars ago
    assert clock.advance(10.0) == ["continue"]
    assert clock.origin == 88.0  # beat 88 at 4.0 s, on a bar line
    assert clock.position == 288 and clock.time_of(288) == pytest.approx(10.0)


def test_a_start_in_the_middle_of_a_bar_continues_from_the_next_tick_on_the_same_bar_lines():
    clock = LinkClock(120.0, now=0.0)
    clock.update(state(beat=5.5, time=1.0, playing=True, play_time=1.0), now=0.9)
    assert clock.advance(1.0) == ["continue"]
    assert clock.origin == 4.0 and clock.position == 36  # the first tick is 1.5 beats into the bar


def test_alone_it_leads_the_start_on_the_next_bar_line_once_a_join_had_time():
    clock = LinkClock(120.0, now=0.0)
    clock.update(state(beat=0.3, time=0.0, peers=0), now=0.0)
    assert clock.advance(JOIN_WAIT_S - 0.01) == [] and clock.requests == []
    assert clock.next_tick() == JOIN_WAIT_S
    clock.advance(JOIN_WAIT_S)  # beat 2.3 by then: the next bar line is beat 4, at 1.85 s
    assert clock.requests == [LinkControl(playing=True, at=pytest.approx(1.85))]
    assert clock.advance(1.85) == ["start"] and clock.origin == 4.0


def test_with_peers_present_it_waits_for_their_start_and_after_they_left_too():
    clock = LinkClock(120.0, now=0.0)
    clock.update(state(peers=1), now=0.0)
    clock.advance(5.0)
    assert clock.requests == [] and not clock.running
    clock.update(state(peers=0), now=5.0)  # the DAW stopped and left: it is in charge, not us
    clock.advance(10.0)
    assert clock.requests == [] and not clock.running and clock.next_tick() is None


def test_a_peer_that_leaves_mid_song_leaves_its_tempo_and_the_song_plays_on():
    clock = started(tempo=90.0, at=1.0)
    clock.ticks_due(2.0)
    lines = clock.update(LinkState(clock.state.timeline, True, 1.0, 0), now=2.0)
    assert lines == ["Link: no peers: keeping time at 90.00 BPM"]
    assert clock.advance(4.0) == [] and clock.running and clock.position == 108
    assert not clock.stalled(4.0)


def test_our_tempo_is_shared_with_the_session_and_ours_at_once():
    clock = started(at=1.0)
    clock.advance(1.5)
    clock.set_bpm(140.0)
    assert clock.requests == [LinkControl(tempo=140.0)]
    assert clock.time_of(24) == pytest.approx(1.5), "the beat at the change stays where it was"
    assert clock.time_of(48) == pytest.approx(1.5 + 60.0 / 140.0)
