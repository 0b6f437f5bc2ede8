"""The engine while it plays: presets applied live, undo/redo, and the bars it reports having sent.

Same harness as test_engine.py: the engine core with fake time, the real model
inline, a clock posted at 240 BPM (one bar per second), every sent message captured.
"""

from __future__ import annotations

import pytest

from bridge.live.engine import TICKS_PER_BAR, Engine
from bridge.live.events import Redo, Trigger, Undo, UsePreset
from bridge.music.drums import GM_OUTPUT_NOTES
from bridge.settings.presets import Preset, validate
from tests.live.engine_sessions import FakeTimeSession as Session
from tests.live.engine_sessions import assert_every_note_switched_off, seed_notes


def preset(name: str, values: dict) -> Preset:
    return Preset(name, None, validate(values))


def by_bar(session: Session, after: float = 0.0) -> dict[int, list[tuple[int, int]]]:
    """Sent note-ons per song bar: [(16th's tick inside the bar, note), ...] in sending order.

    The sessions here quantize fully, so each note is put on its nearest 16th
    by the song position when it was sent: a note sent on its predicted time
    can come a little before its tick is posted, and when the test's clock
    thread is held up it posts the missed ticks in a burst, which a
    nearest-tick match by time would put several ticks early (seen on CI:
    a note of tick 60 counted at 54).
    """
    bars: dict[int, list[tuple[int, int]]] = {}
    for t, message in session.note_ons(after):
        tick = 6 * round(session.position_of(t) / 6)
        bars.setdefault(tick // TICKS_PER_BAR, []).append((tick % TICKS_PER_BAR, message[1]))
    return bars


def view_notes(view) -> list[tuple[int, int]]:
    """A BarView's hits as (tick inside the bar, GM note), as the engine would send them (quantize 1)."""
    return sorted((round(hit.time * 24), GM_OUTPUT_NOTES[hit.drum]) for hit in view.hits)


def bar_view(engine: Engine, bar: int, source: str = "generated"):
    matches = [view for view in engine.history() if view.bar == bar and view.source == source]
    assert len(matches) == 1, f"bar {bar} ({source}) recorded {len(matches)} times: {engine.history()}"
    return matches[0]


# -- presets applied live ------------------------------------------------------------------


def test_preset_with_another_mode_kind_and_output_channel_applies_at_once(model):
    session = Session(model, {"mode": {"kind": "continuous", "listen_bars": 1}, "feel": {"quantize": 1.0}})
    other = preset("other", {"mode": {"kind": "call_response", "listen_bars": 1}, "output": {"channel": 2}})
    try:
        session.play(0, int(2.5 * TICKS_PER_BAR), seed_notes(1), start=True)
        changed = session.now()
        session.engine.command(UsePreset(other))
        session.play(int(2.5 * TICKS_PER_BAR), 5 * TICKS_PER_BAR)
        status = session.engine.status()
    finally:
        session.close()
    log = "\n".join(session.logs)
    before = [m for t, m in session.note_ons() if t < changed]
    after = [(t, m) for t, m in session.note_ons() if t > changed]
    assert before and all(m[0] == 0x99 for m in before), "continuous mode played on channel 10 before"
    assert after and all(m[0] == 0x91 for _t, m in after), "notes already planned in this bar move to channel 2"
    assert all(session.tick_of(t) < 3 * TICKS_PER_BAR for t, _m in after), (
        "a new mode kind drops what was planned from the next bar line"
    )
    assert (0xB9, 123, 0) in [m for t, m in session.sent if t > changed], "what sounded on channel 10 is switched off"
    assert (status.preset_name, status.mode, status.mode_state) == ("other", "call_response", "listening")
    assert "preset other: call_response" in log and "mode call_response: listening from bar 4" in log
    assert_every_note_switched_off(session.sent)


def test_new_bar_counts_restart_the_mode_without_dropping_what_is_planned(model):
    values = {"mode": {"kind": "call_response", "listen_bars": 1, "response_bars": 2}, "feel": {"quantize": 1.0}}
    session = Session(model, values)
    shorter = preset("shorter", {**values, "mode": {**values["mode"], "response_bars": 1}})
    try:
        session.play(0, int(1.5 * TICKS_PER_BAR), seed_notes(1), start=True)  # the answer is bars 1-2
        session.engine.command(UsePreset(shorter))
        session.play(int(1.5 * TICKS_PER_BAR), 6 * TICKS_PER_BAR, seed_notes(1, first_bar=3))
    finally:
        session.close()
    bars = by_bar(session)
    assert {1, 2} <= set(bars), f"the 2-bar answer planned before the change plays out: {sorted(bars)}"
    assert 4 in bars and 5 not in bars, f"the next call (bar 3) gets a 1-bar answer: {sorted(bars)}"
    assert_every_note_switched_off(session.sent)


def test_preset_changes_cc_map_triggers_input_channel_and_offset(model):
    session = Session(model, {"mode": {"kind": "call_response", "listen_bars": 1}})
    values = {"mode": {"kind": "call_response", "listen_bars": 1}, "midi_cc": {"temperature": 21},
              "input": {"channel": 2}, "output": {"offset_ms": -5.0}, "triggers": {"note": 60}}  # fmt: skip
    try:
        session.play(0, 2, start=True)
        session.post([0xB0, 21, 127])  # not mapped yet
        session.play(2, 4)
        assert session.engine.status().controls.temperature == 1.0
        session.engine.command(UsePreset(preset("mapped", values)))
        session.post([0xB1, 21, 127])  # input channel 2 now
        session.play(4, 6)
        status = session.engine.status()
        assert status.controls.temperature == pytest.approx(3.0) and status.offset_ms == -5.0
        # A groove on channel 10 in bar 1 is no longer heard: no answer in bar 2.
        session.play(6, 3 * TICKS_PER_BAR, seed_notes(1, first_bar=1))
    finally:
        session.close()
    assert not session.note_ons(), f"input on channel 10 was heard; log: {session.logs}"
    assert session.engine.core.trigger_note == 60


# -- undo / redo -------------------------------------------------------------------------------


def test_loop_undo_redo_switch_loops_at_the_boundary_and_undo_cancels_a_regeneration(model):
    values = {"mode": {"kind": "loop", "listen_bars": 1, "loop_bars": 1}, "feel": {"quantize": 1.0},
              "generation": {"temperature": 1.5, "variation": 1.0, "random_seed": 3}}  # fmt: skip
    session = Session(model, values)
    engine = session.engine
    half = TICKS_PER_BAR // 2
    try:
        session.play(0, 2 * TICKS_PER_BAR + half, seed_notes(1), start=True)  # loop 1 from bar 1
        engine.command(Trigger())  # loop 2 from bar 3
        session.play(2 * TICKS_PER_BAR + half, 4 * TICKS_PER_BAR + half)
        assert engine.status().loop_history == (1, 2)
        engine.command(Undo())  # loop 1 from bar 5
        session.sleep(0.01)
        assert engine.status().loop_history == (0, 2)
        session.play(4 * TICKS_PER_BAR + half, 5 * TICKS_PER_BAR + half)
        engine.command(Redo())  # loop 2 from bar 6
        session.play(5 * TICKS_PER_BAR + half, 6 * TICKS_PER_BAR + half)
        engine.command(Undo())  # loop 1 from bar 7
        engine.command(Undo())  # nothing before loop 1
        session.play(6 * TICKS_PER_BAR + half, 7 * TICKS_PER_BAR + half)
        engine.command(Trigger())  # a new loop for bar 8 ...
        session.sleep(0.05)
        engine.command(Undo())  # ... cancelled: loop 1 goes on
        session.play(7 * TICKS_PER_BAR + half, 9 * TICKS_PER_BAR + 6)
        status = engine.status()
    finally:
        session.close()
    log = "\n".join(session.logs)
    first, second = bar_view(engine, 1), bar_view(engine, 3)
    plays = {bar: bar_view(engine, bar) for bar in range(1, 9)}
    expected = {1: first, 2: first, 3: second, 4: second, 5: first, 6: second, 7: first, 8: first}
    assert {bar: view.hits for bar, view in plays.items()} == {bar: view.hits for bar, view in expected.items()}, log
    assert first.hits != second.hits, "two loops sampled at temperature 1.5 differ"
    sent = by_bar(session)
    for bar in range(1, 9):
        # by_bar places a note by when it went out: a late one shows on a later 16th (the diagnosis says why).
        assert sorted(sent.get(bar, [])) == view_notes(plays[bar]), (
            f"bar {bar}: the history says what was sent\nsent {sorted(sent.get(bar, []))}\n"
            f"history {view_notes(plays[bar])}\n{session.diagnosis()}"
        )
    assert status.loop_history == (0, 2)
    for expected_line in ("undo: loop 1/2 from bar 6", "redo: loop 2/2 from bar 7", "undo: loop 1/2 from bar 8",
                          "undo: nothing to undo", "undo: regeneration cancelled; loop 1/2 goes on"):  # fmt: skip
        assert expected_line in log, log
    assert_every_note_switched_off(session.sent)


def test_call_and_response_undo_repeats_an_earlier_answer_next(model):
    values = {"mode": {"kind": "call_response", "listen_bars": 1, "response_bars": 1}, "feel": {"quantize": 1.0},
              "generation": {"temperature": 1.5, "variation": 1.0}}  # fmt: skip
    session = Session(model, values)
    engine = session.engine
    calls = {**seed_notes(1), **seed_notes(1, first_bar=2), **seed_notes(1, first_bar=4), **seed_notes(1, first_bar=6)}
    try:
        session.play(0, int(3.5 * TICKS_PER_BAR), calls, start=True)  # answers in bars 1 and 3
        engine.command(Undo())
        session.play(int(3.5 * TICKS_PER_BAR), int(5.5 * TICKS_PER_BAR), calls)  # bar 5 repeats bar 1's answer
        after_replay = engine.status().loop_history
        engine.command(Redo())
        engine.command(Redo())  # past the newest: the next answer is new again
        session.play(int(5.5 * TICKS_PER_BAR), 8 * TICKS_PER_BAR, calls)
        session.post([0xFC])
        session.sleep(0.05)
        stopped = engine.history()
        session.play(8 * TICKS_PER_BAR, 9 * TICKS_PER_BAR, start=True)
        restarted = engine.history()
        status = engine.status()
    finally:
        session.close()
    log = "\n".join(session.logs)
    answers = {view.bar: view for view in stopped if view.source == "generated"}
    seeds = {view.bar for view in stopped if view.source == "seed"}
    assert sorted(answers) == [1, 3, 5, 7] and seeds == {0, 2, 4, 6}, [(v.bar, v.source) for v in stopped]
    assert answers[5].hits == answers[1].hits, "undo: the next answer repeats the answer before the last"
    assert answers[7].hits not in (answers[1].hits, answers[3].hits), "after redo past the newest, a new answer"
    assert after_replay == (0, 2)
    assert "undo: the next answer repeats answer 1/2" in log and "answer at bar 6 repeats answer 1/2" in log
    assert "redo: the next answer is new" in log, log
    sent = by_bar(session)
    for bar, view in answers.items():
        assert sorted(sent.get(bar, [])) == view_notes(view), f"bar {bar}: the history says what was sent"
    assert restarted == [] and status.bars == (), "Start begins a new history"
    assert [view.bar for view in status.bars] == sorted(view.bar for view in status.bars)


def test_continuous_undo_does_nothing_and_stop_forgets_bars_never_sent(model):
    session = Session(model, {"mode": {"kind": "continuous", "listen_bars": 1}})
    try:
        session.play(0, int(2.5 * TICKS_PER_BAR), seed_notes(1), start=True)
        session.engine.command(Undo())
        planned = [view.bar for view in session.engine.status().bars if view.source == "generated"]
        session.post([0xFC])
        session.sleep(0.05)
        history = session.engine.history()
    finally:
        session.close()
    assert max(planned) >= 3, f"continuous mode plans ahead: {planned}"
    assert [(v.bar, v.source) for v in history] == [(0, "seed"), (1, "generated"), (2, "generated")]
    assert "undo: nothing to undo in continuous mode" in session.logs
    assert session.engine.status().bars[-1].bar == 2
