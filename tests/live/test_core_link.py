"""The engine core on an Ableton Link timeline, with fake time: what is sent, when, and what is logged.

LinkUpdate events stand in for the session edge (link_session.py); the
timeline's times are the monotonic seconds the core works in.  Each test
checks sends against the timeline itself: a note for song tick t goes out at
time_at(origin + t / 24) + offset (less the engine's 0.2 ms wake-up margin).
"""

from __future__ import annotations

import pytest

from bridge.live.events import LinkControl, LinkMissing, LinkUpdate, SetBpm
from bridge.live.link_timeline import LinkState, LinkTimeline
from bridge.live.transport import SEND_EARLY_S
from tests.live.core_rig import START, CoreRig

NOTE_ON = 0x90
BAR = 96
CALL_RESPONSE = {"mode": {"kind": "call_response", "listen_bars": 1, "response_bars": 1}}
CONTINUOUS = {"mode": {"kind": "continuous", "listen_bars": 1}}


def link(rig: CoreRig, timeline: LinkTimeline, playing: bool, play_time: float = 0.0, peers: int = 1, at=None):
    """The session edge posts a look at the session at `at` (default: the rig's time)."""
    when = rig.now if at is None else at
    rig.advance(when)
    rig.step(LinkUpdate(LinkState(timeline, playing, play_time, peers)), when)


def play_call(rig: CoreRig, timeline: LinkTimeline, bar_beat: float) -> None:
    """A kick on 1 and a snare on 2 of the bar starting at Link beat `bar_beat`, stamped 1 ms late."""
    for beat, note in ((0.0, 36), (1.0, 38)):
        when = timeline.time_at(bar_beat + beat) + 0.001
        rig.midi(0x99, note, 100, at=when)
        rig.midi(0x89, note, 0, at=when + 0.002)


def note_on_times(rig: CoreRig) -> list[tuple[float, int]]:
    return [(when, m[1]) for when, m in rig.sent if m[0] & 0xF0 == NOTE_ON and m[2] > 0]


def test_the_answer_lands_on_the_link_bar_line_with_the_output_offset():
    rig = CoreRig({**CALL_RESPONSE, "output": {"offset_ms": -5.0}}, clock_source="link")
    timeline = LinkTimeline(120.0, 5.0, 0.0)  # the peer is on beat 2 of its bar at t = 0
    link(rig, timeline, False, at=0.1)
    start = timeline.time_at(8.0)  # 1.5 s: the peer starts on its next bar line
    link(rig, timeline, True, start, at=0.2)
    play_call(rig, timeline, 8.0)
    rig.advance(timeline.time_at(16.0))
    answer = timeline.time_at(12.0)  # bar 2 of the song
    assert note_on_times(rig) == [
        (pytest.approx(answer - 0.005 - SEND_EARLY_S, abs=1e-9), 36),
        (pytest.approx(answer + 0.5 - 0.005 - SEND_EARLY_S, abs=1e-9), 38),
    ]
    assert rig.logs[:3] == ["following Ableton Link: bar lines on the session's phase, Start/Stop from its peers",
                            "Link: 120.00 BPM, 1 peer", "transport start at bar 1"]  # fmt: skip
    assert "answering at bar 2" in rig.logs


def test_on_jack_notes_go_half_a_period_ahead_of_their_link_time_and_not_of_midi_clock_ticks():
    # rtmidi's JACK output writes at the next period's frame 0: half a period ahead lands centred.
    period = 64 / 48000
    rig = CoreRig(CALL_RESPONSE, clock_source="link")
    rig.core.output_period = period
    timeline = LinkTimeline(120.0, 0.0, 0.0)
    link(rig, timeline, True, 0.0, at=0.0)
    play_call(rig, timeline, 0.0)
    rig.advance(timeline.time_at(8.0))
    answer = timeline.time_at(4.0)
    assert note_on_times(rig)[:2] == [
        (pytest.approx(answer - period / 2 - SEND_EARLY_S, abs=1e-9), 36),
        (pytest.approx(answer + 0.5 - period / 2 - SEND_EARLY_S, abs=1e-9), 38),
    ]
    assert rig.core.late_notes == 0
    on_midi_clock = []
    for known in (None, period):  # MIDI clock: the same sends whether the period is known or not
        midi = CoreRig(CALL_RESPONSE)
        midi.core.output_period = known
        midi.play_ticks(3 * BAR, {0: [(36, 100)], 24: [(38, 100)]}, start=True)
        on_midi_clock.append(midi.sent)
    assert on_midi_clock[0] and on_midi_clock[0] == on_midi_clock[1]


