"""Fill strength: the guidance math, the shadow state's life inside one bar, and rewinds around it."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.model import fill_guidance
from bridge.model.continuation import Continuer
from bridge.model.step_model import StepModel
from bridge.model.stream import LiveStream
from bridge.music.conditions import FILL_STRENGTH, BarPlan, Controls, continuation_plan
from bridge.music.hits import Hit
from bridge.music.sampling import SamplingSettings
from bridge.music.tokens import BAR

GROOVE = [Hit(0.0, 0, 100), Hit(0.5, 3, 70), Hit(1.0, 1, 110), Hit(1.5, 3, 60), Hit(2.0, 0, 90), Hit(2.5, 3, 70),
          Hit(3.0, 1, 105), Hit(3.5, 3, 60)]  # fmt: skip
GROOVE_BAR = (0, 0, 0, 0)
FILL_BAR = (0, 1, 0, 4)
FREE = SamplingSettings(temperature=1.3, adherence=0.3)
# Bars 0-1 heard, bar 2 a guided fill, bar 3 back to the groove.
PLAN = BarPlan([GROOVE_BAR, GROOVE_BAR, FILL_BAR, GROOVE_BAR], strengths=[1.0, 1.0, 2.0, 1.0])


@pytest.fixture(scope="module")
def model() -> StepModel:
    return StepModel()


def test_guided_logits_extrapolate_from_the_unflagged_towards_the_flagged():
    flagged, unflagged = np.array([1.0, 3.0, -2.0]), np.array([2.0, 1.0, -2.0])
    assert np.allclose(fill_guidance.guided_logits(flagged, unflagged, 1.0), flagged)
    assert np.allclose(fill_guidance.guided_logits(flagged, unflagged, 0.0), unflagged)
    assert np.allclose(fill_guidance.guided_logits(flagged, unflagged, 2.0), [0.0, 5.0, -2.0])


def test_the_twin_reads_the_same_bar_without_the_fill_flag():
    assert fill_guidance.unflagged((3, 1, 12, 4)) == (3, 0, 12, 4)


def test_only_generated_fill_bars_are_guided_and_follow_never():
    seed = [GROOVE, GROOVE]
    plan = continuation_plan(seed, 4, Controls(fill_every=4))  # bars 3 (generated) is the fill
    assert [plan.strength(bar) for bar in range(7)] == [1.0, 1.0, 1.0, FILL_STRENGTH, 1.0, 1.0, 1.0]
    follow = continuation_plan(seed, 4, Controls())
    assert all(follow.strength(bar) == 1.0 for bar in range(7))
    assert BarPlan().strength(0) == 1.0


def test_the_bar_after_a_fill_is_held_only_to_the_groove_before_it():
    plan = BarPlan([GROOVE_BAR, FILL_BAR, GROOVE_BAR, FILL_BAR, FILL_BAR])
    lookback = (17, 23)  # one bar ago, two bars ago
    assert fill_guidance.groove_proposals(plan, 1, lookback) == (17, 23)  # in the fill itself: unchanged
    assert fill_guidance.groove_proposals(plan, 2, lookback) == (23,)
    assert fill_guidance.groove_proposals(plan, 4, lookback) == (17, 23)  # a fill after a fill is a fill


def feed_all(model, plan, tokens) -> Continuer:
    continuer = Continuer(model, 384, plan)
    continuer.prime(tokens)
    return continuer


def test_the_shadow_lives_from_the_fill_bars_line_to_the_next(model):
    groove_bar = [BAR, 99, 25, 129, 25]  # kick, a 16th, closed hi-hat, a 16th
    continuer = feed_all(model, PLAN, [BAR] + groove_bar[1:] + [BAR])
    assert continuer.bar == 1 and continuer.shadow is None
    continuer.feed(BAR)  # opens bar 2, the guided fill
    assert continuer.bar == 2 and continuer.shadow is not None and continuer.shadow.strength == 2.0
    continuer.feed(40)
    assert continuer.shadow is not None
    continuer.feed(BAR)  # opens bar 3: the twin is gone
    assert continuer.shadow is None


def test_the_shadow_is_the_model_fed_the_same_tokens_with_fill_zero(model):
    tokens = [BAR, 99, 25, BAR, 99, 25, BAR, 99, 158, 25]  # the fill bar: kick + low tom, a 16th
    guided = feed_all(model, PLAN, tokens)
    unflagged = feed_all(model, BarPlan([GROOVE_BAR, GROOVE_BAR, (0, 0, 0, 4), GROOVE_BAR]), tokens)
    flagged = feed_all(model, BarPlan(PLAN.bars), tokens)  # same conditions, no guidance
    assert guided.shadow is not None
    assert np.allclose(guided.shadow.logits, unflagged.logits, atol=1e-5)
    assert np.allclose(guided.logits, flagged.logits, atol=1e-6)  # the twin leaves the model's own state alone
    assert not np.allclose(guided.logits, unflagged.logits, atol=1e-3)


def test_guidance_changes_what_a_fill_bar_writes_and_nothing_else(model):
    seed = [BAR, 99, 25, 129, BAR, 99, 25, 129, BAR]
    deterministic = SamplingSettings(top_k=1, adherence=0.0)

    def written(plan):
        continuer = feed_all(model, plan, seed)
        return continuer.generate_bars(2, deterministic, np.random.default_rng(0)).tokens

    unguided = written(BarPlan(PLAN.bars, strengths=[1.0] * 4))
    guided = written(PLAN)
    fill_end = guided.index(BAR, 1)
    assert guided[:fill_end] != unguided[: unguided.index(BAR, 1)]
    assert written(BarPlan(PLAN.bars)) == unguided  # no strengths given: no guidance


def guided_stream(model) -> LiveStream:
    stream = LiveStream(model)
    stream.continuer.plan = PLAN
    stream.reset(0)
    stream.hear_bar(GROOVE)
    stream.hear_bar(GROOVE)  # now at line 2, which opens the guided fill bar
    return stream


def test_a_rewound_fill_bar_is_written_again_from_the_same_shadow(model):
    stream = guided_stream(model)
    assert stream.continuer.shadow is not None
    first = [stream.play_bar(FREE, np.random.default_rng(5)) for _ in range(2)]
    assert stream.continuer.shadow is None  # bar 3 is no fill
    assert stream.rewind(2)
    assert stream.continuer.shadow is not None and stream.continuer.bar == 2
    again = [stream.play_bar(FREE, np.random.default_rng(5)) for _ in range(2)]
    assert again[0] == first[0]


def test_rewinding_out_of_a_fill_bar_drops_its_shadow(model):
    stream = guided_stream(model)
    stream.play_bar(FREE, np.random.default_rng(5))
    stream.play_bar(FREE, np.random.default_rng(6))
    assert stream.rewind(1)
    assert stream.continuer.shadow is None and stream.continuer.bar == 1


def test_a_fill_bar_heard_ahead_then_written_starts_from_the_lines_shadow(model):
    plain = guided_stream(model).play_bar(FREE, np.random.default_rng(9))
    stream = guided_stream(model)
    stream.hear_ahead([Hit(0.0, 9, 120), Hit(0.5, 6, 90)], until=1.0)
    assert stream.play_bar(FREE, np.random.default_rng(9)) == plain
