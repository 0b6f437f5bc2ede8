"""`beatgen evaluate`: 2-bar seeds continued by 2 bars, scored against baselines and human playing.

Windows are the non-overlapping 4-bar spans of the split's 4/4 "beat" files
whose seed and continuation both contain hits.  Every model sees only the
window: the LSTM starts from a zero state at the window's first bar line, the
n-gram models from an empty context, the cache from an empty history.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bridge.model.continuation import Continuer
from bridge.model.step_model import StepModel
from bridge.music.conditions import BarPlan, Controls, continuation_plan, hits_by_bar, played_conditions
from bridge.music.hits import DrumPart, Hit
from bridge.music.sampling import SamplingSettings, adherence_for
from bridge.music.tokens import BAR, decode, encode

from .baselines import CachedModel, KneserNeyTrigram, UnigramModel, sequence_bits
from .conditioning import style_value
from .control_eval import conditioning_rows, control_curves, fill_report, format_curves, format_fills, human_fill_bars
from .dataset import list_midi_files, load_parts, select, tokenize_parts
from .fill_eval import format_fill_strength, format_way_back, human_way_back, strength_sweep, way_back
from .groove_metrics import continuation_stats, overlap, split_bars
from .style_eval import format_styles, style_report, train_classifier

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
    seed_bars: list[list[Hit]] = field(default_factory=list)  # the seed's hits per bar, as played
    # What the window's bars really were (style, fill, density, phrase): for the oracle rows only.
    true_conditions: list[tuple[int, int, int, int]] = field(default_factory=list)


def windows_of(part: DrumPart, vocabulary, style: int = 0) -> list[Window]:
    """The part's 4-bar windows; they start on bars 0, 4, 8...: the first bar of a phrase."""
    units = vocabulary.config.units_per_beat
    result = []
    for first in range(0, part.bar_count - WINDOW_BARS + 1, WINDOW_BARS):
        lines = part.bar_lines[first : first + WINDOW_BARS + 1]
        tokens, _positions = encode(part.hits, lines, vocabulary)
        bars = np.flatnonzero(tokens == BAR)
        seed_has_hits = bars[SEED_BARS] - bars[0] > SEED_BARS
        continuation_has_hits = len(tokens) - bars[SEED_BARS] > CONTINUATION_BARS + 1
        if seed_has_hits and continuation_has_hits:
            played = hits_by_bar(part.hits, lines)
            window = Window(tokens, int(bars[SEED_BARS]) + 1, part.bpm, round((lines[1] - lines[0]) * units))
            window.seed_bars = played[:SEED_BARS]
            window.true_conditions = played_conditions(played, style, first_bar=first)
            result.append(window)
    return result


def follow_plan(window: Window, controls: Controls | None = None) -> BarPlan:
    """The plan generation uses: the seed as played, the continuation as the controls ask."""
    return continuation_plan(window.seed_bars, CONTINUATION_BARS, controls or Controls())


def lstm_bits(model: StepModel, window: Window, plan: BarPlan | None = None) -> np.ndarray:
    """Teacher-forced -log2 p of the continuation tokens, streaming the window through the step model.

    `plan` defaults to the "follow" plan: what `beatgen generate` asks with no controls.
    """
    continuer = Continuer(model, window.bar_units, follow_plan(window) if plan is None else plan)
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


def sample_window(model: StepModel, window: Window, settings, rng, controls: Controls | None = None):
    """(continuation bars sampled after the window's seed, whether the sample was invalid)."""
    vocabulary = model.vocabulary
    beats_per_bar = window.bar_units / vocabulary.config.units_per_beat
    continuer = Continuer(model, window.bar_units, follow_plan(window, controls))
    continuer.prime(window.tokens[: window.first_scored])
    generated = continuer.generate_bars(CONTINUATION_BARS, settings, rng)
    try:
        sample = decode(generated.tokens, vocabulary, window.bar_units)
        invalid = generated.forced_bar_lines > 0 or any(
            not 0 <= h.time < CONTINUATION_BARS * beats_per_bar for h in sample
        )
    except ValueError:
        sample, invalid = [], True
    return split_bars(sample, CONTINUATION_BARS, beats_per_bar), invalid


def human_bars(model: StepModel, window: Window) -> tuple[list[list[Hit]], list[list[Hit]]]:
    """(seed bars, human continuation bars) of a window, times from each bar's start."""
    vocabulary = model.vocabulary
    beats_per_bar = window.bar_units / vocabulary.config.units_per_beat
    seed = decode(window.tokens[: window.first_scored], vocabulary, window.bar_units)
    human = decode(np.concatenate([[BAR], window.tokens[window.first_scored :]]), vocabulary, window.bar_units)
    return split_bars(seed, SEED_BARS, beats_per_bar), split_bars(human, CONTINUATION_BARS, beats_per_bar)


def sampled_stats(
    model: StepModel, window: Window, settings, rng, controls: Controls | None = None
) -> tuple[dict, dict, bool]:
    """Statistics of one sampled continuation and of the human one; and whether the sample was invalid."""
    seed_bars, human = human_bars(model, window)
    sample, invalid = sample_window(model, window, settings, rng, controls)
    return (
        continuation_stats(sample, seed_bars, window.bpm),
        continuation_stats(human, seed_bars, window.bpm),
        invalid,
    )


