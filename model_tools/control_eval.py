"""What each conditioning input and each control does, on the evaluation windows.

Three measurements, each on the same windows and the same random seeds per setting:
- bits per bar with different conditioning plans (which inputs earn their place);
- a curve per control (density, variation, temperature) against what it should move;
- fills: generated fill bars against the split's human fill bars and against
  generated bars that were not asked to be fills.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from bridge.model.controls import controls_for
from bridge.model.step_model import StepModel
from bridge.music.conditions import (
    CONDITIONS,
    UNKNOWN,
    BarPlan,
    Controls,
    density_value,
    hits_by_bar,
    seed_density,
)
from bridge.music.sampling import SamplingSettings, adherence_for

from .dataset import list_midi_files, load_parts, select
from .groove_metrics import continuation_stats, overlap

DENSITIES = (0.5, 0.75, 1.0, 1.25, 1.5)
VARIATIONS = (0.0, 0.1, 0.2, 0.4, 0.7, 1.0)
TEMPERATURES = (0.8, 0.9, 1.0, 1.1, 1.25)
# Toms (low, mid, high) and crash: what a fill is played on (bridge/music/drums.py order).
FILL_DRUMS = (6, 7, 8, 9)
DENSITY, STYLE, PHRASE = (CONDITIONS.index(name) for name in ("density", "style", "phrase"))


def _with(plan: BarPlan, first: int, column: int, value) -> BarPlan:
    """The plan with one input set (a value, or a function of the bar index) from bar `first` on."""
    rows = [list(row) for row in plan.bars]
    for index in range(first, len(rows)):
        rows[index][column] = value(index) if callable(value) else value
    return BarPlan([tuple(row) for row in rows])  # type: ignore[misc]


def conditioning_rows(follow_plan, seed_bars: int) -> dict:
    """Plans to score the continuation with, by result name; "lstm" (the follow plan) is scored anyway."""

    def seed_only(window):
        plan = follow_plan(window)
        return BarPlan(plan.bars[:seed_bars])  # continuation bars: nothing given

    def seed_target(window):
        return _with(follow_plan(window), seed_bars, DENSITY, density_value(seed_density(window.seed_bars)))

    def no_phrase(window):
        return _with(follow_plan(window), 0, PHRASE, UNKNOWN)

    def true_density(window):
        return _with(follow_plan(window), seed_bars, DENSITY, lambda i: window.true_conditions[i][DENSITY])

    def true_style(window):
        return _with(follow_plan(window), 0, STYLE, window.true_conditions[0][STYLE])

    return {
        "lstm_no_conditions": lambda window: BarPlan(),
        "lstm_seed_labels_only": seed_only,
        "lstm_follow_seed_density": seed_target,
        "lstm_follow_no_phrase": no_phrase,
        "lstm_oracle_style": true_style,
        "lstm_oracle_density": true_density,
    }


def tom_crash_share(bar) -> float:
    return sum(hit.drum in FILL_DRUMS for hit in bar) / len(bar) if bar else 0.0


def _sweep(model, windows, sampler, human_of, settings_list, random_seed: int) -> list[dict]:
    """One sample per window per setting (the same random seed for every setting): mean stats + overlaps."""
    rows = []
    for label, settings, controls in settings_list:
        rng = np.random.default_rng(random_seed)
        generated, human = [], []
        for window in windows:
            seed, human_bars = human_of(model, window)
            sample, _invalid = sampler(model, window, settings, rng, controls)
            generated.append(continuation_stats(sample, seed, window.bpm))
            human.append(continuation_stats(human_bars, seed, window.bpm))
        row: dict = {"setting": label}
        for key in ("hits_per_bar", "copy_rate", "seed_similarity", "syncopation", "microtiming_abs_ms"):
            g, h = np.array([s[key] for s in generated]), np.array([s[key] for s in human])
            row[key] = {"generated": float(g.mean()), "human": float(h.mean()), "overlap": overlap(g, h)}
        rows.append(row)
    return rows


def control_curves(model: StepModel, windows, sampler, human_of, settings: SamplingSettings, seed: int) -> dict:
    """Density -> hits per bar; variation -> copy rate and seed similarity; temperature -> all of them."""
    info = model.info

    def density(d):
        shaped, controls = controls_for(info, settings, "follow", d, 0, False)
        return (d, shaped, controls)

    def plain(label, changed):
        return (label, changed, controls_for(info, changed, "follow", 1.0, 0, False)[1])

    return {
        "density": _sweep(model, windows, sampler, human_of, [density(d) for d in DENSITIES], seed),
        "variation": _sweep(
            model,
            windows,
            sampler,
            human_of,
            [plain(v, replace(settings, adherence=adherence_for(v))) for v in VARIATIONS],
            seed,
        ),
        "temperature": _sweep(
            model, windows, sampler, human_of, [plain(t, replace(settings, temperature=t)) for t in TEMPERATURES], seed
        ),
    }


def human_fill_bars(folder: str, split: str) -> list:
    """Every bar with hits of the split's 4/4 fill files."""
    entries = [e for e in select(list_midi_files(folder), split, four_four=True) if e.beat_type == "fill"]
    return [
        bar for _entry, part in load_parts(entries, quiet=True) for bar in hits_by_bar(part.hits, part.bar_lines) if bar
    ]


