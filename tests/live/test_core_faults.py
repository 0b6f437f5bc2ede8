"""The core under faults of the clock and the input, as exact lists with fake time (tests/live/core_rig.py).

- A burst of ticks far faster than any tempo is a jump, not played time:
  its notes are dropped, not sent as a flam, and nothing is left sounding.
- Stop then Start logs no stall; a stall ends at Stop; a Song Position
  Pointer that comes while the clock is stalled is followed from its bar.
- Messages the core does not use change nothing: the same session with and
  without them interleaved, at any time, sends exactly the same.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.live.events import MidiIn
from bridge.music.hits import Hit
from tests.live.core_rig import CLOCK, CONTINUE, HAT, SPP, START, STOP, CoreRig, EchoWorker

BAR = 96
CALL = {0: [(36, 100)], 24: [(38, 90)]}  # kick on 1, snare on 2 of the first bar played
EIGHTHS = [Hit(index / 2, HAT, 30) for index in range(8)]  # the answer: a hat on every 8th


def answering(bars: int = 3) -> CoreRig:
    mode = {"kind": "call_response", "listen_bars": 1, "response_bars": bars}
    return CoreRig({"mode": mode}, worker=EchoWorker(list(EIGHTHS)))


def burst(rig: CoreRig, count: int, spacing: float = 0.0) -> None:
    """`count` ticks from now, `spacing` seconds apart; the clock's own ticks go on after them."""
    for _ in range(count):
        rig.midi(CLOCK, at=rig.now + spacing)
    rig.next_tick_time = rig.now + rig.tick_seconds()


# -- bursts ----------------------------------------------------------------------------------


def test_a_burst_of_a_thousand_ticks_is_a_jump_not_a_flam():
    rig = answering()
    rig.play_ticks(BAR + 30, CALL, start=True)  # the answer plays: hats on 96, 108, 120
    burst(rig, 1000)  # at tick 126: 1000 ticks at one moment
    rig.play_ticks(3 * BAR)
    rig.midi(STOP)
    assert rig.note_ons() == [(96, 42, 31), (108, 42, 31), (120, 42, 31)], "nothing of the burst played"
    assert not rig.sounding
    assert rig.logs == [
        "transport start at bar 1",
        "answering at bar 2",
        "clock: ticks bunched ahead of time at tick 132: notes dropped",
        "clock: a burst of ticks far faster than any tempo: a jump, not played; silenced",
        "transport jump at bar 12",
        "transport stop at tick 1414: silenced",
    ]
    assert (rig.core.dropped_notes, rig.core.clock.jumps) == (2, 1)  # the hats on 132 and 144
    assert rig.core.clock.position == 1413, "every tick counted: the song is where the DAW's count puts it"
    assert rig.core.clock.bpm is not None and abs(rig.core.clock.bpm - 120.0) < 1e-6, "the tempo held across"


def test_after_a_jump_the_song_goes_on_from_the_next_bar_line():
    rig = answering(bars=1)
    rig.play_ticks(BAR + 30, CALL, start=True)
    burst(rig, 2 * BAR - 30)  # ticks 126..287: the first tick after the run is bar 4's line
    rig.play_ticks(2 * BAR, {0: [(36, 100)]})  # a new call on that bar line, heard from it
    rig.midi(STOP)
    assert rig.note_ons() == [(96, 42, 31), (108, 42, 31), (120, 42, 31)] + [
        (384 + 12 * index, 42, 34) for index in range(8)
    ]
    assert "transport jump at bar 4" in rig.logs


def test_ticks_bunched_past_a_sixteenth_drop_their_notes_without_a_jump():
    rig = answering()
    rig.play_ticks(BAR + 30, CALL, start=True)
    burst(rig, 20)  # ticks 126..145 at once: 19 ahead of the time passed, less than a beat
    rig.play_ticks(BAR)
    rig.midi(STOP)
    assert rig.note_ons() == [(96, 42, 31), (108, 42, 31), (120, 42, 31)] + [
        (tick, 42, 31) for tick in (156, 168, 180)
    ] + [(192 + 12 * index, 42, 32) for index in range(5)]  # the rest of bar 2 on time, then bar 3
    assert (rig.core.dropped_notes, rig.core.clock.jumps) == (2, 0)  # the hats on 132 and 144
    assert rig.logs == [
        "transport start at bar 1",
        "answering at bar 2",
        "clock: ticks bunched ahead of time at tick 132: notes dropped",
        "transport stop at tick 242: silenced",
    ], "the run's ticks kept off the tempo line: no gaps after it"