def evaluate(
    folder: str,
    split: str,
    model: StepModel,
    samples: int,
    settings,
    random_seed: int,
    max_windows: int = 0,
    curves: bool = False,
    styles: bool = False,
) -> dict:
    """Bits per bar and sampled groove statistics; with `curves`, the control curves and the fill report;
    with `curves` or `styles`, the style classifier's judgement (a conditioned model only)."""
    vocabulary = model.vocabulary
    entries = list_midi_files(folder)
    parts = load_parts(select(entries, split, beats_only=True, four_four=True), quiet=True)
    names = model.info.get("conditions", {}).get("styles", [])
    windows = [w for entry, part in parts for w in windows_of(part, vocabulary, style_value(entry.style, names))]
    if max_windows:
        windows = windows[:max_windows]
    if not windows:
        raise FileNotFoundError(f"{folder}: no 4-bar windows of 4/4 beats in split '{split}'")
    train_parts = load_parts(select(entries, "train"), quiet=True)
    train_sequences = [tokens for tokens, _p, _b in tokenize_parts(train_parts, vocabulary)]
    started = time.perf_counter()
    bits = {"lstm": np.concatenate([lstm_bits(model, w) for w in windows])}
    if "conditions" in model.info:
        # Which conditions help, measured on these windows (docs/model.md: the conditioning chosen).
        for name, plan_of in conditioning_rows(follow_plan, SEED_BARS).items():
            bits[name] = np.concatenate([lstm_bits(model, w, plan_of(w)) for w in windows])
    bits.update(baseline_bits(windows, train_sequences, len(vocabulary)))
    rng = np.random.default_rng(random_seed)
    generated, human, invalid = [], [], 0
    for window in windows:
        for _ in range(samples):
            g, h, bad = sampled_stats(model, window, settings, rng)
            generated.append(g)
            human.append(h)
            invalid += bad
    result = _summary(windows, bits, generated, human, invalid, time.perf_counter() - started)
    if curves:
        result["curves"] = control_curves(model, windows, sample_window, human_bars, settings, random_seed)
        if "conditions" in model.info:
            beats = [bar for w in windows for bar in human_bars(model, w)[1]]
            fills = human_fill_bars(folder, split)
            result["fills"] = fill_report(model, windows, sample_window, settings, fills, beats, random_seed)
            result["fill_strength"] = strength_sweep(model, windows, sample_window, settings, random_seed)
            seeds = [human_bars(model, w)[0] for w in windows]
            result["after_fill"] = way_back(model, windows, seeds, settings, random_seed)
            result["after_fill"].update(human_way_back(folder, split))
    if (curves or styles) and names:
        classifier = train_classifier(train_parts, names)
        result["styles"] = style_report(model, windows, sample_window, human_bars, settings, classifier, random_seed)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


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
        "lstm_no_conditions": "  no conditions at all",
        "lstm_seed_labels_only": "  seed bars labelled only",
        "lstm_follow_seed_density": "  follow + seed density target",
        "lstm_follow_no_phrase": "  follow, no phrase place",
        "lstm_oracle_style": "  (oracle) true style",
        "lstm_oracle_density": "  (oracle) true density",
        "unigram": "unigram",
        "kn3": "Kneser-Ney 3-gram",
        "kn3_cache": "KN 3-gram + cache",
    }
    for name, label in labels.items():
        if name not in result["nll"]:
            continue  # conditioning rows exist for a conditioned model only
        row = result["nll"][name]
        lines.append(f"{label:<28}{row['bits_per_token']:>12.3f}{row['bits_per_bar']:>12.1f}")
    lines.append(f"cache weights (unigram, bigram) chosen on these windows: {result['cache_weights']}")
    lines.append(f"{'sampled vs human':<24}{'generated':>11}{'human':>11}{'overlap':>10}")
    for key, row in result["sampled"].items():
        mark = " *" if key in OVERLAP_METRICS else ""
        lines.append(f"{key:<24}{row['generated_mean']:>11.3f}{row['human_mean']:>11.3f}{row['overlap']:>10.2f}{mark}")
    lines.append(f"invalid or bar-drifting samples: {result['invalid_share']:.2%}")
    if "curves" in result:
        lines += format_curves(result["curves"])
    if "fills" in result:
        lines += format_fills(result["fills"])
    if "fill_strength" in result:
        lines += format_fill_strength(result["fill_strength"]) + format_way_back(result["after_fill"])
    if "styles" in result:
        lines += format_styles(result["styles"])
    return "\n".join(lines)


def run_evaluation(args) -> dict:
    model = StepModel(args.model, args.variant)
    settings = SamplingSettings(args.temperature, args.top_k, args.top_p, adherence_for(args.variation))
    result = evaluate(
        args.folder,
        args.split,
        model,
        args.samples,
        settings,
        args.random_seed,
        args.max_windows,
        args.curves,
        args.styles,
    )
    print(format_report(result))
    if args.json:
        with open(args.json, "w") as stream:
            json.dump(result, stream, indent=1)
    return result
