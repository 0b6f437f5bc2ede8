"""`beatgen bench`: per-token latency of the step model against the notebook's method, bar time,
the model work an answer's first note waits for, import cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from bridge.model.files import KERAS_WEIGHTS, VARIANT_FILES, load_model_info
from bridge.model.step_model import StepModel
from bridge.music.hits import Hit
from bridge.resources import EXAMPLE_SEED

NOTEBOOK_WINDOW = 200  # the notebook re-ran a 200-token window for every generated token
NOTEBOOK_REPEATS = 30
BAR_REPEATS = 40
RUNTIME_PROBES = 5
ANSWER_REPEATS = 40
SEED_FILE = EXAMPLE_SEED
BENCH_GROUP, KERAS_REFERENCE = "beatgen.bench", "keras-reference"  # entry point: model folder -> Keras model

# Imports the runtime path, loads the bundled model and generates one bar, then
# reports its own cost; run in a fresh interpreter so nothing is preloaded.
RUNTIME_PROBE = """
import json, sys, time
started = time.perf_counter()
from bridge.cli.bench_probe import peak_rss_mb
import numpy as np
from bridge.model.continuation import Continuer
from bridge.music.sampling import SamplingSettings
from bridge.model.step_model import StepModel
from bridge.music.tokens import BAR
model = StepModel(sys.argv[1])
continuer = Continuer(model, 4 * model.vocabulary.config.units_per_beat)
continuer.prime([BAR])
continuer.generate_bars(1, SamplingSettings(), np.random.default_rng(0))
print(json.dumps({"seconds": time.perf_counter() - started, "rss_mb": peak_rss_mb(),
                  "tensorflow_imported": any(m.split(".")[0] in ("tensorflow", "keras") for m in sys.modules)}))
"""
EMPTY_PROBE = (
    "import json; from bridge.cli.bench_probe import peak_rss_mb; "
    "print(json.dumps({'seconds': 0, 'rss_mb': peak_rss_mb()}))"
)


def percentiles(samples_seconds) -> dict:
    values = np.asarray(samples_seconds) * 1e6
    return {"median_us": float(np.median(values)), "p99_us": float(np.percentile(values, 99)), "count": len(values)}


def step_latency(model: StepModel, tokens: int) -> dict:
    """Full Python round trip per token: set inputs, invoke, copy state, read logits."""
    rng = np.random.default_rng(0)
    stream = rng.integers(1, len(model.vocabulary), size=tokens + 200)
    positions = rng.integers(0, 48, size=tokens + 200)
    extra = (0,) * (len(model.info["inputs"]) - 2)  # lookback (and conditions): every slot written, as in use
    timings = []
    for token, position in zip(stream, positions):
        started = time.perf_counter()
        model.step(int(token), int(position), extra)
        timings.append(time.perf_counter() - started)
    return percentiles(timings[200:])  # the first calls warm caches


def bar_latency(model: StepModel) -> dict:
    """Time to sample one 4/4 bar after a real-sized seed, per bar."""
    from bridge.model.continuation import Continuer
    from bridge.music.sampling import SamplingSettings

    settings, rng = SamplingSettings(), np.random.default_rng(1)
    continuer = Continuer(model, 4 * model.vocabulary.config.units_per_beat)
    continuer.prime([1])
    continuer.generate_bars(2, settings, rng)
    timings, tokens = [], 0
    for _ in range(BAR_REPEATS):
        started = time.perf_counter()
        tokens += len(continuer.generate_bars(1, settings, rng).tokens) - 1
        timings.append(time.perf_counter() - started)
    result = percentiles(timings)
    result["tokens_per_bar"] = tokens / BAR_REPEATS
    return result


def answer_latency(model: StepModel) -> dict:
    """The model work an answer's first note waits for after the cut, on the example groove's
    2-bar call.  Baseline: hear the call's last bar whole, then write the answer's first bar whole
    (what the bridge did before it heard calls ahead and handed downbeats over).  Now: hear the
    last 8th (hear_ahead took the rest while it was played), write up to the downbeat."""
    from bridge.midi_io.midi_files import read_drum_part
    from bridge.model.stream import LiveStream
    from bridge.music.sampling import SamplingSettings

    part = read_drum_part(SEED_FILE)
    call = [
        [Hit(hit.time - start, hit.drum, hit.velocity) for hit in part.hits if start <= hit.time < end]
        for start, end in zip(part.bar_lines[:2], part.bar_lines[1:3])
    ]
    timings: dict[str, list[float]] = {"whole_bar": [], "ahead": []}
    for repeat in range(ANSWER_REPEATS):
        for way, times in timings.items():
            stream = LiveStream(model)
            stream.reset(0)
            stream.hear_bar(call[0])
            if way == "ahead":
                stream.hear_ahead(call[1], 3.5 - 1 / 24)  # the engine's last preview: 8th 7, less a tick
            handed: list[float] = []

            def note_handed(_hits: list[Hit], handed: list[float] = handed) -> None:
                handed.append(time.perf_counter())

            started = time.perf_counter()
            stream.hear_bar(call[1])
            stream.play_bar(SamplingSettings(), np.random.default_rng(repeat), note_handed)
            finished = handed[0] if way == "ahead" and handed else time.perf_counter()
            times.append(finished - started)
    result = {way: percentiles(times) for way, times in timings.items()}
    result["speedup"] = result["whole_bar"]["median_us"] / result["ahead"]["median_us"]
    return result


def notebook_latency(model_dir: Path) -> dict | None:
    """A 200-token window through the Keras model per generated token, as the notebook did."""
    if not (Path(model_dir) / KERAS_WEIGHTS).is_file():
        return None
    keras_model = _keras_reference(model_dir)
    if keras_model is None:
        return None
    info = load_model_info(model_dir)[0]
    window = [
        np.ones((1, NOTEBOOK_WINDOW), np.int32),
        np.zeros((1, NOTEBOOK_WINDOW), np.int32),
        np.zeros((1, NOTEBOOK_WINDOW, info["lookback"]["bars"]), np.int32),
    ]
    # A conditioned model has one more input per condition (0 = not given).
    window += [np.zeros((1, NOTEBOOK_WINDOW), np.int32) for _name in info.get("conditions", {}).get("names", [])]
    keras_model(window, training=False)
    timings = []
    for _ in range(NOTEBOOK_REPEATS):
        started = time.perf_counter()
        keras_model(window, training=False).numpy()
        timings.append(time.perf_counter() - started)
    return percentiles(timings)


def _keras_reference(model_dir: Path):
    """The trained Keras model rebuilt from the model folder, or None without the training tools and TensorFlow.

    The training tools provide it through the "beatgen.bench" entry point `keras-reference` (pyproject.toml),
    as they provide their commands: the runtime never imports them, nor TensorFlow, itself.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for entry_point in metadata.entry_points(group=BENCH_GROUP, name=KERAS_REFERENCE):
        try:
            return entry_point.load()(model_dir)
        except ImportError:  # no TensorFlow: the reference is left out, as the report says
            return None
    return None