def test_a_clock_held_up_that_catches_up_at_once_plays_every_note():
    """Held up 10 intervals (a pause: the tempo is measured afresh), then those ticks in one batch: no
    more ticks than the time passed holds, so none is dropped."""
    rig = answering()
    rig.play_ticks(BAR + 30, CALL, start=True)
    rig.advance(rig.now + 10 * rig.tick_seconds())
    burst(rig, 10)
    rig.play_ticks(BAR)
    rig.midi(STOP)
    hats = [tick for tick, note, _velocity in rig.note_ons()]
    assert hats == [96, 108, 120, 132, 148, 156, 168, 180, 192, 204, 216, 228]  # 144: after the pause
    assert rig.core.dropped_notes == 0 and rig.core.clock.jumps == 0


# -- stalls and transport ------------------------------------------------------------------


def test_stop_then_start_logs_no_stall():
    rig = answering(bars=1)
    rig.play_ticks(2 * BAR, CALL, start=True)
    rig.midi(STOP)
    rig.advance(rig.now + 2.0)  # stopped for longer than any stall limit
    rig.play_ticks(2 * BAR, CALL, start=True)
    rig.midi(STOP)
    rig.advance(rig.now + 1.0)
    rig.midi(CONTINUE)  # Continue too: the clock comes an interval later
    rig.play_ticks(BAR)
    rig.midi(STOP)
    assert rig.logs == [
        "transport start at bar 1",
        "answering at bar 2",
        "transport stop at tick 192: silenced",
        "transport start at bar 1",
        "answering at bar 2",
        "transport stop at tick 192: silenced",
        "transport continue at bar 3",
        "transport stop at tick 288: silenced",
    ]


def test_a_stall_ends_at_stop_and_the_next_start_plays_from_bar_1():
    rig = answering(bars=1)
    rig.play_ticks(BAR, CALL, start=True)
    rig.advance(rig.now + 1.0)  # the clock dies without Stop
    rig.midi(STOP)
    rig.play_ticks(2 * BAR, CALL, start=True)
    rig.midi(STOP)
    assert rig.logs == [
        "transport start at bar 1",
        "answering at bar 2",
        "clock stalled (no ticks for a beat without Stop): silenced, waiting for the clock",
        "transport stop at tick 96: silenced",
        "transport start at bar 1",
        "answering at bar 2",
        "transport stop at tick 192: silenced",
    ], "no 'clock back': Stop ended the stall"
    # The first answer's downbeat went before the stall; after Start the call in bar 1 is answered.
    assert [tick for tick, _note, _velocity in rig.note_ons()] == [96] + [96 + 12 * index for index in range(8)]


def test_a_song_position_that_comes_while_the_clock_is_stalled_plays_the_loop_once_from_its_bar():
    """The SPP restarts the performance; the tick that ends the stall must not restart it again
    (before: the loop's bar was scheduled twice, every note retriggered, a bar late after a
    position on a bar line)."""
    rig = CoreRig({"mode": {"kind": "loop", "listen_bars": 1, "loop_bars": 1}}, worker=EchoWorker(list(EIGHTHS)))
    rig.play_ticks(3 * BAR, CALL, start=True)  # the loop: bars 2 and 3, and bar 4's downbeat ahead
    rig.advance(rig.now + 1.0)  # stalled
    rig.midi(SPP, 64, 0)  # bar 5 (16th 64 = tick 384)
    rig.play_ticks(2 * BAR)
    rig.midi(STOP)
    ticks = [tick for tick, _note, _velocity in rig.note_ons()]
    assert ticks == [96 + 12 * index for index in range(17)] + [384 + 12 * index for index in range(16)]
    assert rig.logs == [
        "transport start at bar 1",
        "looping at bar 2",
        "clock stalled (no ticks for a beat without Stop): silenced, waiting for the clock",
        "transport position at bar 5",
        "clock back",
        "transport stop at tick 576: silenced",
    ]


# -- input the core does not use -------------------------------------------------------------

