"""`beatgen analyze DIR`: distributions of pitches, velocities and gaps, and the vocabulary they imply."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from bridge.music.drums import DRUM_NAMES
from bridge.music.tokens import TokenizerConfig, Vocabulary, decode, encode

from .dataset import list_midi_files, load_parts, select

RESOLUTION_CANDIDATES = (24, 48, 96, 192)
# Round-trip timing must stay well inside the 10-60 ms feel drummers play with;
# 1.5 ms mean is under the ~2 ms a trained listener can hear between two clicks.
MAX_MEAN_TIMING_ERROR_MS = 1.5
# Velocity: a 3-step error is under 1 dB on common drum-sampler velocity curves.
MAX_MEAN_VELOCITY_ERROR = 3.0
SHIFT_COVERAGE = 0.99


def velocity_bins(velocities: np.ndarray, max_error: float = MAX_MEAN_VELOCITY_ERROR, limit: int = 32):
    """Fewest quantile bins whose median representatives keep the mean error under `max_error`."""
    table = []
    for count in range(2, limit + 1):
        edges = np.unique(np.quantile(velocities, np.arange(1, count) / count).round().astype(int))
        bins = np.searchsorted(edges, velocities, side="right")
        values = np.array([np.median(velocities[bins == b]) if np.any(bins == b) else 0 for b in range(len(edges) + 1)])
        error = float(np.mean(np.abs(values[bins] - velocities)))
        table.append((len(edges) + 1, error))
        if error <= max_error:
            return tuple(int(e) for e in edges), tuple(int(round(v)) for v in values), table
    raise ValueError("velocities too spread to bin")


def quantization_error_ms(parts, resolution: int) -> np.ndarray:
    """|time error| in ms of putting every hit on a 1/resolution-beat grid, at each file's tempo."""
    errors = []
    for _entry, part in parts:
        times = np.array([h.time for h in part.hits])
        errors.append(np.abs(np.round(times * resolution) / resolution - times) * 60000.0 / part.bpm)
    return np.concatenate(errors)


def choose_resolution(parts) -> tuple[int, list]:
    table = []
    for resolution in RESOLUTION_CANDIDATES:
        error = quantization_error_ms(parts, resolution)
        table.append((resolution, float(error.mean()), float(np.percentile(error, 99)), float(error.max())))
    chosen = next((r for r, mean, _p99, _max in table if mean <= MAX_MEAN_TIMING_ERROR_MS), RESOLUTION_CANDIDATES[-1])
    return chosen, table


def gaps_in_units(parts, resolution: int) -> np.ndarray:
    """Gaps between consecutive onsets (or the bar line and the first onset) inside each bar."""
    gaps: list[int] = []
    for _entry, part in parts:
        units = sorted({round(h.time * resolution) for h in part.hits})
        lines = [round(b * resolution) for b in part.bar_lines]
        for start, end in zip(lines, lines[1:]):
            inside = [start] + [u for u in units if start <= u < end]
            gaps.extend(g for g in np.diff(inside) if g > 0)
    return np.asarray(gaps)