def runtime_cost(model_dir: Path) -> dict:
    """Fresh-process cost of the runtime path, with an empty interpreter as the baseline."""
    root = str(Path(__file__).resolve().parents[2])
    runs = [_probe(RUNTIME_PROBE, model_dir, root) for _ in range(RUNTIME_PROBES)]
    empty = [_probe(EMPTY_PROBE, model_dir, root) for _ in range(RUNTIME_PROBES)]
    return {
        "seconds_median": float(np.median([r["seconds"] for r in runs])),
        "seconds_max": float(np.max([r["seconds"] for r in runs])),
        "rss_mb_median": float(np.median([r["rss_mb"] for r in runs])),
        "empty_python_rss_mb": float(np.median([r["rss_mb"] for r in empty])),
        "tensorflow_imported": any(r["tensorflow_imported"] for r in runs),
    }


def _probe(code: str, model_dir: Path, root: str) -> dict:
    output = subprocess.run(
        [sys.executable, "-c", code, str(model_dir)], capture_output=True, text=True, check=True, cwd=root
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def run_bench(model_dir: str | Path, tokens: int, as_json: bool, reference: bool = True) -> int:
    model_dir = Path(model_dir)
    result: dict = {"step": {}, "bar": {}}
    for variant in VARIANT_FILES:
        model = StepModel(model_dir, variant)
        result["step"][variant] = step_latency(model, tokens)
        result["bar"][variant] = bar_latency(model)
    result["answer"] = answer_latency(StepModel(model_dir))
    result["runtime"] = runtime_cost(model_dir)
    notebook = notebook_latency(model_dir) if reference else None
    result["notebook"] = notebook
    if notebook:
        result["speedup_vs_notebook"] = {
            v: notebook["median_us"] / result["step"][v]["median_us"] for v in VARIANT_FILES
        }
    print(json.dumps(result, indent=1) if as_json else format_bench(result))
    return 0


def format_bench(result: dict) -> str:
    lines = ["per-token latency (Python round trip)      median        p99"]
    for variant, row in result["step"].items():
        lines.append(f"  step model {variant:<8}              {row['median_us']:9.1f} us {row['p99_us']:9.1f} us")
    notebook = result.get("notebook")
    if notebook:
        lines.append(
            f"  notebook method (Keras, 200-token window) {notebook['median_us'] / 1000:7.1f} ms"
            f" {notebook['p99_us'] / 1000:7.1f} ms"
        )
        for variant, ratio in result["speedup_vs_notebook"].items():
            lines.append(f"  speed-up {variant}: {ratio:,.0f}x")
    else:
        lines.append(f"  notebook method: not measured (needs TensorFlow and {KERAS_WEIGHTS} in the model folder)")
    lines.append("one generated 4/4 bar                      median        p99   tokens/bar")
    for variant, row in result["bar"].items():
        lines.append(
            f"  {variant:<8}                         {row['median_us'] / 1000:9.2f} ms"
            f" {row['p99_us'] / 1000:8.2f} ms {row['tokens_per_bar']:8.1f}"
        )
    answer = result["answer"]
    lines.append("model work an answer's first note waits for after the cut (float32, example call)")
    for way, label in (
        ("whole_bar", "hear the last bar, write the first bar (baseline)"),
        ("ahead", "hear the last 8th, write to the downbeat"),
    ):
        row = answer[way]
        lines.append(f"  {label:<50} {row['median_us'] / 1000:6.2f} ms {row['p99_us'] / 1000:6.2f} ms")
    lines.append(f"  {answer['speedup']:.1f}x less work in the cut's 15 ms")
    runtime = result["runtime"]
    lines.append(
        f"runtime path (fresh process: import, load model, generate a bar): {runtime['seconds_median']:.3f} s median, "
        f"{runtime['seconds_max']:.3f} s max, RSS {runtime['rss_mb_median']:.0f} MB "
        f"(empty Python: {runtime['empty_python_rss_mb']:.0f} MB);"
        f" TensorFlow imported: {runtime['tensorflow_imported']}"
    )
    return "\n".join(lines)
