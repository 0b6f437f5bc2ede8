"""Musical statistics of drum bars, used to compare generated continuations with human ones."""

from __future__ import annotations

import numpy as np

from bridge.music.hits import Hit

STEPS_PER_BEAT = 4  # 16th-note grid
# Longuet-Higgins & Lee metrical weights of the sixteen 16ths of a 4/4 bar.
METRICAL_WEIGHTS = np.array([0, -4, -3, -4, -2, -4, -3, -4, -1, -4, -3, -4, -2, -4, -3, -4])


def split_bars(hits: list[Hit], bars: int, beats_per_bar: float) -> list[list[Hit]]:
    """Hits per bar, times made relative to each bar's start."""
    result: list[list[Hit]] = [[] for _ in range(bars)]
    for hit in hits:
        index = int(hit.time // beats_per_bar)
        if 0 <= index < bars:
            result[index].append(Hit(hit.time - index * beats_per_bar, hit.drum, hit.velocity))
    return result


def grid_steps(bar: list[Hit]) -> list[tuple[int, int]]:
    """(drum, 16th step) of each hit; a hit just before the next bar line wraps to step 0 of none."""
    return [(h.drum, int(round(h.time * STEPS_PER_BEAT))) for h in bar]


def microtiming_ms(bar: list[Hit], bpm: float) -> np.ndarray:
    offsets = np.array([h.time - round(h.time * STEPS_PER_BEAT) / STEPS_PER_BEAT for h in bar])
    return np.abs(offsets) * 60000.0 / bpm


def syncopation(bar: list[Hit]) -> float:
    """Longuet-Higgins & Lee on the bar's combined onsets (any drum): an onset on a weak 16th
    followed by silence up to and including the next stronger position adds the weight difference."""
    steps = {step for _drum, step in grid_steps(bar) if step < 16}
    total = 0.0
    for step in steps:
        stronger = next((q for q in range(step + 1, 16) if METRICAL_WEIGHTS[q] > METRICAL_WEIGHTS[step]), None)
        if stronger is not None and not any(s in steps for s in range(step + 1, stronger + 1)):
            total += METRICAL_WEIGHTS[stronger] - METRICAL_WEIGHTS[step]
    return total


def similarity(bar: list[Hit], other: list[Hit]) -> float:
    """Jaccard similarity of the (drum, 16th step) sets of two bars."""
    a, b = set(grid_steps(bar)), set(grid_steps(other))
    return len(a & b) / len(a | b) if a | b else 1.0


def continuation_stats(bars: list[list[Hit]], seed_bars: list[list[Hit]], bpm: float) -> dict[str, float]:
    """Per-window statistics of continuation bars, averaged over the bars."""
    hits = [h for bar in bars for h in bar]
    timing = np.concatenate([microtiming_ms(bar, bpm) for bar in bars]) if hits else np.zeros(0)
    velocities = np.array([h.velocity for h in hits], dtype=float)
    best_match = [max(similarity(bar, seed) for seed in seed_bars) for bar in bars]
    return {
        "hits_per_bar": len(hits) / len(bars),
        "voices_per_bar": float(np.mean([len({h.drum for h in bar}) for bar in bars])),
        "velocity_mean": float(velocities.mean()) if hits else 0.0,
        "velocity_sd": float(velocities.std()) if hits else 0.0,
        "microtiming_abs_ms": float(timing.mean()) if hits else 0.0,
        "within_10ms_share": float((timing <= 10).mean()) if hits else 0.0,
        "syncopation": float(np.mean([syncopation(bar) for bar in bars])),
        "seed_similarity": float(np.mean(best_match)),
        "copy_rate": float(np.mean([m == 1.0 and bool(bar) for m, bar in zip(best_match, bars)])),
    }


def overlap(generated: np.ndarray, human: np.ndarray, bins: int = 20) -> float:
    """Histogram intersection of two samples on shared bins: 1 = same distribution, 0 = disjoint."""
    low, high = min(generated.min(), human.min()), max(generated.max(), human.max())
    if high <= low:
        return 1.0
    edges = np.linspace(low, high, bins + 1)
    g = np.histogram(generated, edges)[0] / len(generated)
    h = np.histogram(human, edges)[0] / len(human)
    return float(np.minimum(g, h).sum())