def choose_shift_sizes(gaps: np.ndarray, resolution: int, longest_bar_beats: float) -> tuple[int, ...]:
    """Every size up to the gap that covers SHIFT_COVERAGE of gaps, then half-beat multiples.

    Small sizes are exact (they carry the feel); longer, rarer gaps are written
    as one coarse shift plus one fine shift, like the notebook's grouped blanks.
    """
    fine = int(np.ceil(np.quantile(gaps, SHIFT_COVERAGE)))
    fine = max(fine, resolution // 2)
    half_beat = resolution // 2
    coarse = range((fine // half_beat + 1) * half_beat, int(longest_bar_beats * resolution), half_beat)
    return tuple(range(1, fine + 1)) + tuple(coarse)


def derive_config(parts) -> tuple[TokenizerConfig, dict]:
    """The tokenizer configuration these files call for, and the tables behind it."""
    velocities = np.array([h.velocity for _e, p in parts for h in p.hits])
    edges, values, velocity_table = velocity_bins(velocities)
    resolution, resolution_table = choose_resolution(parts)
    gaps = gaps_in_units(parts, resolution)
    longest = max(p.beats_per_bar for _e, p in parts)
    shifts = choose_shift_sizes(gaps, resolution, max(longest, 4.0))
    config = TokenizerConfig(resolution, shifts, edges, values)
    return config, {"velocity": velocity_table, "resolution": resolution_table, "gaps": gaps}


def round_trip_errors(parts, vocabulary: Vocabulary) -> dict:
    """Encode then decode each part; timing error (ms at the file's tempo) and velocity error per hit."""
    timing, velocity, merged, token_count = [], [], 0, 0
    upb = vocabulary.config.units_per_beat
    for _entry, part in parts:
        tokens, _positions = encode(part.hits, part.bar_lines, vocabulary)
        token_count += len(tokens)
        lengths = [round((b - a) * upb) for a, b in zip(part.bar_lines, part.bar_lines[1:])]
        decoded = decode(tokens, vocabulary, lengths)
        merged += len(part.hits) - len(decoded)
        for drum in range(len(DRUM_NAMES)):
            original = [h for h in part.hits if h.drum == drum]
            if not original:
                continue
            back = sorted((h.time, h.velocity) for h in decoded if h.drum == drum)
            back_times = np.array([t for t, _v in back])
            for hit in original:
                i = int(np.argmin(np.abs(back_times - hit.time)))
                timing.append(abs(back_times[i] - hit.time) * 60000.0 / part.bpm)
                velocity.append(abs(back[i][1] - hit.velocity))
    timing_ms, velocity_error = np.array(timing), np.array(velocity)
    return {
        "hits": int(len(timing_ms)),
        "tokens": token_count,
        "timing_ms_mean": float(timing_ms.mean()),
        "timing_ms_p99": float(np.percentile(timing_ms, 99)),
        "timing_ms_max": float(timing_ms.max()),
        "velocity_mean": float(velocity_error.mean()),
        "velocity_p99": float(np.percentile(velocity_error, 99)),
        "merged_share": merged / max(1, len(timing_ms)),
    }


def run(folder: str, split: str = "train", write: str | None = None, out=print) -> TokenizerConfig:
    """Print the analysis of `folder` (one split) and return the configuration it implies."""
    # A folder of clips has no info.csv and so no split: all of it is analyzed.
    has_split = (Path(folder) / "info.csv").is_file()
    entries = select(list_midi_files(folder), split if has_split else None)
    where = f"split '{split}'" if has_split else "the folder"
    if not entries:
        raise FileNotFoundError(f"{folder}: no MIDI files in {where}")
    parts = load_parts(entries)
    if not parts:
        raise FileNotFoundError(f"{folder}: no usable MIDI files in {where} (none has drum notes or can be read)")
    _print_inputs(parts, out)
    config, tables = derive_config(parts)
    _print_choices(config, tables, out)
    shipped = TokenizerConfig()
    out(_comparison_line(config == shipped))
    out(f"with the tokenizer in use, on {where}:")
    _print_token_stats(parts, Vocabulary(shipped), out)
    if write:
        with open(write, "w") as stream:
            json.dump(config.to_json(), stream, indent=1)
        out(f"wrote {write}")
    return config


def _comparison_line(same: bool) -> str:
    """What the derived configuration means for the user: training and the bridge keep the one in use."""
    if same:
        return "derived configuration equals the tokenizer in use (bridge/music/tokens.py)"
    # Every model and the bridge share one tokenizer (the runner refuses a model made for another),
    # so a different derived one is information about these files, not something to act on.
    return (
        "derived configuration differs from the tokenizer in use (bridge/music/tokens.py); nothing to do: "
        "beatgen train and the bridge always use the one in use, and the errors below say how well it fits these files"
    )


def _print_inputs(parts, out) -> None:
    hits = [h for _e, p in parts for h in p.hits]
    unknown: Counter[int] = sum((p.unknown_pitches for _e, p in parts), Counter())
    out(f"files: {len(parts)}   hits: {len(hits)}   bars: {sum(p.bar_count for _e, p in parts)}")
    counts = Counter(h.drum for h in hits)
    out("drum classes: " + ", ".join(f"{DRUM_NAMES[d]} {counts[d]}" for d in range(len(DRUM_NAMES))))
    out("unknown pitches: " + (", ".join(f"{p}x{n}" for p, n in sorted(unknown.items())) or "none"))
    velocities = np.array([h.velocity for h in hits])
    out(
        "velocity percentiles 1/10/25/50/75/90/99: "
        + " ".join(f"{v:.0f}" for v in np.percentile(velocities, [1, 10, 25, 50, 75, 90, 99]))
    )


def _print_choices(config: TokenizerConfig, tables: dict, out) -> None:
    out("velocity bins -> mean |error|: " + "  ".join(f"{n}:{e:.2f}" for n, e in tables["velocity"]))
    out(
        f"chosen velocity bins: {len(config.velocity_values)}"
        f" (edges {list(config.velocity_edges)}, values {list(config.velocity_values)})"
    )
    out("grid (units/beat) -> timing error ms mean/p99/max:")
    for resolution, mean, p99, worst in tables["resolution"]:
        out(f"  {resolution:4d}: {mean:5.2f} {p99:5.2f} {worst:5.2f}")
    out(f"chosen resolution: {config.units_per_beat} units per beat")
    gaps = tables["gaps"]
    histogram = Counter(gaps.tolist())
    out(
        "most common gaps (units: share): "
        + ", ".join(f"{g}: {n / len(gaps):.3f}" for g, n in histogram.most_common(16))
    )
    out(
        "gap percentiles 50/90/99/99.9 (units): "
        + " ".join(f"{v:.0f}" for v in np.percentile(gaps, [50, 90, 99, 99.9]))
    )
    out(
        f"shift sizes ({len(config.shift_sizes)}): 1..{_fine_limit(config.shift_sizes)}"
        f" then {[s for s in config.shift_sizes if s > _fine_limit(config.shift_sizes)]}"
    )


def _fine_limit(sizes) -> int:
    limit = 0
    while limit + 1 in sizes:
        limit += 1
    return limit


def _print_token_stats(parts, vocabulary: Vocabulary, out) -> None:
    errors = round_trip_errors(parts, vocabulary)
    tokens = errors["tokens"]
    bars = sum(p.bar_count for _e, p in parts)
    hits = sum(len(p.hits) for _e, p in parts)
    out(
        f"vocabulary: {len(vocabulary)} tokens   tokens: {tokens}"
        f"   per bar: {tokens / bars:.1f}   per hit: {tokens / hits:.2f}"
    )
    out(
        "round trip: timing |error| ms mean {timing_ms_mean:.2f} p99 {timing_ms_p99:.2f} max {timing_ms_max:.2f}; "
        "velocity |error| mean {velocity_mean:.2f} p99 {velocity_p99:.0f}; merged hits {merged_share:.4f}".format(
            **errors
        )
    )
