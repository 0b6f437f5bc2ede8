"""The runtime path stays free of TensorFlow, and `beatgen bench` prints real numbers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, run_beatgen


def test_runtime_path_never_imports_tensorflow():
    code = (
        "import sys, numpy as np\n"
        "from bridge.model.step_model import StepModel\n"
        "from bridge.model.continuation import Continuer\n"
        "from bridge.music.sampling import SamplingSettings\n"
        "import bridge.cli.main as cli, bridge.generate\n"
        "m = StepModel()\n"
        "c = Continuer(m, 384); c.prime([1]); c.generate_bars(1, SamplingSettings(), np.random.default_rng(0))\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('tensorflow', 'keras', 'tf_keras')))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert output.stdout.strip() == "[]"


@pytest.mark.slow
def test_bench_reports_latencies_and_runtime_cost():
    result = run_beatgen("bench", "--json", "--tokens", 300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for variant in ("float32", "int8"):
        step = report["step"][variant]
        assert step["count"] == 300 and 0 < step["median_us"] <= step["p99_us"]
        assert report["bar"][variant]["tokens_per_bar"] > 1
        assert report["speedup_vs_notebook"][variant] > 1
    assert report["notebook"]["count"] > 0
    for way in ("whole_bar", "ahead"):
        assert (
            report["answer"][way]["count"] == 40
            and 0 < report["answer"][way]["median_us"] <= report["answer"][way]["p99_us"]
        )
    assert (
        report["answer"]["speedup"]
        == report["answer"]["whole_bar"]["median_us"] / report["answer"]["ahead"]["median_us"]
    )
    assert report["runtime"]["tensorflow_imported"] is False
    assert report["runtime"]["rss_mb_median"] > report["runtime"]["empty_python_rss_mb"] > 0


def test_bench_table_output():
    result = run_beatgen("bench", "--tokens", 300, "--no-reference")
    assert result.returncode == 0, result.stderr
    assert "step model float32" in result.stdout and "runtime path" in result.stdout
    assert "hear the last 8th, write to the downbeat" in result.stdout
