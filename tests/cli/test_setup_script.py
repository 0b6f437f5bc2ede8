"""scripts/venv.sh (what ./run.sh and ./test.sh run first) sets up .venv quietly: nothing of pip's or
setuptools' notices is left above the terminal UI (issue 13: a "BuildBackendWarning: Editable
installation" stayed in the terminal), and a failed install shows why.

A copy of the tree gets a fresh .venv whose dependencies come from this test run's environment (a
.pth file), so only the project itself is installed: seconds, not the minutes of a first real run.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.cli.test_wheel import _ignore
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

ENSURE = 'set -euo pipefail; source scripts/venv.sh; ensure_venv ""; echo ready'


def _fresh_tree(base: Path) -> Path:
    tree = base / "tree"
    shutil.copytree(ROOT, tree, ignore=_ignore)
    subprocess.run([sys.executable, "-m", "venv", tree / ".venv"], check=True)
    packages = next((tree / ".venv" / "lib").glob("python*/site-packages"))
    ours = [sysconfig.get_paths()["purelib"], *site.getsitepackages()]
    (packages / "deps-of-the-test-run.pth").write_text("\n".join(dict.fromkeys(ours)) + "\n")
    return tree


def _ensure(tree: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return subprocess.run(["bash", "-c", ENSURE], cwd=tree, env=env, capture_output=True, text=True, timeout=600)


def test_the_setup_says_one_line_and_leaves_no_warning(tmp_path):
    tree = _fresh_tree(tmp_path)
    first = _ensure(tree)
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout == "ready\n"
    assert first.stderr.strip().splitlines() == [
        "setting up .venv (the first time takes a few minutes; details in .venv/install.log)"
    ], first.stderr
    assert (tree / ".venv" / "bin" / "beatgen").exists()
    again = _ensure(tree)
    assert (again.returncode, again.stdout, again.stderr) == (0, "ready\n", ""), "set up once, then silent"


def test_a_failed_install_shows_why(tmp_path):
    tree = _fresh_tree(tmp_path)
    (tree / "pyproject.toml").write_text((tree / "pyproject.toml").read_text().replace("[project]", "[project"))
    result = _ensure(tree)
    assert result.returncode == 1 and "ready" not in result.stdout
    assert "error: installing into .venv failed" in result.stderr
    assert "(at line 5, column 9)" in result.stderr, "pip's own reason (the TOML error) is shown"
