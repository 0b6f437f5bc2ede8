"""The live stream over the shipped model: hear bars, play bars, rewind to a remembered bar line."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.model.step_model import StepModel
from bridge.model.stream import KEEP_SNAPSHOTS, LiveStream
from bridge.music.hits import Hit
from bridge.music.sampling import SamplingSettings
from bridge.settings.controls import DOWNBEAT_CELL_BEATS

GROOVE = [Hit(0.0, 0, 100), Hit(0.5, 3, 70), Hit(1.0, 1, 110), Hit(1.5, 3, 60), Hit(2.0, 0, 90), Hit(2.5, 3, 70),
          Hit(3.0, 1, 105), Hit(3.5, 3, 60)]  # fmt: skip
BREAK = [Hit(0.0, 9, 120), Hit(0.75, 0, 100), Hit(1.25, 6, 90), Hit(2.25, 7, 90), Hit(3.0, 8, 100), Hit(3.25, 1, 80)]
FREE = SamplingSettings(temperature=1.3, adherence=0.3)  # loose enough that different seeds give different bars


@pytest.fixture(scope="module")
def model() -> StepModel:
    return StepModel()


@pytest.fixture
def stream(model) -> LiveStream:
    return LiveStream(model)


def seeded(stream: LiveStream, line: int = 0, bars=(GROOVE, GROOVE)) -> LiveStream:
    stream.reset(line)
    for bar in bars:
        stream.hear_bar(bar)
    return stream


def play(stream: LiveStream, bars: int, seed: int, settings: SamplingSettings = FREE) -> list[list[Hit]]:
    rng = np.random.default_rng(seed)
    return [stream.play_bar(settings, rng) for _ in range(bars)]


def test_no_line_before_reset(stream):
    assert stream.line is None
    assert stream.bar_units == 384


def test_reset_stands_on_the_line(stream):
    stream.reset(7)
    assert stream.line == 7
    assert stream.rewind(7)


def test_hear_bar_advances_one_line(stream):
    stream.reset(3)
    stream.hear_bar(GROOVE)
    assert stream.line == 4
    stream.hear_bar([])
    assert stream.line == 5


def test_play_bar_returns_one_bar_of_hits_and_advances(stream):
    seeded(stream, 10)
    rng = np.random.default_rng(0)
    for expected_line in (13, 14, 15):
        hits = stream.play_bar(SamplingSettings(), rng)
        assert stream.line == expected_line
        assert hits and all(0.0 <= hit.time < 4.0 for hit in hits)
        assert all(0 <= hit.drum < 12 and 1 <= hit.velocity <= 127 for hit in hits)


def test_a_steady_groove_is_continued_with_full_adherence(stream):
    seeded(stream, 0, [GROOVE] * 3)
    (bar,) = play(stream, 1, 0, SamplingSettings(adherence=1.0))
    assert [(hit.time, hit.drum) for hit in bar] == [(hit.time, hit.drum) for hit in GROOVE]


def test_rewind_then_same_seed_reproduces_the_same_bars(stream):
    seeded(stream, 4)
    assert stream.line == 6
    first = play(stream, 3, seed=1)
    assert stream.line == 9
    assert stream.rewind(6)
    assert stream.line == 6
    assert play(stream, 3, seed=1) == first


def test_rewind_restores_the_state_not_just_the_line(stream):
    seeded(stream, 0)
    first = play(stream, 2, seed=1)
    play(stream, 4, seed=99)  # the state moves on
    assert stream.rewind(2)
    assert play(stream, 2, seed=1) == first


def test_the_snapshot_at_a_middle_line_is_the_state_the_stream_had_there(stream):
    seeded(stream, 0)
    play(stream, 4, seed=3)  # lines 2..6 remembered
    assert stream.rewind(4)
    from_snapshot = play(stream, 2, seed=8)
    # The same history played straight through, on a fresh stream (sharing the model is fine: one at a time).
    reference = seeded(LiveStream(stream.continuer.model), 0)
    play(reference, 2, seed=3)
    assert reference.line == 4
    assert play(reference, 2, seed=8) == from_snapshot


def test_hearing_a_different_bar_after_rewind_replaces_the_models_bar(stream):
    # Continuous mode: the producer played over bar 2; the model hears it instead of its own.
    seeded(stream, 0)
    play(stream, 2, seed=1)
    assert stream.rewind(2)
    stream.hear_bar(BREAK)
    assert stream.line == 3
    replaced = play(stream, 1, seed=5)
    reference = seeded(LiveStream(stream.continuer.model), 0, (GROOVE, GROOVE, BREAK))
    assert play(reference, 1, seed=5) == replaced


def test_rewind_forgets_the_lines_after_it(stream):
    seeded(stream, 0)
    play(stream, 3, seed=1)
    assert stream.rewind(3)
    assert not stream.rewind(5)
    assert stream.line == 3
    assert stream.rewind(1)


def test_rewind_to_an_unknown_line_is_refused_and_changes_nothing(stream):
    seeded(stream, 5)
    assert not stream.rewind(4)  # before the reset
    assert not stream.rewind(8)  # never reached
    assert stream.line == 7
    after = play(stream, 1, seed=2)
    seeded(stream, 5)
    assert play(stream, 1, seed=2) == after


def test_reset_forgets_the_old_stream(stream):
    seeded(stream, 0)
    play(stream, 2, seed=1)
    stream.reset(10)
    assert not stream.rewind(2)
    assert stream.line == 10


def test_snapshots_are_bounded(stream):
    stream.reset(0)
    for _ in range(KEEP_SNAPSHOTS + 10):
        stream.hear_bar([])
    line = KEEP_SNAPSHOTS + 10
    assert stream.line == line
    assert len(stream._snapshots) == KEEP_SNAPSHOTS
    assert not stream.rewind(line - KEEP_SNAPSHOTS)  # the oldest are gone
    assert stream.rewind(line - KEEP_SNAPSHOTS + 1)  # the oldest still kept
    assert stream.line == line - KEEP_SNAPSHOTS + 1


def test_the_downbeat_is_handed_over_before_the_rest_of_the_bar_is_written(stream):
    seeded(stream, 0)
    handed, line_then = [], []

    def on_downbeat(hits):
        handed.append(hits)
        line_then.append(stream.line)

    with_callback = stream.play_bar(FREE, np.random.default_rng(3), on_downbeat)
    assert stream.rewind(2)
    without = stream.play_bar(FREE, np.random.default_rng(3))
    assert with_callback == without, "handing the downbeat over changes nothing the model writes"
    assert any(hit.time > DOWNBEAT_CELL_BEATS for hit in without), "a groove's bar goes on past its first 16th"
    assert handed == [[hit for hit in without if hit.time <= DOWNBEAT_CELL_BEATS]]
    assert line_then == [2] and stream.line == 3, "handed over while the bar was still being written"


def test_a_bar_that_ends_inside_its_downbeat_is_not_handed_over_in_parts(stream):
    seeded(stream, 0, [[Hit(0.0, 0, 100)]] * 4)
    handed = []
    bar = stream.play_bar(SamplingSettings(adherence=1.0), np.random.default_rng(0), handed.append)
    assert [(hit.time, hit.drum) for hit in bar] == [(0.0, 0)] and handed == []


def state_after(stream, feed) -> tuple:
    feed(stream)
    return stream.line, stream.continuer.model.state.copy(), stream.continuer.cursor.position


def test_hearing_a_bar_ahead_in_parts_leaves_the_stream_as_hearing_it_whole(model):
    whole = state_after(LiveStream(model), lambda s: (seeded(s, 0, [GROOVE]), s.hear_bar(BREAK)))

    def in_parts(stream):
        seeded(stream, 0, [GROOVE])
        for until in (1.0, 2.0, 2.5, 3.5):
            stream.hear_ahead([hit for hit in BREAK if hit.time < until + 0.05], until)
        stream.hear_bar(BREAK)

    parts = state_after(LiveStream(model), in_parts)
    assert parts[0] == whole[0] == 2 and parts[2] == whole[2] == 0
    np.testing.assert_allclose(parts[1], whole[1], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("second_look", [True, False])
def test_a_hit_that_comes_after_the_stream_heard_past_it_is_heard_all_the_same(model, second_look):
    """hear_ahead is told every hit before `until` has come; when one still comes (a late packet),
    the stream goes back to its line and hears the bar again (at the next look or at the line)."""
    whole = state_after(LiveStream(model), lambda s: (seeded(s, 0, [GROOVE]), s.hear_bar(BREAK)))

    def late_hit(stream):
        seeded(stream, 0, [GROOVE])
        stream.hear_ahead([hit for hit in BREAK if hit.time < 2.0 and hit.drum != 0], 2.0)  # the kick at 0.75 is late
        if second_look:
            stream.hear_ahead([hit for hit in BREAK if hit.time < 3.0], 3.0)
        stream.hear_bar(BREAK)

    late = state_after(LiveStream(model), late_hit)
    np.testing.assert_allclose(late[1], whole[1], rtol=1e-6, atol=1e-6)


def test_a_bar_heard_ahead_but_then_written_by_the_model_starts_from_its_line(model):
    def written(stream, ahead: bool):
        seeded(stream, 0, [GROOVE])
        if ahead:
            stream.hear_ahead(BREAK, 3.0)
        return stream.play_bar(FREE, np.random.default_rng(4))

    assert written(LiveStream(model), True) == written(LiveStream(model), False)


def test_a_stream_stands_fresh_only_on_its_reset_line_before_any_bar(stream):
    stream.reset(5)
    stream.hear_ahead(GROOVE, 2.0)
    assert stream.stands_fresh_at(5) and not stream.stands_fresh_at(4)
    stream.hear_bar(GROOVE)
    assert not stream.stands_fresh_at(5) and not stream.stands_fresh_at(6)
