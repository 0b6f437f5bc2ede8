"""The `beatgen` command line is assembled from entry points: every command is there, and bridge/ imports
neither tui/ nor model_tools/ (they register themselves; dependencies point one way)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import bridge
import bridge.cli.main as cli
from bridge.resources import EXAMPLE_SEED, NOTE_MAPS_DIR, PRESETS_DIR
from tests.conftest import ROOT, run_beatgen

COMMANDS = [
    "generate", "styles", "bench", "models", "note-maps", "run", "bench-live", "ports",  # bridge's own
    "tui", "bench-tui",  # tui/, through the entry point
    "analyze", "train", "convert", "evaluate",  # model_tools/, through the entry point
]  # fmt: skip


def test_every_command_is_registered_in_the_order_of_the_help():
    commands = cli.build_parser()._subparsers._group_actions[0].choices
    assert list(commands) == COMMANDS
    assert [entry.value for entry in cli.command_entry_points()] == [
        "tui.cli:add_commands",
        "model_tools.cli:add_commands",
    ]


def test_the_bridge_imports_neither_the_ui_nor_the_training_tools():
    """No import of tui/, model_tools/ or devtools/ anywhere in bridge/ (devtools only lazily, for bench-live)."""
    found = []
    for path in sorted((ROOT / "bridge").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                lazy_devtools = top == "devtools" and path.name == "live.py" and node.col_offset > 0
                if top in ("tui", "model_tools", "devtools") and not lazy_devtools:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert found == []


def test_building_the_parser_imports_neither_textual_nor_tensorflow():
    code = (
        "import sys, bridge.cli.main as m; m.build_parser(); "
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'textual', 'tensorflow', 'keras'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def test_version_names_the_package():
    result = run_beatgen("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"beatgen {bridge.__version__}"


def test_python_m_model_tools_has_the_four_training_commands():
    result = subprocess.run(
        [sys.executable, "-m", "model_tools", "--help"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m model_tools")
    assert all(f"    {name} " in result.stdout for name in ("analyze", "train", "convert", "evaluate"))
    assert "    tui " not in result.stdout and "    generate " not in result.stdout


def test_bench_live_without_devtools_says_so_in_one_line(monkeypatch, capsys):
    """An installed wheel has no devtools/: one clear line and exit 2, not a traceback."""
    import bridge.resources

    monkeypatch.setattr(bridge.resources, "checkout_root", lambda: None)
    for name in [n for n in sys.modules if n == "devtools" or n.startswith("devtools.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if not (Path(p or ".") / "devtools").is_dir()])
    assert cli.main(["bench-live"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "beatgen bench-live needs a checkout of the repository (devtools/ is not installed)"
    ]


def test_a_checkout_reads_the_repositorys_presets_and_example_seed():
    """No copy in bridge/resources/ in a checkout: edits to presets/ count at once (a wheel carries a copy)."""
    assert PRESETS_DIR == ROOT / "presets" and NOTE_MAPS_DIR == ROOT / "presets" / "note-maps"
    assert EXAMPLE_SEED == ROOT / "examples" / "seed_groove.mid" and EXAMPLE_SEED.is_file()
    assert not (ROOT / "bridge" / "resources" / "presets").exists()
