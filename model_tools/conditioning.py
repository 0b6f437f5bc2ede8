"""Conditioning labels for training: each file's style, fill bars, density and phrase, per token.

The rules for one bar live in bridge/music/conditions.py (the runtime labels
its seeds with them); this module applies them to a dataset and adds the
training-time dropout that teaches the model to run without a condition.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from bridge.music.conditions import CONDITIONS, UNKNOWN, hits_by_bar, played_conditions
from bridge.music.tokens import BAR

# A style needs this many training files to get its own value; rarer styles
# (blues 4, dance 7, highlife 1, middle-eastern 1) train as "follow" only.
MIN_STYLE_FILES = 10
# Inputs that training drops to UNKNOWN for a share of its windows (whole windows,
# so the model also learns to continue a seed with no label at all).
DROPPABLE = ("style", "density", "phrase")


def primary_style(style: str) -> str:
    """info.csv writes mixed styles as "jazz/funk": the first is the main one."""
    return style.split("/")[0].strip()


def style_table(entries) -> list[str]:
    """Styles with at least MIN_STYLE_FILES files, sorted; a style's value is its index + 1."""
    counts = Counter(primary_style(entry.style) for entry in entries if entry.style)
    return sorted(style for style, count in counts.items() if count >= MIN_STYLE_FILES)


def style_value(style: str, styles: list[str]) -> int:
    name = primary_style(style)
    return styles.index(name) + 1 if name in styles else UNKNOWN


def part_conditions(entry, part, styles: list[str]) -> np.ndarray:
    """(bars, 4) conditions of one file: its style, fill bars, each bar's density and phrase place."""
    bars = hits_by_bar(part.hits, part.bar_lines)
    rows = played_conditions(bars, style_value(entry.style, styles), fill_file=entry.beat_type == "fill")
    return np.array(rows, np.int32).reshape(len(bars), len(CONDITIONS))


def token_conditions(tokens: np.ndarray, bar_conditions: np.ndarray) -> np.ndarray:
    """(tokens, 4): each token gets the conditions of the bar it opens (BAR) or lies in.

    The closing BAR of a part opens no bar: it gets UNKNOWN (its target is padding).
    """
    bar_index = np.cumsum(tokens == BAR) - 1
    padded = np.vstack([bar_conditions, np.zeros((1, len(CONDITIONS)), np.int32)])
    return padded[np.clip(bar_index, 0, len(bar_conditions))]


def drop_conditions(
    conditions: np.ndarray, rate: float, rng: np.random.Generator, tokens: np.ndarray | None = None
) -> np.ndarray:
    """Windows (n, length, 4) with each droppable input set to UNKNOWN in a `rate` share of windows.

    With the windows' `tokens`, another `rate` share loses its density from a
    random bar line on: that is how generation at density 1 feeds it (the seed's
    bars as played, the continuation's left to the model), so training sees it.
    """
    dropped = conditions.copy()
    for name in DROPPABLE:
        column = CONDITIONS.index(name)
        chosen = rng.random(len(dropped)) < rate
        dropped[chosen, :, column] = UNKNOWN
    if tokens is not None:
        column = CONDITIONS.index("density")
        for window in np.flatnonzero(rng.random(len(dropped)) < rate):
            lines = np.flatnonzero(tokens[window] == BAR)
            if len(lines) > 1:
                dropped[window, rng.choice(lines[1:]) :, column] = UNKNOWN
    return dropped


def label_counts(conditions: list[np.ndarray]) -> dict[str, int]:
    """How many training bars carry each fill label (recorded in run.json)."""
    stacked = np.vstack(conditions) if conditions else np.zeros((0, len(CONDITIONS)), np.int32)
    fill = stacked[:, CONDITIONS.index("fill")]
    return {"bars": int(len(stacked)), "fill_bars": int(fill.sum())}