def test_a_note_due_just_after_an_announced_stop_is_not_sent_early_for_jack():
    period = 256 / 48000  # 2.7 ms early: a note 1 ms after the Stop would go before it
    rig = CoreRig(CONTINUOUS, clock_source="link")
    rig.core.output_period = period
    timeline = LinkTimeline(120.0, 0.0, 0.0)
    link(rig, timeline, True, 0.0, at=0.0)
    play_call(rig, timeline, 0.0)
    stop = timeline.time_at(13.0) - 0.001  # 1 ms before bar 4's snare (the fake model's beat 2)
    link(rig, timeline, False, stop, at=stop - 0.2)
    rig.advance(stop + 1.0)
    assert note_on_times(rig)[-1] == (pytest.approx(timeline.time_at(12.0) - period / 2 - SEND_EARLY_S), 36)
    assert not rig.sounding


def test_hits_are_placed_on_the_link_beat_from_their_stamps():
    rig = CoreRig(CALL_RESPONSE, clock_source="link")
    timeline = LinkTimeline(90.0, 0.0, 0.0)
    link(rig, timeline, True, 0.0, at=0.0)
    rig.midi(0x99, 38, 100, at=timeline.time_at(1.5) + 0.004)
    assert rig.core.recorder.hits == [(pytest.approx(36 + 0.004 * 90 / 60 * 24), 1, 100)]


def test_a_stop_silences_at_its_announced_time_and_nothing_is_sent_after_it():
    rig = CoreRig(CONTINUOUS, clock_source="link")
    timeline = LinkTimeline(120.0, 0.0, 0.0)
    link(rig, timeline, True, 0.0, at=0.0)
    play_call(rig, timeline, 0.0)
    stop = timeline.time_at(4 * 3 + 1.25)  # in bar 4, between the kick and the snare
    link(rig, timeline, False, stop, at=stop - 0.2)  # announced ahead, as a peer's isPlaying flips at once
    rig.advance(stop + 4.0)
    assert note_on_times(rig) and max(when for when, _n in note_on_times(rig)) < stop
    assert not rig.sounding and rig.logs[-1] == "transport stop at tick 318: silenced"


def test_a_tempo_jump_from_60_to_300_bpm_moves_every_later_note_onto_the_new_timeline():
    rig = CoreRig(CONTINUOUS, clock_source="link")
    slow = LinkTimeline(60.0, 0.0, 0.0)
    link(rig, slow, True, 0.0, at=0.0)
    play_call(rig, slow, 0.0)
    change = slow.time_at(6.5)  # in bar 2, the model's first bar
    fast = slow.with_tempo(300.0, change)
    link(rig, fast, True, 0.0, at=change + 0.001)
    rig.advance(fast.time_at(24.0))
    after = [(when, m) for when, m in rig.sent if when > change + 0.001 and m[0] & 0xF0 == NOTE_ON]
    assert len(after) >= 8
    for when, message in after:
        beat = fast.beat_at(when + SEND_EARLY_S)
        assert beat * 4 == pytest.approx(round(beat * 4), abs=1e-6), f"note {message} off the 16th grid"
    assert "Link: tempo 300.00 BPM" in rig.logs and not rig.sounding or rig.core.transport.playing