def fill_report(model: StepModel, windows, sampler, settings, human_fills: list, human_beats: list, seed: int) -> dict:
    """The last continuation bar asked to be a fill vs not asked, against human fill and beat bars."""
    rows = {}
    for name, controls in (("generated_fill", Controls(fill_last=True)), ("generated_no_fill", Controls())):
        rng = np.random.default_rng(seed)
        last_bars = [sampler(model, window, settings, rng, controls)[0][-1] for window in windows]
        rows[name] = [bar for bar in last_bars if bar]
    rows["human_fill_files"] = human_fills
    rows["human_beat_continuations"] = [bar for bar in human_beats if bar]
    shares = {name: np.array([tom_crash_share(bar) for bar in bars]) for name, bars in rows.items()}
    report: dict[str, Any] = {
        name: {
            "bars": len(bars),
            "tom_crash_share": float(shares[name].mean()),
            "hits_per_bar": float(np.mean([len(bar) for bar in bars])),
        }
        for name, bars in rows.items()
    }
    report["fill_share_overlap_with_human_fills"] = overlap(shares["generated_fill"], shares["human_fill_files"])
    report["fill_to_no_fill_ratio"] = float(
        shares["generated_fill"].mean() / max(shares["generated_no_fill"].mean(), 1e-9)
    )
    return report


def format_curves(curves: dict) -> list[str]:
    lines = []
    for control, rows in curves.items():
        lines.append(f"{control} curve: setting, hits/bar, copy rate, seed similarity (gen / human, overlap)")
        for row in rows:
            cells = [
                f"{row[key]['generated']:.3f}/{row[key]['human']:.3f} ({row[key]['overlap']:.2f})"
                for key in ("hits_per_bar", "copy_rate", "seed_similarity")
            ]
            lines.append(f"  {row['setting']:<6} " + "  ".join(cells))
    return lines


def format_fills(report: dict) -> list[str]:
    lines = ["fills: bars, tom+crash share, hits/bar"]
    for name, row in report.items():
        if isinstance(row, dict):
            lines.append(f"  {name:<26}{row['bars']:>6}{row['tom_crash_share']:>8.3f}{row['hits_per_bar']:>8.1f}")
    lines.append(
        f"  fill / no-fill tom+crash share: {report['fill_to_no_fill_ratio']:.2f}x;"
        f" overlap with human fill bars: {report['fill_share_overlap_with_human_fills']:.2f}"
    )
    return lines
