"""The style classifier's features, its training on separable data, and the fill-evaluation summaries."""

from __future__ import annotations

import numpy as np

from bridge.music.hits import DrumPart, Hit
from model_tools import style_eval
from model_tools.fill_eval import AFTER, BEFORE, FILL, _after_row

KICK, SNARE, HAT, LOW_TOM, CRASH = 0, 1, 3, 6, 9
STRAIGHT = [Hit(0.0, KICK, 100), Hit(0.5, HAT, 60), Hit(1.0, SNARE, 110), Hit(1.5, HAT, 60)]
# Swung 8ths: the off-beat hi-hat two thirds into the beat, a few ms late of the triplet.
SWUNG = [Hit(0.0, KICK, 100), Hit(0.67, HAT, 60), Hit(1.0, SNARE, 110), Hit(1.67, HAT, 60)]


def test_features_place_each_drum_on_its_16th_and_average_over_bars():
    features = style_eval.segment_features([STRAIGHT, []])
    grid = features[: style_eval.DRUMS * style_eval.STEPS].reshape(style_eval.DRUMS, style_eval.STEPS)
    assert grid[KICK, 0] == 0.5 and grid[HAT, 2] == 0.5 and grid[SNARE, 4] == 0.5 and grid[HAT, 6] == 0.5
    assert grid.sum() == 2.0  # four hits over two bars


def test_features_hear_swing_inside_the_beat():
    start = style_eval.DRUMS * style_eval.STEPS
    straight = style_eval.segment_features([STRAIGHT])[start : start + style_eval.BEAT_BUCKETS]
    swung = style_eval.segment_features([SWUNG])[start : start + style_eval.BEAT_BUCKETS]
    assert straight[0] == 0.5 and straight[6] == 0.5  # on the beat and on the 8th
    assert swung[0] == 0.5 and swung[8] == 0.5  # on the beat and on the last triplet


def test_features_of_an_empty_segment_are_finite():
    features = style_eval.segment_features([[], []])
    assert np.isfinite(features).all()
    assert len(features) == len(style_eval.segment_features([STRAIGHT]))


def test_segments_skip_empty_bars_and_start_each_bar_at_zero():
    hits = [Hit(t + 4 * bar, KICK, 100) for bar in (0, 1, 3) for t in (0.0, 2.0)]
    part = DrumPart(hits, [0.0, 4.0, 8.0, 12.0, 16.0], 120.0, (4, 4))
    segments = style_eval.segments_of(part)
    assert len(segments) == 1  # bars 2-3 hold an empty bar
    assert [hit.time for bar in segments[0] for hit in bar] == [0.0, 2.0, 0.0, 2.0]


def test_the_classifier_learns_separable_styles_and_keeps_a_rare_one():
    rng = np.random.default_rng(0)
    common = rng.normal(0.0, 1.0, (300, 5))
    rare = rng.normal(0.0, 1.0, (12, 5)) + np.array([4.0, 0, 0, 0, 0])
    features, labels = np.vstack([common, rare]), np.array([3] * 300 + [7] * 12)
    classifier = style_eval.fit(features, labels)
    assert (classifier.predict(features) == labels).mean() > 0.97
    assert (classifier.predict(rare) == 7).all()
    assert set(classifier.classes) == {3, 7}


def test_the_bar_after_a_fill_is_summarised_against_the_bar_before_it():
    fill = [Hit(0.0, CRASH, 120), Hit(1.0, LOW_TOM, 90), Hit(2.0, LOW_TOM, 90), Hit(3.0, SNARE, 100)]
    back = [STRAIGHT, fill, STRAIGHT]
    stuck = [STRAIGHT, fill, fill]
    assert (BEFORE, FILL, AFTER) == (0, 1, 2)
    row = _after_row([back, stuck], [[STRAIGHT], [STRAIGHT]])
    assert row["count"] == 2
    assert row["fill_bar_share"] == 0.75
    assert row["after_share"] == 0.375  # (0 + 0.75) / 2
    assert row["after_vs_before"] == 0.5  # 1 for the bar that came back, 0 for the one that stayed
    assert row["after_vs_seed"] == 0.5


def test_the_style_report_scores_human_and_generated_continuations_per_style():
    from bridge.midi_io.midi_files import read_drum_part
    from bridge.model.step_model import StepModel
    from bridge.music.sampling import SamplingSettings
    from model_tools.dataset import MidiEntry
    from model_tools.evaluate import human_bars, sample_window, windows_of
    from tests.conftest import VALIDATION_FILE

    model = StepModel()
    styles = model.info["conditions"]["styles"]
    part = read_drum_part(VALIDATION_FILE)
    funk = styles.index("funk") + 1
    # Trained on this very file as funk and as rock, so both styles exist; the file's windows are funk.
    parts = [(MidiEntry(VALIDATION_FILE, "train", style=name), part) for name in ("funk", "rock")]
    classifier = style_eval.train_classifier(parts, styles)
    windows = windows_of(part, model.vocabulary, funk)[:3]
    rows = style_eval.style_report(model, windows, sample_window, human_bars, SamplingSettings(), classifier, 0)
    assert list(rows) == ["funk", "all"]
    assert rows["funk"]["windows"] == rows["all"]["windows"] == 3
    assert set(rows["all"]) == {"windows", "human", "requested", "follow"}
    assert all(0.0 <= rows["all"][name] <= 1.0 for name in ("human", "requested", "follow"))
    assert len(style_eval.format_styles(rows)) == 3
