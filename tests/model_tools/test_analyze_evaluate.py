"""`beatgen analyze` reproduces the shipped tokenizer; baselines are proper distributions; evaluate reports."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bridge.music.hits import Hit
from bridge.music.tokens import PAD, TokenizerConfig
from model_tools.analyze import velocity_bins
from model_tools.baselines import CachedModel, KneserNeyTrigram, UnigramModel, sequence_bits
from model_tools.groove_metrics import overlap, similarity, syncopation
from tests.conftest import run_beatgen

pytestmark = pytest.mark.slow


def test_analyze_on_train_split_derives_the_shipped_tokenizer(groove, tmp_path):
    result = run_beatgen("analyze", groove, "--write", tmp_path / "tok.json")
    assert result.returncode == 0, result.stderr
    assert TokenizerConfig.from_json(json.loads((tmp_path / "tok.json").read_text())) == TokenizerConfig()
    for expected in ("unknown pitches: none", "chosen resolution: 96", "vocabulary: 214 tokens", "round trip"):
        assert expected in result.stdout


def test_velocity_bins_stop_at_the_error_target():
    velocities = np.arange(1, 128).repeat(10)
    edges, values, table = velocity_bins(velocities, max_error=4.0)
    assert table[-1][1] <= 4.0 < table[-2][1]
    assert len(values) == len(edges) + 1


TOY = [np.array([1, 5, 6, 5, 6, 1, 5, 6, 5, 6, 1]), np.array([1, 7, 5, 6, 1])]


@pytest.mark.parametrize("model", [UnigramModel(TOY, 9), KneserNeyTrigram(TOY, 9)])
def test_baselines_are_distributions(model):
    for history in ([], [1], [1, 5], [5, 6], [8, 8]):
        p = model.distribution(history)
        assert p.sum() == pytest.approx(1.0) and p[PAD] == 0 and (p[1:] > 0).all()


def test_kneser_ney_prefers_seen_continuations():
    kn = KneserNeyTrigram(TOY, 9)
    assert kn.distribution([1, 5])[6] > 0.5
    assert kn.distribution([5, 6])[5] > kn.distribution([5, 6])[7]


def test_cache_mixture_is_a_distribution_that_favours_repeats():
    cached = CachedModel(KneserNeyTrigram(TOY, 9), 9, 0.1, 0.3)
    p = cached.distribution([1, 8, 2, 1, 8])
    assert p.sum() == pytest.approx(1.0)
    assert p[2] > KneserNeyTrigram(TOY, 9).distribution([1, 8, 2, 1, 8])[2]
    assert sequence_bits(cached, [1, 8, 2, 1, 8, 2], 3).shape == (3,)


def test_groove_metrics_on_known_bars():
    backbeat = [Hit(0, 0, 100), Hit(1, 1, 100), Hit(2, 0, 100), Hit(3, 1, 100)]
    assert syncopation(backbeat) == 0
    assert syncopation([Hit(0.75, 0, 100)]) == 2  # a kick on the last 16th of beat 1, nothing on beat 2
    assert syncopation([Hit(0.75, 0, 100), Hit(1.0, 3, 80), Hit(2.0, 3, 80)]) == 0  # resolved on beats 2 and 3
    assert similarity(backbeat, backbeat) == 1.0 and similarity(backbeat, [Hit(0.5, 3, 80)]) == 0.0
    assert overlap(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 1.0
    assert overlap(np.array([0.0, 0.1]), np.array([5.0, 5.1])) == 0.0


def test_evaluate_reports_bits_and_groove_metrics(groove, tmp_path):
    result = run_beatgen("evaluate", groove, "--max-windows", 12, "--json", tmp_path / "e.json")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "e.json").read_text())
    assert report["windows"] == 12
    for name in ("lstm", "unigram", "kn3", "kn3_cache"):
        assert report["nll"][name]["bits_per_bar"] > 0
    assert report["nll"]["unigram"]["bits_per_token"] > report["nll"]["kn3"]["bits_per_token"]
    assert set(report["sampled"]) >= {
        "hits_per_bar",
        "syncopation",
        "microtiming_abs_ms",
        "seed_similarity",
        "copy_rate",
    }
    assert 0 <= report["invalid_share"] <= 1
    assert "KN 3-gram + cache" in result.stdout


def test_model_tools_runs_as_a_module_with_clean_errors(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    result = subprocess.run(
        [sys.executable, "-m", "model_tools", "convert", tmp_path / "no-run", "-o", tmp_path / "m"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"python -m model_tools convert: error: {tmp_path / 'no-run'}: no finished training run (best.keras and run.json expected)"
    ]
    assert not (tmp_path / "m").exists()
