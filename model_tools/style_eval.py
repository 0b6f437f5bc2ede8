"""Does a requested style sound like that style? A small classifier trained on the train split judges.

The classifier reads 2-bar segments (the length of an evaluation window's
continuation) as features a drummer would hear: where each drum plays on the
16th grid, how dense the bars are, where hits sit inside the beat at 1/12-beat
resolution (swing and triplets), how far they sit off the 16th grid, and how
hard each drum is played.  Tempo is left out on purpose: a generated
continuation keeps its seed's tempo, so tempo would judge the seed, not the
playing.  It is a softmax regression in numpy (standardised features, L2,
class-balanced weights so that rare styles count), which keeps model_tools
free of another dependency and trains in seconds.

Scored on the evaluation windows: the accuracy on the human continuations
of each style, on continuations generated with that style requested, and on
continuations generated at "follow" (no style asked: what the seed alone gives).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from bridge.music.conditions import Controls, hits_by_bar
from bridge.music.drums import DRUM_NAMES
from bridge.music.hits import Hit

from .conditioning import style_value

SEGMENT_BARS = 2
STEPS = 16  # 16ths of a 4/4 bar
BEAT_BUCKETS = 12  # where a hit sits inside its beat: 16ths and triplets both land on a bucket
DRUMS = len(DRUM_NAMES)
# Softmax regression: full-batch gradient descent with these settings reached the
# best accuracy on the validation split's human 2-bar segments (0.515; learning
# rate 0.3 and 1, L2 1e-4 to 1e-2, 200 to 800 steps tried: 0.45-0.515).
LEARNING_RATE, L2, STEPS_TRAINED = 1.0, 1e-4, 800


def segment_features(bars: list[list[Hit]]) -> np.ndarray:
    """Features of a few bars of 4/4 (hit times in beats from each bar's start)."""
    grid = np.zeros((DRUMS, STEPS))
    inside = np.zeros(BEAT_BUCKETS)
    velocity_sum, drum_hits = np.zeros(DRUMS), np.zeros(DRUMS)
    offsets: list[float] = []
    velocities: list[float] = []
    for bar in bars:
        for hit in bar:
            step = int(round(hit.time * 4))
            grid[hit.drum, step % STEPS] += 1
            inside[int(round((hit.time % 1.0) * BEAT_BUCKETS)) % BEAT_BUCKETS] += 1
            offsets.append(hit.time - step / 4)
            velocity_sum[hit.drum] += hit.velocity
            drum_hits[hit.drum] += 1
            velocities.append(hit.velocity)
    count = max(len(velocities), 1)
    velocity = np.array(velocities or [0.0], dtype=float)
    summary = [
        np.log1p(len(velocities) / len(bars)),  # density
        float(np.mean(np.abs(offsets))) if offsets else 0.0,  # microtiming off the 16th grid
        float(np.mean(offsets)) if offsets else 0.0,  # ahead of or behind the grid
        velocity.mean() / 127,
        velocity.std() / 127,
    ]
    return np.concatenate(
        [
            grid.ravel() / len(bars),
            inside / count,
            drum_hits / count,
            velocity_sum / np.maximum(drum_hits, 1) / 127,
            summary,
        ]
    )


def segments_of(part, bars_per_segment: int = SEGMENT_BARS) -> list[list[list[Hit]]]:
    """Non-overlapping segments of a part with hits in every bar, times from each bar's start."""
    lines = part.bar_lines
    bars = [[replace(h, time=h.time - lines[i]) for h in bar] for i, bar in enumerate(hits_by_bar(part.hits, lines))]
    result = []
    for first in range(0, len(bars) - bars_per_segment + 1, bars_per_segment):
        segment = bars[first : first + bars_per_segment]
        if all(segment):
            result.append(segment)
    return result


@dataclass
class StyleClassifier:
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # (features + 1, classes): the last row is the bias
    classes: np.ndarray  # style value of each column

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Style value of each row of `features`."""
        x = np.hstack([(features - self.mean) / self.scale, np.ones((len(features), 1))])
        result: np.ndarray = self.classes[np.argmax(x @ self.weights, axis=1)]
        return result


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    result: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return result


def fit(features: np.ndarray, labels: np.ndarray, steps: int = STEPS_TRAINED) -> StyleClassifier:
    """Class-balanced softmax regression by full-batch gradient descent."""
    classes = np.unique(labels)
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-6
    x = np.hstack([(features - mean) / scale, np.ones((len(features), 1))])
    target = (labels[:, None] == classes[None, :]).astype(float)
    counts = target.sum(axis=0)
    sample_weight = (target @ (len(labels) / (len(classes) * counts)))[:, None] / len(labels)
    weights = np.zeros((x.shape[1], len(classes)))
    for _ in range(steps):
        gradient = x.T @ ((_softmax(x @ weights) - target) * sample_weight) + L2 * weights
        weights -= LEARNING_RATE * gradient
    return StyleClassifier(mean, scale, weights, classes)


def train_classifier(parts, styles: list[str]) -> StyleClassifier:
    """Trained on the 2-bar segments of the given 4/4 beat files that have a style of the model's."""
    rows, labels = [], []
    for entry, part in parts:
        label = style_value(entry.style, styles)
        if not label or entry.beat_type != "beat" or entry.time_signature not in ("", "4-4"):
            continue
        for segment in segments_of(part):
            rows.append(segment_features(segment))
            labels.append(label)
    return fit(np.array(rows), np.array(labels))


def style_report(model, windows, sampler, human_of, settings, classifier: StyleClassifier, seed: int) -> dict:
    """Accuracy per style on the human continuations and on continuations generated with and without it."""
    windows = [w for w in windows if w.true_conditions and w.true_conditions[0][0]]
    truth = np.array([w.true_conditions[0][0] for w in windows])
    human = [human_of(model, w)[1] for w in windows]
    predictions = {"human": _predict(classifier, human)}
    for name, ask in (("requested", lambda style: Controls(style=style)), ("follow", lambda style: Controls())):
        rng = np.random.default_rng(seed)
        generated = [sampler(model, w, settings, rng, ask(int(s)))[0] for w, s in zip(windows, truth)]
        predictions[name] = _predict(classifier, generated)
    names = model.info["conditions"]["styles"]
    rows = {}
    for value, count in sorted(Counter(truth.tolist()).items()):
        chosen = truth == value
        rows[names[value - 1]] = {"windows": count} | {
            name: float((predicted[chosen] == value).mean()) for name, predicted in predictions.items()
        }
    rows["all"] = {"windows": len(windows)} | {
        name: float((predicted == truth).mean()) for name, predicted in predictions.items()
    }
    return rows


def _predict(classifier: StyleClassifier, continuations) -> np.ndarray:
    return classifier.predict(np.array([segment_features(bars) for bars in continuations]))


def format_styles(rows: dict) -> list[str]:
    lines = ["style classifier accuracy: windows, human, generated with the style asked, generated at follow"]
    for name, row in rows.items():
        lines.append(
            f"  {name:<12}{row['windows']:>6}{row['human']:>8.2f}{row['requested']:>8.2f}{row['follow']:>8.2f}"
        )
    return lines
