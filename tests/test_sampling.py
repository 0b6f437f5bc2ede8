"""Sampling: the grammar mask always holds; temperature, top-k and top-p shape the distribution."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.sampling import SamplingSettings, probabilities, sample, with_proposals

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