def test_start_stop_storms_leave_no_note_sounding():
    rig = CoreRig(CONTINUOUS, clock_source="link")
    timeline = LinkTimeline(120.0, 0.0, 0.0)
    link(rig, timeline, True, 0.0, at=0.0)
    play_call(rig, timeline, 0.0)
    rig.advance(timeline.time_at(9.0))
    for index in range(40):  # every 30 ms, each announced for its own moment
        when = timeline.time_at(9.0) + index * 0.03
        link(rig, timeline, index % 2 == 1, when, at=when)
    link(rig, timeline, False, rig.now, at=rig.now + 0.01)
    rig.advance(rig.now + 2.0)
    assert not rig.sounding and not rig.core.clock.running


def test_alone_it_starts_the_session_on_a_bar_line_and_shares_a_new_tempo():
    rig = CoreRig(CONTINUOUS, clock_source="link")
    assert rig.link_controls == [LinkControl(enable=True)]
    timeline = LinkTimeline(120.0, 0.5, 0.0)
    link(rig, timeline, False, peers=0, at=0.01)
    rig.advance(2.0)
    start = timeline.time_at(4.0)  # the first bar line after the join's wait
    assert rig.link_controls[1] == LinkControl(playing=True, at=pytest.approx(start))
    assert "transport start at bar 1" in rig.logs and rig.core.clock.position >= 0
    rig.step(SetBpm(140.0))
    assert rig.link_controls[-1] == LinkControl(tempo=140.0) and rig.core.clock.bpm == 140.0


def test_auto_follows_link_once_peers_come_and_midi_clock_for_good_once_it_arrives():
    rig = CoreRig(CONTINUOUS, clock_source="auto", auto_link=True)
    assert rig.core.transport.kind == "internal" and rig.link_controls == [LinkControl(enable=True)]
    timeline = LinkTimeline(100.0, 0.0, 0.0)
    link(rig, timeline, True, 0.0, peers=0, at=0.5)
    assert rig.core.transport.kind == "internal", "no peers: Link is only our own session"
    link(rig, timeline, True, 0.0, peers=1, at=2.0)
    assert rig.core.transport.kind == "link" and rig.core.status().link_peers == 1
    rig.advance(3.0)
    assert rig.core.clock.bpm == 100.0 and "transport continue at bar 1" in rig.logs
    rig.midi(START, at=3.1)
    assert rig.core.transport.kind == "external"
    link(rig, timeline.with_tempo(150.0, 3.2), True, 0.0, peers=1, at=3.2)
    assert rig.core.transport.kind == "external"


def test_auto_without_link_leaves_the_session_alone():
    rig = CoreRig(CONTINUOUS, clock_source="auto")
    assert rig.link_controls == [] and rig.core.transport.kind == "internal"


def test_link_chosen_without_the_extra_says_how_to_install_it_and_plays_on_the_internal_clock():
    rig = CoreRig(CONTINUOUS, clock_source="link")
    rig.step(LinkMissing("Ableton Link is not installed: pip install 'beat-generation[link]' (GPL-2.0-or-later)"))
    assert rig.logs[1:] == [
        "Ableton Link is not installed: pip install 'beat-generation[link]' (GPL-2.0-or-later)",
        "clock source link: the internal clock plays instead",
        "internal clock at 120 BPM",
    ]
    assert rig.core.transport.kind == "internal" and rig.core.clock.running


def test_a_peer_that_leaves_mid_song_leaves_the_song_playing_at_its_tempo():
    rig = CoreRig(CONTINUOUS, clock_source="link")
    timeline = LinkTimeline(90.0, 0.0, 0.0)
    link(rig, timeline, True, 0.0, at=0.0)
    play_call(rig, timeline, 0.0)
    link(rig, timeline, True, 0.0, peers=0, at=timeline.time_at(6.0))
    rig.advance(timeline.time_at(20.0))
    assert "Link: no peers: keeping time at 90.00 BPM" in rig.logs
    late = [when for when, _n in note_on_times(rig) if when > timeline.time_at(16.0)]
    assert late, "the model's bars go on after the peer left"
