"""Fill strength and the way back: what guidance does to fill bars, and what the bar after a fill does.

- a strength sweep: the last continuation bar asked to be a fill at several
  guidance strengths g (bridge/model/fill_guidance.py), against the same bar
  not asked (same random seeds): the tom + crash share and its ratio;
- the bar after a fill: three bars are generated after each window's seed,
  the middle one (the 4th of the phrase) a fill, and the bar after it (the
  1st of the next phrase) is compared with the bar before the fill and with
  the seed, against the same bars generated with no fill asked and against
  the bars after the fills that the split's drummers played inside beat files.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bridge.model.continuation import Continuer
from bridge.music.conditions import FILL_STRENGTH, Controls, continuation_plan, hits_by_bar, is_fill_bar
from bridge.music.hits import Hit
from bridge.music.tokens import decode

from .control_eval import tom_crash_share
from .dataset import list_midi_files, load_parts, select
from .groove_metrics import similarity, split_bars

STRENGTHS = (1.0, 1.5, 2.0, 2.5, 3.0)
# The way-back run writes a groove bar, a fill (the 4th bar of the phrase: the
# seed is the phrase's first two bars) and the bar after it.
BEFORE, FILL, AFTER = 0, 1, 2


def strength_sweep(model, windows, sampler, settings, seed: int, strengths=STRENGTHS) -> list[dict]:
    """Per strength: tom + crash share of the fill bars, of the unasked bars, and their ratio."""
    rng = np.random.default_rng(seed)
    plain = [bar for bar in (sampler(model, w, settings, rng, Controls())[0][-1] for w in windows) if bar]
    base = float(np.mean([tom_crash_share(bar) for bar in plain]))
    rows = []
    for strength in strengths:
        rng = np.random.default_rng(seed)
        asked = Controls(fill_last=True, fill_strength=strength)
        fills = [bar for bar in (sampler(model, w, settings, rng, asked)[0][-1] for w in windows) if bar]
        share = float(np.mean([tom_crash_share(bar) for bar in fills]))
        rows.append(
            {
                "strength": strength,
                "fill_share": share,
                "no_fill_share": base,
                "ratio": share / max(base, 1e-9),
                "fill_hits_per_bar": float(np.mean([len(bar) for bar in fills])),
            }
        )
    return rows


def three_bars(model, window, settings, rng, controls: Controls) -> list[list[Hit]]:
    """Before, fill and after bars generated after a window's seed (times from each bar's start)."""
    plan = continuation_plan(window.seed_bars, 3, controls)
    continuer = Continuer(model, window.bar_units, plan)
    continuer.prime(window.tokens[: window.first_scored])
    generated = continuer.generate_bars(3, settings, rng)
    beats_per_bar = window.bar_units / model.vocabulary.config.units_per_beat
    return split_bars(decode(generated.tokens, model.vocabulary, window.bar_units), 3, beats_per_bar)


def _after_row(triples, seeds) -> dict:
    """Means over (before, fill, after) triples: the after bar's share, hits and similarities."""
    after = [t[AFTER] for t in triples]
    row = {
        "count": len(triples),
        "fill_bar_share": float(np.mean([tom_crash_share(t[FILL]) for t in triples])),
        "after_share": float(np.mean([tom_crash_share(bar) for bar in after])),
        "after_hits": float(np.mean([len(bar) for bar in after])),
        "after_vs_before": float(np.mean([similarity(t[AFTER], t[BEFORE]) for t in triples])),
    }
    if seeds is not None:
        best = [max(similarity(t[AFTER], bar) for bar in seed) for t, seed in zip(triples, seeds)]
        row["after_vs_seed"] = float(np.mean(best))
    return row


def way_back(model, windows, seeds, settings, seed: int, strength: float = FILL_STRENGTH) -> dict:
    """The bar after a generated fill against the same bar with no fill asked, and human fills."""
    result = {}
    for name, controls in (
        ("generated_fill", Controls(fill_every=4, fill_strength=strength)),
        ("generated_no_fill", Controls()),
    ):
        rng = np.random.default_rng(seed)
        triples = [three_bars(model, w, settings, rng, controls) for w in windows]
        result[name] = _after_row(triples, seeds)
    return result


def human_way_back(folder: str, split: str) -> dict:
    """(before, bar, after) of the split's 4/4 beat files: after a fill bar (the tom rule) and after none."""
    entries = select(list_midi_files(folder), split, beats_only=True, four_four=True)
    fills: list[tuple] = []
    plain: list[tuple] = []
    for _entry, part in load_parts(entries, quiet=True):
        lines = part.bar_lines
        bars = [
            [replace(hit, time=hit.time - lines[i]) for hit in bar]
            for i, bar in enumerate(hits_by_bar(part.hits, lines))
        ]
        for index in range(1, len(bars) - 1):
            triple = (bars[index - 1], bars[index], bars[index + 1])
            if not all(triple):
                continue
            (fills if is_fill_bar(bars[index], bars[index - 1]) else plain).append(triple)
    return {"human_fill": _after_row(fills, None), "human_no_fill": _after_row(plain, None)}


def format_fill_strength(rows: list[dict]) -> list[str]:
    lines = ["fill strength: g, tom+crash share fill / no fill, ratio, fill hits/bar"]
    for row in rows:
        lines.append(
            f"  {row['strength']:<5}{row['fill_share']:>8.3f}{row['no_fill_share']:>8.3f}"
            f"{row['ratio']:>7.2f}x{row['fill_hits_per_bar']:>8.1f}"
        )
    return lines


def format_way_back(report: dict) -> list[str]:
    lines = ["after a fill: bars, fill share, after: tom+crash share, hits, similarity to the bar before (to seed)"]
    for name, row in report.items():
        seed = f" ({row['after_vs_seed']:.3f})" if "after_vs_seed" in row else ""
        lines.append(
            f"  {name:<20}{row['count']:>6}{row['fill_bar_share']:>8.3f}{row['after_share']:>8.3f}"
            f"{row['after_hits']:>7.1f}{row['after_vs_before']:>8.3f}{seed}"
        )
    return lines
