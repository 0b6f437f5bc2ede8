"""`beatgen bench-tui`: how long `beatgen` takes from launch until the app is interactive.

Each run launches the real command (`beatgen tui --exit-when-ready`) as a
new process, the way a user starts it: Python start-up, imports, the preset,
composing every widget and the first frame.  The app counts as interactive
at Textual's Ready event (the first frame is drawn; keys are handled from
then on); the bridge opens in a thread and is not waited for, as in real use.
The child reports Ready's wall-clock time; this process subtracts its own
launch time (the same clock).  The first run warms the file cache and is not
counted.  Runs are headless (no terminal needed), with presets in a fresh
temporary folder so the user's own presets do not change the numbers.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BAR_SECONDS = 1.5
T0_VARIABLE = "BEATGEN_BENCH_T0"
MARKER = "tui-ready"


def report_ready(app) -> None:
    """In the child: print the seconds from the parent's launch to Ready."""
    t0 = float(os.environ.get(T0_VARIABLE, "nan"))
    if app.ready_at is None:
        print(f"{MARKER} none", flush=True)
    else:
        print(f"{MARKER} {app.ready_at - t0:.4f}", flush=True)


def beatgen_command() -> list[str]:
    script = Path(sys.executable).parent / "beatgen"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bridge.cli.main"]


def measure_once(env: dict) -> float:
    env = dict(env, **{T0_VARIABLE: repr(time.time())})
    result = subprocess.run(
        beatgen_command() + ["tui", "--exit-when-ready"], env=env, capture_output=True, text=True, timeout=120
    )
    for line in result.stdout.splitlines():
        if line.startswith(MARKER + " ") and line.split()[1] != "none":
            return float(line.split()[1])
    raise RuntimeError(f"beatgen tui did not report ready (exit {result.returncode}): {result.stderr.strip()[-800:]}")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (with few runs, p99 is the slowest run)."""
    ordered = sorted(values)
    rank = math.ceil(round(fraction * len(ordered), 6))
    return ordered[max(0, min(len(ordered), rank) - 1)]


def run_bench_tui(runs: int = 15, as_json: bool = False) -> int:
    with tempfile.TemporaryDirectory(prefix="beatgen-bench-tui-") as config:
        env = dict(os.environ, BEATGEN_CONFIG_DIR=config)
        measure_once(env)  # warm-up: file cache, .pyc files
        samples = [measure_once(env) for _ in range(runs)]
    result: dict[str, Any] = {
        "runs": runs,
        "median_s": round(statistics.median(samples), 4),
        "p99_s": round(percentile(samples, 0.99), 4),
        "min_s": round(min(samples), 4),
        "max_s": round(max(samples), 4),
        "bar_s": BAR_SECONDS,
        "samples_s": [round(s, 4) for s in samples],
    }
    if as_json:
        print(json.dumps(result))
    else:
        verdict = "met" if result["p99_s"] <= BAR_SECONDS else "NOT met"
        print(f"bench-tui: launch of `beatgen tui` to the first frame (Textual Ready), {runs} runs after a warm-up")
        print(f"median {result['median_s']:.3f} s  p99 {result['p99_s']:.3f} s  min {result['min_s']:.3f} s  "
              f"max {result['max_s']:.3f} s  (bar {BAR_SECONDS} s: {verdict})")  # fmt: skip
    return 0
