"""The wheel runs the main job: built from this tree, installed in a fresh venv outside the checkout.

The wheel is built with pip (build isolation: setuptools>=77 comes from the
package index, as on a fresh CI machine) from a copy of the tree, so no
stale build/ folder of the checkout can slip files in.  It is installed with
its dependencies from the index into a new venv in a temporary folder, and
every command runs from a temporary working folder with no PYTHONPATH, so
nothing of the checkout can be picked up: the presets, note maps and example
seed must come from the wheel itself.  No MIDI system is needed: the bridge
is pointed at a JACK server that does not exist and must say so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest

import bridge
from tests.cli.test_commands import COMMANDS
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

# Left out of the copy the wheel is built from: version control, local environments and build outputs.
SKIP_AT_ROOT = set(".git .venv build dist out runs models .ruff_cache .pytest_cache .hypothesis".split())
SKIP_ANYWHERE = ("__pycache__", "*.egg-info", "*.pyc")


def _ignore(folder: str, names: list[str]) -> set[str]:
    skipped = set(shutil.ignore_patterns(*SKIP_ANYWHERE)(folder, names))
    return skipped | (SKIP_AT_ROOT & set(names) if Path(folder) == ROOT else set())


def _run(command: list, env: dict, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=_ignore)
    result = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", base / "dist", source],
        dict(os.environ),
        base,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (path,) = (base / "dist").glob("beat_generation-*.whl")
    return path


class Installed(NamedTuple):
    bin: Path  # the venv's bin folder
    env: dict  # the environment to run it in
    work: Path  # a working folder outside the checkout
    site: Path  # the venv's site-packages


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("installed")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
    result = _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], dict(os.environ), base, 900)
    assert result.returncode == 0, result.stderr[-3000:]
    unset = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONNOUSERSITE="1",
        BEATGEN_CONFIG_DIR=str(base / "config"),  # the user's own presets stay out of it
        # libjack must neither start a server nor find one: the bridge has no MIDI system to open.
        JACK_NO_START_SERVER="1",
        JACK_DEFAULT_SERVER=f"beatgen-wheel-test-{os.getpid()}",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    work = base / "work"
    work.mkdir()
    site = _run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], env, work)
    return Installed(venv / "bin", env, work, Path(site.stdout.strip()).resolve())


def test_the_wheel_carries_presets_note_maps_seed_and_model_but_no_dev_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "presets").rglob("*")) if p.is_file()]
    assert {"presets/call-and-response.toml", "presets/note-maps/gm.toml", "presets/README.md"} <= set(shipped)
    missing = [name for name in shipped if f"bridge/resources/{name}" not in names]
    assert missing == []
    assert "bridge/resources/examples/seed_groove.mid" in names
    assert {"bridge/model/model.tflite", "bridge/model/model_int8.tflite", "bridge/model/model.json"} <= names
    assert {"tui/cli.py", "model_tools/cli.py", "bridge/resources/__init__.py"} <= names
    unwanted = [
        n for n in names if n.endswith(".npz") or n.split("/")[0] in ("devtools", "tests", "examples", "presets")
    ]
    assert unwanted == []
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "[beatgen.commands]" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_version_and_every_command(installed):
    bin_dir, env, work, _ = installed
    result = _run([bin_dir / "beatgen", "--version"], env, work)
    assert (result.returncode, result.stdout.strip()) == (0, f"beatgen {bridge.__version__}"), result.stderr
    result = _run([bin_dir / "beatgen", "--help"], env, work)
    assert result.returncode == 0, result.stderr
    assert all(f"    {command}" in result.stdout for command in COMMANDS), result.stdout


def test_the_installed_code_reads_its_own_presets_note_maps_and_seed(installed):
    bin_dir, env, work, site = installed
    code = (
        "import json, bridge\n"
        "from bridge.resources import EXAMPLE_SEED, PRESETS_DIR\n"
        "from bridge.settings.note_maps import available_note_maps\n"
        "from bridge.settings.preset_store import PRESET_SEARCH\n"
        "from bridge.settings.presets import DEFAULT_PRESET, load_preset\n"
        "preset = load_preset(DEFAULT_PRESET, PRESET_SEARCH)\n"
        "print(json.dumps({'bridge': bridge.__file__, 'seed': str(EXAMPLE_SEED), 'presets': str(PRESETS_DIR),\n"
        "    'preset': preset.name, 'preset_path': str(preset.path), 'note_maps': available_note_maps()}))\n"
    )
    result = _run([bin_dir / "python", "-c", code], env, work)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    bridge_file, presets, seed, preset_path = (
        Path(found[k]).resolve() for k in ("bridge", "presets", "seed", "preset_path")
    )
    assert bridge_file.is_relative_to(site), found  # not the checkout
    assert presets == site / "bridge" / "resources" / "presets"
    assert seed.is_file() and seed.is_relative_to(site)
    assert found["preset"] == "call-and-response" and preset_path.is_relative_to(site)
    assert found["note_maps"] == sorted(p.stem for p in (ROOT / "presets" / "note-maps").glob("*.toml"))


def test_generate_continues_the_installed_example_seed(installed):
    bin_dir, env, work, site = installed
    seed = site / "bridge" / "resources" / "examples" / "seed_groove.mid"
    result = _run([bin_dir / "beatgen", "generate", seed, "-o", "out.mid", "--random-seed", 1], env, work)
    assert result.returncode == 0, result.stderr
    assert (work / "out.mid").stat().st_size > 0 and result.stdout.startswith("wrote out.mid")


def test_run_loads_its_preset_and_reports_the_missing_midi_system(installed):
    bin_dir, env, work, _ = installed
    result = _run([bin_dir / "beatgen", "run", "--backend", "jack"], env, work, timeout=120)
    assert result.returncode == 3, result.stderr  # NO_MIDI_EXIT: the preset loaded, then no ports
    assert "no MIDI backend could open ports" in result.stderr and "JACK" in result.stderr, result.stderr
    assert "no preset named" not in result.stderr, result.stderr


def test_bench_live_needs_a_checkout(installed):
    bin_dir, env, work, _ = installed
    result = _run([bin_dir / "beatgen", "bench-live"], env, work)
    assert result.returncode == 2
    assert result.stderr.strip() == "beatgen bench-live needs a checkout of the repository (devtools/ is not installed)"


def test_the_terminal_ui_starts_with_the_default_preset(installed):
    bin_dir, env, work, _ = installed
    result = _run([bin_dir / "beatgen", "tui", "--exit-when-ready"], dict(env, BEATGEN_BENCH_T0="0"), work, 120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tui-ready ") and "none" not in result.stdout, result.stdout
