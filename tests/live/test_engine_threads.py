"""The engine's thread shell with the real model and threads, a clock posted in real time.

What fake time cannot show: the engine thread sleeping (not spinning) while
it waits for a late clock, and an inference worker starved of the CPU.
"""

from __future__ import annotations

import re
import time

import pytest

from bridge.live.engine import TICKS_PER_BAR, Engine
from bridge.live.events import UsePreset
from bridge.settings.presets import Preset, validate
from tests.live.engine_sessions import KICK, assert_every_note_switched_off, seed_notes
from tests.live.engine_sessions import ThreadedSession as Session

pytestmark = pytest.mark.realtime


def preset(name: str, values: dict) -> Preset:
    return Preset(name, None, validate(values))


@pytest.mark.skipif(not hasattr(time, "pthread_getcpuclockid"), reason="per-thread CPU clocks are POSIX's")
def test_a_late_clock_makes_the_engine_wait_not_spin(model):
    """Notes due past the sending limit wait for the next tick: the engine thread sleeps meanwhile.

    It runs at real-time priority where permitted, so a thread spinning until
    the tick came would starve everything below it on its core (seen: a
    fresh CI run where the spinning engine starved the inference worker).
    """
    session = Session(model, {"mode": {"kind": "continuous", "listen_bars": 1}, "feel": {"quantize": 1.0}})
    engine_clock = time.pthread_getcpuclockid(session.engine._thread.ident)
    try:
        session.play(0, int(2.5 * TICKS_PER_BAR), seed_notes(1), start=True)  # continuing: notes planned ahead
        planned = session.engine.core.performance.scheduler.next_position()
        used_before = time.clock_gettime(engine_clock)
        time.sleep(0.2)  # a late clock: 19 ticks' time without a tick, under the one-beat stall check
        used = time.clock_gettime(engine_clock) - used_before
        session.start_time += 0.2
        session.play(int(2.5 * TICKS_PER_BAR), 3 * TICKS_PER_BAR)
    finally:
        session.close()
    assert planned is not None and planned < int(2.5 * TICKS_PER_BAR) + 19, "a note fell due in the pause"
    assert used < 0.02, f"the engine thread used {used * 1000:.0f} ms of CPU in a 200 ms wait"
    assert_every_note_switched_off(session.sent)


def test_a_bar_written_after_its_line_is_counted_and_logged_with_how_late(model):
    """What a late first downbeat needs looking at first: whether the worker fell behind."""
    session = Session(model, {"mode": {"kind": "continuous", "listen_bars": 1}})
    stream = session.engine.worker.stream
    write = stream.play_bar

    def slow_write(settings, rng, on_downbeat=None):
        time.sleep(0.08)  # a starved worker: the cut leaves it 15 ms
        return write(settings, rng, on_downbeat)

    stream.play_bar = slow_write
    log = session.play_song(3 * TICKS_PER_BAR, seed_notes(1))
    assert session.engine.status().late_bars >= 1, session.diagnosis()
    assert re.search(r"bar 2 written \d+\.\d ms after its bar line \(the inference worker fell behind\)", log), log


def test_an_answers_downbeat_goes_out_on_time_while_the_worker_writes_the_rest(model):
    """The worker hands over the downbeat of an answer's first bar before it writes the rest, so
    a worker slow after that point (here 60 ms, four times the cut's lead) delays only the rest."""
    preset = {"mode": {"kind": "continuous", "listen_bars": 1}, "drums": {"lock": ["kick"]}, "feel": {"quantize": 1.0}}
    session = Session(model, preset)
    continuer = session.engine.worker.stream.continuer
    write_token, stalled = continuer.write_token, []

    def stall_once_past_the_downbeat(*args):
        if not stalled and continuer.cursor.position > 12:  # units: 96 a beat, 12 = the first 16th's cell
            stalled.append(time.sleep(0.06))
        return write_token(*args)

    continuer.write_token = stall_once_past_the_downbeat
    log = session.play_song(3 * TICKS_PER_BAR, seed_notes(1))
    # The locked kick repeats the seed's kick on the downbeat, whatever the model writes.
    kick_ticks = [session.position_of(t) for t, m in session.note_ons() if m[1] == KICK]
    assert any(abs(tick - TICKS_PER_BAR) < 0.5 for tick in kick_ticks), (kick_ticks, session.diagnosis())
    assert "bar 2 written" not in log, log
    assert re.search(r"bar 2 past its first 16th written \d+\.\d ms late \(the inference worker fell behind\)", log), (
        log
    )
    bar_2 = [view for view in session.engine.history() if view.bar == 1 and view.source == "generated"]
    assert bar_2 and any(hit.time == 0.0 for hit in bar_2[0].hits) and any(hit.time > 0.125 for hit in bar_2[0].hits), (
        bar_2
    )
    assert_every_note_switched_off(session.sent)


# -- the clock source, with the shell's own thread and the internal clock ticking in real time


def test_clock_source_and_internal_tempo_follow_the_preset(model):
    sent, logs = [], []
    engine = Engine(
        preset("internal", {"clock": {"source": "internal", "bpm": 240.0}}), model, sent.append, logs.append
    )
    engine.start()
    try:
        time.sleep(0.5)
        status = engine.status()
        assert (status.clock, status.running) == ("internal", True) and status.bpm == pytest.approx(240, rel=0.01)
        engine.command(UsePreset(preset("external", {"clock": {"source": "external"}})))
        time.sleep(0.2)
        status = engine.status()
        assert (status.clock, status.running) == ("external", False), "waits for the DAW's clock"
        engine.command(UsePreset(preset("slow", {"clock": {"source": "internal", "bpm": 120.0}})))
        time.sleep(0.5)
        status = engine.status()
        assert (status.clock, status.running) == ("internal", True) and status.bpm == pytest.approx(120, rel=0.01)
    finally:
        engine.close()
    assert "clock source external: waiting for MIDI clock" in logs and "internal clock at 120 BPM" in logs


def test_a_clock_override_at_start_wins_over_presets(model):
    logs = []
    engine = Engine(preset("p", {}), model, lambda m: None, logs.append, "internal")
    engine.start()
    try:
        engine.command(UsePreset(preset("external", {"clock": {"source": "external"}})))
        time.sleep(0.3)
        assert engine.status().clock == "internal" and engine.status().running
    finally:
        engine.close()
