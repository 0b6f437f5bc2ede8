"""What fill strength costs: time to write a guided fill bar against a groove bar and an unguided fill.

Usage: python -m devtools.fill_cost [DATASET] [--windows N]

Each bar is written after the seed of a validation window (the windows of
`beatgen evaluate`), with the same random seeds for every kind of bar; a
guided fill bar runs the step model twice per token (docs/model.md, "Fills").
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bridge.model.continuation import Continuer
from bridge.model.step_model import StepModel
from bridge.music.conditions import FILL_STRENGTH, Controls, continuation_plan
from bridge.music.sampling import SamplingSettings
from model_tools.conditioning import style_value
from model_tools.dataset import list_midi_files, load_parts, select
from model_tools.evaluate import windows_of

KINDS = (("groove bar", Controls()), ("fill, g 1", Controls(fill_last=True, fill_strength=1.0)),
         (f"fill, g {FILL_STRENGTH:g}", Controls(fill_last=True)))  # fmt: skip


def bar_times(model: StepModel, windows, controls: Controls) -> tuple[np.ndarray, float]:
    """(seconds to write each window's next bar, mean tokens per bar)."""
    rng, times, tokens = np.random.default_rng(0), [], 0
    for window in windows:
        continuer = Continuer(model, window.bar_units, continuation_plan(window.seed_bars, 1, controls))
        continuer.prime(window.tokens[: window.first_scored])
        started = time.perf_counter()
        tokens += len(continuer.generate_bars(1, SamplingSettings(), rng).tokens) - 1
        times.append(time.perf_counter() - started)
    return np.array(times), tokens / len(windows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="../shared/datasets/groove")
    parser.add_argument("--windows", type=int, default=200)
    args = parser.parse_args()
    model = StepModel()
    styles = model.info["conditions"]["styles"]
    entries = select(list_midi_files(args.folder), "validation", beats_only=True, four_four=True)
    parts = load_parts(entries, quiet=True)
    windows = [w for e, p in parts for w in windows_of(p, model.vocabulary, style_value(e.style, styles))]
    for name, controls in KINDS:
        times, tokens = bar_times(model, windows[: args.windows], controls)
        median = float(np.median(times)) * 1e3
        print(
            f"{name:<12} median {median:.2f} ms  p99 {np.percentile(times, 99) * 1e3:.2f} ms  {tokens:.1f} tokens/bar"
        )


if __name__ == "__main__":
    main()
