"""`beatgen evaluate`: 2-bar seeds continued by 2 bars, scored against baselines and human playing.

Windows are the non-overlapping 4-bar spans of the split's 4/4 "beat" files
whose seed and continuation both contain hits.  Every model sees only the
window: the LSTM starts from a zero state at the window's first bar line, the
n-gram models from an empty context, the cache from an empty history.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from bridge.model.continuation import Continuer
from bridge.model.step_model import StepModel
from bridge.music.hits import DrumPart
from bridge.music.sampling import SamplingSettings
from bridge.music.tokens import BAR, decode, encode

from .baselines import CachedModel, KneserNeyTrigram, UnigramModel, sequence_bits
from .dataset import list_midi_files, load_parts, select, tokenize_parts
from .groove_metrics import continuation_stats, overlap, split_bars

SEED_BARS, CONTINUATION_BARS = 2, 2
WINDOW_BARS = SEED_BARS + CONTINUATION_BARS
CACHE_WEIGHTS = [(a, b) for a in (0.0, 0.05, 0.1, 0.2, 0.3) for b in (0.0, 0.1, 0.2, 0.3, 0.4) if a + b < 0.9]
OVERLAP_METRICS = ("hits_per_bar", "syncopation", "microtiming_abs_ms", "seed_similarity")


@dataclass
class Window:
    tokens: np.ndarray
    first_scored: int  # index of the first continuation token (after the bar line that opens bar 3)
    bpm: float
    bar_units: int


def windows_of(part: DrumPart, vocabulary) -> list[Window]:
    units = vocabulary.config.units_per_beat
    result = []
    for first in range(0, part.bar_count - WINDOW_BARS + 1, WINDOW_BARS):
        lines = part.bar_lines[first : first + WINDOW_BARS + 1]
        tokens, _positions = encode(part.hits, lines, vocabulary)
        bars = np.flatnonzero(tokens == BAR)
        seed_has_hits = bars[SEED_BARS] - bars[0] > SEED_BARS
        continuation_has_hits = len(tokens) - bars[SEED_BARS] > CONTINUATION_BARS + 1
        if seed_has_hits and continuation_has_hits:
            result.append(Window(tokens, int(bars[SEED_BARS]) + 1, part.bpm, round((lines[1] - lines[0]) * units)))
    return result


def lstm_bits(model: StepModel, window: Window) -> np.ndarray:
    """Teacher-forced -log2 p of the continuation tokens, streaming the window through the step model."""
    continuer = Continuer(model, window.bar_units)
    continuer.prime([])
    bits = []
    for index, token in enumerate(window.tokens[:-1]):
        continuer.feed(int(token))
        if index + 1 >= window.first_scored:
            bits.append(-np.log2(continuer.next_distribution()[window.tokens[index + 1]]))
    return np.array(bits)


def baseline_bits(windows, train_sequences, size: int) -> dict[str, Any]:
    """Bits per token of each baseline (arrays), and the cache weights chosen (a tuple)."""
    unigram = UnigramModel(train_sequences, size)
    trigram = KneserNeyTrigram(train_sequences, size)
    results: dict[str, Any] = {
        "unigram": np.concatenate([sequence_bits(unigram, w.tokens, w.first_scored) for w in windows]),
        "kn3": np.concatenate([sequence_bits(trigram, w.tokens, w.first_scored) for w in windows]),
    }
    best = None
    for weights in CACHE_WEIGHTS:
        cached = CachedModel(trigram, size, *weights)
        bits = np.concatenate([sequence_bits(cached, w.tokens, w.first_scored) for w in windows])
        if best is None or bits.sum() < best[1].sum():
            best = (weights, bits)
    assert best is not None  # CACHE_WEIGHTS is not empty
    results["kn3_cache"] = best[1]
    results["cache_weights"] = best[0]
    return results


def sampled_stats(model: StepModel, window: Window, settings, rng) -> tuple[dict, dict, bool]:
    """Statistics of one sampled continuation and of the human one; and whether the sample was invalid."""
    vocabulary = model.vocabulary
    beats_per_bar = window.bar_units / vocabulary.config.units_per_beat
    seed = window.tokens[: window.first_scored]
    seed_bars = split_bars(decode(seed, vocabulary, window.bar_units), SEED_BARS, beats_per_bar)
    human = decode(np.concatenate([[BAR], window.tokens[window.first_scored :]]), vocabulary, window.bar_units)
    continuer = Continuer(model, window.bar_units)
    continuer.prime(seed)
    generated = continuer.generate_bars(CONTINUATION_BARS, settings, rng)
    try:
        sample = decode(generated.tokens, vocabulary, window.bar_units)
        invalid = generated.forced_bar_lines > 0 or any(
            not 0 <= h.time < CONTINUATION_BARS * beats_per_bar for h in sample
        )
    except ValueError:
        sample, invalid = [], True
    bars = lambda hits: split_bars(hits, CONTINUATION_BARS, beats_per_bar)  # noqa: E731
    return (
        continuation_stats(bars(sample), seed_bars, window.bpm),
        continuation_stats(bars(human), seed_bars, window.bpm),
        invalid,
    )


def evaluate(
    folder: str, split: str, model: StepModel, samples: int, settings, random_seed: int, max_windows: int = 0
) -> dict:
    vocabulary = model.vocabulary
    entries = list_midi_files(folder)
    parts = load_parts(select(entries, split, beats_only=True, four_four=True), quiet=True)
    windows = [w for _entry, part in parts for w in windows_of(part, vocabulary)]
    if max_windows:
        windows = windows[:max_windows]
    if not windows:
        raise FileNotFoundError(f"{folder}: no 4-bar windows of 4/4 beats in split '{split}'")
    train_parts = load_parts(select(entries, "train"), quiet=True)
    train_sequences = [tokens for tokens, _p, _b in tokenize_parts(train_parts, vocabulary)]
    started = time.perf_counter()
    bits = {"lstm": np.concatenate([lstm_bits(model, w) for w in windows])}
    bits.update(baseline_bits(windows, train_sequences, len(vocabulary)))
    rng = np.random.default_rng(random_seed)
    generated, human, invalid = [], [], 0
    for window in windows:
        for _ in range(samples):
            g, h, bad = sampled_stats(model, window, settings, rng)
            generated.append(g)
            human.append(h)
            invalid += bad
    return _summary(windows, bits, generated, human, invalid, time.perf_counter() - started)


def _summary(windows, bits, generated, human, invalid, seconds) -> dict:
    bar_count = CONTINUATION_BARS * len(windows)
    nll = {
        name: {"bits_per_token": float(values.mean()), "bits_per_bar": float(values.sum() / bar_count)}
        for name, values in bits.items()
        if name != "cache_weights"
    }
    metrics = {}
    for key in generated[0]:
        g = np.array([s[key] for s in generated])
        h = np.array([s[key] for s in human])
        metrics[key] = {"generated_mean": float(g.mean()), "human_mean": float(h.mean()), "overlap": overlap(g, h)}
    return {
        "windows": len(windows),
        "continuation_tokens": int(len(bits["lstm"])),
        "nll": nll,
        "cache_weights": list(bits["cache_weights"]),
        "sampled": metrics,
        "samples": len(generated),
        "invalid_share": invalid / len(generated),
        "seconds": round(seconds, 1),
    }


def format_report(result: dict) -> str:
    lines = [
        f"windows: {result['windows']}   continuation tokens: {result['continuation_tokens']}"
        f"   samples: {result['samples']}"
    ]
    lines.append(f"{'model':<28}{'bits/token':>12}{'bits/bar':>12}")
    labels = {
        "lstm": "LSTM (this model)",
        "unigram": "unigram",
        "kn3": "Kneser-Ney 3-gram",
        "kn3_cache": "KN 3-gram + cache",
    }
    for name, label in labels.items():
        row = result["nll"][name]
        lines.append(f"{label:<28}{row['bits_per_token']:>12.3f}{row['bits_per_bar']:>12.1f}")
    lines.append(f"cache weights (unigram, bigram) chosen on these windows: {result['cache_weights']}")
    lines.append(f"{'sampled vs human':<24}{'generated':>11}{'human':>11}{'overlap':>10}")
    for key, row in result["sampled"].items():
        mark = " *" if key in OVERLAP_METRICS else ""
        lines.append(f"{key:<24}{row['generated_mean']:>11.3f}{row['human_mean']:>11.3f}{row['overlap']:>10.2f}{mark}")
    lines.append(f"invalid or bar-drifting samples: {result['invalid_share']:.2%}")
    return "\n".join(lines)


def run_evaluation(args) -> dict:
    model = StepModel(args.model, args.variant)
    settings = SamplingSettings(args.temperature, args.top_k, args.top_p, args.adherence)
    result = evaluate(args.folder, args.split, model, args.samples, settings, args.random_seed, args.max_windows)
    print(format_report(result))
    if args.json:
        with open(args.json, "w") as stream:
            json.dump(result, stream, indent=1)
    return result
