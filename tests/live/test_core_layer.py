"""The engine core stays pure: no threads, no clock reads, no MIDI library, and no mido or rtmidi below it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

LIVE = Path(__file__).resolve().parents[2] / "bridge" / "live"
CORE_MODULES = [
    "core", "events", "performance", "transport", "takes", "status", "modes", "note_scheduler",
    "seed_recorder", "clock", "midi_transport", "tempo_line", "tick_arrivals", "midi_packets",
    "midi_input",
]  # fmt: skip
FORBIDDEN = {"threading", "time", "queue", "rtmidi", "mido", "multiprocessing", "asyncio"}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", CORE_MODULES)
def test_a_core_module_imports_no_threads_clock_or_midi_library(module):
    assert not imported_modules(LIVE / f"{module}.py") & FORBIDDEN


def test_importing_the_core_loads_neither_mido_nor_rtmidi():
    code = "import sys, bridge.live.core; print(sorted(m for m in ('mido', 'rtmidi') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