UNUSED = [
    (0xFE,), (0xFF,), (0xF4,), (0xF5,), (0xF9,), (0xFD,), (0xF6,), (0xF7,), (0xF1, 0x21), (0xF3, 2), (0xF2,),
    (0xF2, 0x10), (0xF0, 0x7E, 0x7F, 0x09, 0x01, 0xF7), (0xF0, 0x43, 0x12), (0xF0,), (), (36,), (36, 100),
    (36, 100, 38, 90), (0x99,), (0x99, 36), (0x99, 36, 0), (0x89, 36, 0), (0x99, 200, 100), (0x99, 36, 128),
    (0xB9, 7), (0xC9, 5), (0xE9, 0, 64), (0xD9, 30), (0xA9, 36, 20), (0x89, 40, 64), (0x99, 0, 0),
]  # fmt: skip


def junk_session(junk: dict[int, list[tuple[float, tuple[int, ...]]]]) -> CoreRig:
    """Call & response over 5 bars, Stop, Song Position Pointer, Continue, 2 bars, with the clock
    source `auto`; `junk` is {tick index: [(seconds after that tick, packet)]}, each packet stepped
    in on its own, between the clock's own messages (a delay of 0 lands on the tick's own time;
    index -1: before the DAW's Start, while the internal clock runs)."""
    rig = CoreRig(
        {"mode": {"kind": "call_response", "listen_bars": 1, "response_bars": 2}}, EchoWorker(EIGHTHS), "auto"
    )
    call = {0: [(36, 100)], 24: [(38, 90)], 48: [(42, 70)], 240: [(36, 100)]}
    for delay, packet in sorted(junk.get(-1, ())):  # before the DAW's clock: `auto` runs its own
        rig.advance(delay * 10)  # within the first 0.5 s
        rig.step(MidiIn(packet, rig.now), rig.now)
    rig.advance(0.5)
    rig.midi(START)
    when = rig.now + 0.01
    for index in range(5 * BAR):
        rig.midi(CLOCK, at=when)
        for note, velocity in call.get(index, ()):
            rig.midi(0x99, note, velocity, at=when + 0.001)
            rig.midi(0x89, note, 0, at=when + 0.002)
        for delay, packet in sorted(junk.get(index, ())):
            rig.advance(when + delay)
            rig.step(MidiIn(packet, when + delay), when + delay)
        when += rig.tick_seconds()
    rig.midi(STOP, at=when)
    rig.midi(SPP, 32, 0, at=when + 0.1)  # bar 3
    rig.midi(CONTINUE, at=when + 0.2)
    for index in range(2 * BAR):
        rig.midi(CLOCK, at=when + 0.21 + index * rig.tick_seconds())
        if index == 0:
            rig.midi(0x99, 36, 100, at=rig.now + 0.001)
    rig.midi(STOP, at=rig.now + 0.01)
    rig.close()
    return rig


CLEAN = junk_session({})


def test_the_session_without_junk_calls_and_answers():
    assert [tick for tick, _note, _velocity in CLEAN.note_ons()] == [96 + 12 * index for index in range(16)] + [
        288 + 12 * index for index in range(8)
    ]
    assert CLEAN.logs == [
        "internal clock at 120 BPM",
        "MIDI clock arrived: following it instead of the internal clock",
        "transport start at bar 1",
        "answering at bar 2",
        "listening at bar 4",
        "transport stop at tick 480: silenced",
        "transport continue at bar 3",
        "answering at bar 4",
        "transport stop at tick 384: silenced",
    ]


junk = st.dictionaries(
    st.integers(-1, 5 * BAR - 1),
    st.lists(
        st.tuples(st.sampled_from([0.0, 0.0005, 0.001, 0.0015, 0.01, 0.02]), st.sampled_from(UNUSED)),
        min_size=1,
        max_size=3,
    ),
    max_size=40,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(junk)
def test_messages_the_core_does_not_use_change_nothing(junk):
    rig = junk_session(junk)
    assert rig.sent == CLEAN.sent
    assert rig.logs == CLEAN.logs
    assert rig.core.clock.position == CLEAN.core.clock.position


def test_every_unused_message_on_every_tick_changes_nothing():
    every = {index: [(0.0005, UNUSED[index % len(UNUSED)])] for index in range(5 * BAR)}
    rig = junk_session(every | {-1: [(0.001 * index, packet) for index, packet in enumerate(UNUSED)]})
    assert rig.sent == CLEAN.sent and rig.logs == CLEAN.logs
