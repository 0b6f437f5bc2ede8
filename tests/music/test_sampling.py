"""Sampling: the grammar mask always holds; temperature, top-k, top-p and density shape the distribution."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.music.sampling import SamplingSettings, probabilities, sample, with_proposals
from bridge.music.tokens import BAR, BarCursor, TokenizerConfig, Vocabulary

LOGITS = np.log(np.array([0.05, 0.4, 0.3, 0.2, 0.05]))
ALL = np.ones(5, dtype=bool)


def test_mask_is_never_violated():
    mask = np.array([False, False, True, False, True])
    rng = np.random.default_rng(0)
    picks = {sample(LOGITS, mask, SamplingSettings(temperature=3.0), rng) for _ in range(500)}
    assert picks == {2, 4}


def test_temperature_one_keeps_the_model_distribution():
    assert probabilities(LOGITS, ALL, SamplingSettings()) == pytest.approx([0.05, 0.4, 0.3, 0.2, 0.05])


def test_low_temperature_sharpens():
    p = probabilities(LOGITS, ALL, SamplingSettings(temperature=0.2))
    assert p[1] > 0.75 and p.sum() == pytest.approx(1.0)


def test_top_k_keeps_only_k_tokens():
    p = probabilities(LOGITS, ALL, SamplingSettings(top_k=2))
    assert np.flatnonzero(p).tolist() == [1, 2]
    assert p[1] == pytest.approx(0.4 / 0.7)


def test_top_p_keeps_the_smallest_nucleus():
    p = probabilities(LOGITS, ALL, SamplingSettings(top_p=0.65))
    assert np.flatnonzero(p).tolist() == [1, 2]


def test_same_seed_same_choices():
    draws = lambda: [sample(LOGITS, ALL, SamplingSettings(), np.random.default_rng(7)) for _ in range(20)]  # noqa: E731
    assert draws() == draws()


def test_empirical_frequencies_follow_probabilities():
    rng = np.random.default_rng(3)
    counts = np.bincount([sample(LOGITS, ALL, SamplingSettings(), rng) for _ in range(20000)], minlength=5) / 20000
    assert counts == pytest.approx([0.05, 0.4, 0.3, 0.2, 0.05], abs=0.015)


@pytest.mark.parametrize("kwargs", [{"temperature": 0}, {"top_k": -1}, {"top_p": 0}, {"top_p": 1.5}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        SamplingSettings(**kwargs)


def test_adherence_moves_probability_to_allowed_proposals():
    weights = probabilities(LOGITS, ALL, SamplingSettings())
    mask = np.array([False, True, True, True, True])
    mixed = with_proposals(weights, (3, 0), mask, 0.8)
    assert mixed[3] == pytest.approx(0.2 * 0.2 + 0.8)
    assert mixed.sum() == pytest.approx(weights.sum())
    assert with_proposals(weights, (0, 0), mask, 0.8) is weights  # nothing proposed: the model alone
    assert with_proposals(weights, (0,), ~ALL, 0.8) is weights  # a proposal the grammar forbids is dropped


def test_full_adherence_repeats_the_proposal():
    rng = np.random.default_rng(0)
    picks = {sample(LOGITS, ALL, SamplingSettings(adherence=1.0), rng, proposals=(4, 4)) for _ in range(200)}
    assert picks == {4}


def test_a_proposal_the_grammar_forbids_is_ignored():
    mask = np.array([False, True, True, False, False])
    rng = np.random.default_rng(0)
    picks = {sample(LOGITS, mask, SamplingSettings(adherence=1.0), rng, proposals=(4,)) for _ in range(200)}
    assert picks <= {1, 2}


# -- density -------------------------------------------------------------------------------

VOCAB = Vocabulary(TokenizerConfig())
FIRST_HIT = VOCAB.first_hit
KICK_HIT, SNARE_HIT = VOCAB.hit_token(0, 100), VOCAB.hit_token(1, 100)


def mid_bar_mask() -> np.ndarray:
    """What the grammar allows at the start of a bar: BAR, shifts and every hit."""
    cursor = BarCursor(VOCAB, 384)
    cursor.advance(BAR)
    mask = cursor.allowed_mask()
    assert mask[BAR] and mask[VOCAB.shift_token(48)] and mask[KICK_HIT]
    return mask


def hit_heavy_logits(hit_share: float = 0.3) -> np.ndarray:
    """Logits giving hits `hit_share` of the probability (spread evenly over the allowed tokens of each kind)."""
    mask = mid_bar_mask()
    is_hit = np.arange(len(VOCAB)) >= FIRST_HIT
    hits, others = (mask & is_hit).sum(), (mask & ~is_hit).sum()
    return np.where(is_hit, np.log(hit_share / hits), np.log((1 - hit_share) / others))


def hit_rate(density: float, draws: int = 4000, **kwargs) -> float:
    rng = np.random.default_rng(1)
    settings = SamplingSettings(density=density, **kwargs)
    logits, mask = hit_heavy_logits(), mid_bar_mask()
    return sum(sample(logits, mask, settings, rng, first_hit=FIRST_HIT) >= FIRST_HIT for _ in range(draws)) / draws


def test_density_zero_never_samples_a_hit_even_when_proposed_with_full_adherence():
    rng = np.random.default_rng(0)
    mask = mid_bar_mask()
    settings = SamplingSettings(adherence=1.0, density=0.0)
    picks = [sample(hit_heavy_logits(0.99), mask, settings, rng, (KICK_HIT, SNARE_HIT), FIRST_HIT) for _ in range(500)]
    assert all(pick < FIRST_HIT and mask[pick] for pick in picks)


def test_density_zero_when_only_hits_are_left_falls_back_to_what_the_grammar_allows():
    rng = np.random.default_rng(0)
    mask = mid_bar_mask()
    logits = np.where(np.arange(len(VOCAB)) == KICK_HIT, 10.0, 0.0)
    settings = SamplingSettings(top_k=1, density=0.0)  # top-k leaves the kick alone
    picks = {sample(logits, mask, settings, rng, first_hit=FIRST_HIT) for _ in range(300)}
    assert picks and all(pick < FIRST_HIT and mask[pick] for pick in picks)
    assert sample(logits, mask, SamplingSettings(top_k=1), rng, first_hit=FIRST_HIT) == KICK_HIT


def test_density_zero_with_only_hits_allowed_still_returns_an_allowed_token():
    mask = np.zeros(len(VOCAB), dtype=bool)
    mask[[KICK_HIT, SNARE_HIT]] = True
    rng = np.random.default_rng(0)
    settings = SamplingSettings(density=0.0)
    picks = {sample(hit_heavy_logits(), mask, settings, rng, first_hit=FIRST_HIT) for _ in range(100)}
    assert picks <= {KICK_HIT, SNARE_HIT}


def test_density_scales_the_odds_of_a_hit():
    # hits have 0.3 of the probability: density d gives 0.3d / (0.7 + 0.3d)
    assert hit_rate(1.0) == pytest.approx(0.3, abs=0.025)
    assert hit_rate(2.0) == pytest.approx(0.6 / 1.3, abs=0.025)
    assert hit_rate(0.5) == pytest.approx(0.15 / 0.85, abs=0.025)
    assert hit_rate(0.5) < hit_rate(1.0) < hit_rate(2.0)


def test_density_applies_after_the_proposals():
    rng = np.random.default_rng(2)
    logits, mask = hit_heavy_logits(0.3), mid_bar_mask()
    shift = VOCAB.shift_token(48)
    settings = SamplingSettings(adherence=0.5, density=2.0)
    picks = [sample(logits, mask, settings, rng, (shift,), FIRST_HIT) for _ in range(8000)]
    # weights: hits 0.15 (x2 = 0.3), others 0.35 + proposal 0.5: hits get 0.3 / 1.15 (0.23 if scaled before the mix)
    assert sum(p >= FIRST_HIT for p in picks) / len(picks) == pytest.approx(0.3 / 1.15, abs=0.012)


def test_density_needs_the_first_hit_id():
    logits, mask = hit_heavy_logits(), mid_bar_mask()
    draw = lambda settings: [sample(logits, mask, settings, np.random.default_rng(4)) for _ in range(50)]  # noqa: E731
    assert draw(SamplingSettings(density=0.0)) == draw(SamplingSettings())  # without first_hit: left alone


def test_density_one_changes_nothing():
    logits, mask = hit_heavy_logits(), mid_bar_mask()
    rng_a, rng_b = np.random.default_rng(6), np.random.default_rng(6)
    with_id = [sample(logits, mask, SamplingSettings(), rng_a, first_hit=FIRST_HIT) for _ in range(200)]
    assert with_id == [sample(logits, mask, SamplingSettings(), rng_b) for _ in range(200)]


@pytest.mark.parametrize("density", [-0.01, -1.0])
def test_negative_density_is_refused(density):
    with pytest.raises(ValueError, match="density"):
        SamplingSettings(density=density)


def test_zero_and_large_density_are_accepted():
    assert SamplingSettings(density=0.0).density == 0.0
    assert SamplingSettings(density=2.0).density == 2.0


@pytest.mark.parametrize("density", [float("nan"), float("inf")])
def test_non_finite_density_is_refused(density):
    # BUG: SamplingSettings only checks `density < 0`, which NaN passes, and inf passes too;
    # both turn the weights into NaN in _with_density (0 * inf for forbidden hits), and sample()
    # then returns the last token id (a ride-bell hit) even where the grammar mask forbids it.
    # The other fields are NaN-safe (`not 0 <= adherence <= 1`); density should be checked the same way.
    with pytest.raises(ValueError, match="density"):
        SamplingSettings(density=density)


def test_temperature_and_top_k_act_on_the_mix_of_model_and_proposals():
    # The proposal (token 4, 5 % by the model) holds 0.2*0.05 + 0.8 of the mix: top-k 1 keeps only it.
    p = probabilities(LOGITS, ALL, SamplingSettings(adherence=0.8, top_k=1), proposals=(4,))
    assert p.tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]
    cold = probabilities(LOGITS, ALL, SamplingSettings(adherence=0.8, temperature=0.5), proposals=(4,))
    warm = probabilities(LOGITS, ALL, SamplingSettings(adherence=0.8), proposals=(4,))
    assert cold[4] > warm[4] == pytest.approx(0.81)


def test_top_k_one_is_deterministic_even_between_equal_proposals():
    # Two proposals at full adherence share the probability equally: the tie goes to the lower id.
    picks = {
        sample(LOGITS, ALL, SamplingSettings(adherence=1.0, top_k=1), np.random.default_rng(seed), proposals=(4, 2))
        for seed in range(50)
    }
    assert picks == {2}


def test_variation_is_one_minus_adherence():
    from bridge.music.sampling import DEFAULT_ADHERENCE, DEFAULT_VARIATION, adherence_for

    assert adherence_for(0.0) == 1.0 and adherence_for(1.0) == 0.0
    assert adherence_for(DEFAULT_VARIATION) == pytest.approx(DEFAULT_ADHERENCE)
