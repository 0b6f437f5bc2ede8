"""Where `beatgen generate` writes: only new or regular files, never an input, never two inputs to one output.

Every refusal comes before anything is written: one line on stderr, exit 2,
the files involved untouched and no temporary file left behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_beatgen, simple_groove, write_midi

E = "beatgen generate: error: "


def _seed(folder: Path, name: str = "seed.mid") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_midi(folder / name, simple_groove(2))


def _snapshot(folder: Path) -> dict[str, object]:
    """What is in `folder` (names, link targets, file bytes), to show that nothing changed."""
    state: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            state[str(path)] = ("link", os.readlink(path))
        elif path.is_file():
            state[str(path)] = path.read_bytes()
        else:
            state[str(path)] = "other"
    return state


def _fifo(tmp: Path, seed: Path) -> tuple[list, str]:
    out = tmp / "out.mid"
    os.mkfifo(out)  # a special file: replacing it was what happened to /dev/full
    return [seed, "-o", out], f"{out}: is a pipe, not a file; refusing to replace it"


def _folder(tmp: Path, seed: Path) -> tuple[list, str]:
    out = tmp / "out.mid"
    out.mkdir()
    return [seed, "-o", out], f"{out}: is a folder, not a file; refusing to replace it"


def _symlink(tmp: Path, seed: Path) -> tuple[list, str]:
    target = tmp / "target.mid"
    target.write_bytes(b"keep me")
    out = tmp / "link.mid"
    out.symlink_to(target)
    return [seed, "-o", out], f"{out}: is a symbolic link; give the path of the file itself (links are not replaced)"


def _output_is_the_input(tmp: Path, seed: Path) -> tuple[list, str]:
    return [seed, "-o", seed], f"{seed}: is the input {seed}; choose another output so the seed is kept"


def _output_is_the_input_spelled_otherwise(tmp: Path, seed: Path) -> tuple[list, str]:
    other = tmp / "sub" / ".." / seed.name
    (tmp / "sub").mkdir()
    return [seed, "-o", other], f"{other}: is the input {seed}; choose another output so the seed is kept"


def _output_is_a_hard_link_of_the_input(tmp: Path, seed: Path) -> tuple[list, str]:
    other = tmp / "hard.mid"
    os.link(seed, other)
    return [seed, "-o", other], f"{other}: is the input {seed}; choose another output so the seed is kept"


def _out_dir_collision(tmp: Path, seed: Path) -> tuple[list, str]:
    a, b = _seed(tmp / "a", "x.mid"), _seed(tmp / "b", "x.mid")
    out = tmp / "out"
    target = out / "x_continued.mid"
    return [a, b, "--out-dir", out], f"{a} and {b} would both be written to {target}; rename one or run them separately"


def _out_dir_output_is_another_input(tmp: Path, seed: Path) -> tuple[list, str]:
    later = _seed(tmp, "seed_continued.mid")  # seed.mid's output would overwrite this input
    return [seed, later, "--out-dir", tmp], f"{later}: is the input {later}; choose another output so the seed is kept"


CASES = [
    _fifo,
    _folder,
    _symlink,
    _output_is_the_input,
    _output_is_the_input_spelled_otherwise,
    _output_is_a_hard_link_of_the_input,
    _out_dir_collision,
    _out_dir_output_is_another_input,
]


@pytest.mark.parametrize("case", CASES, ids=[case.__name__.strip("_") for case in CASES])
def test_refused_outputs_write_nothing(tmp_path, case):
    seed = _seed(tmp_path)
    args, message = case(tmp_path, seed)
    before = _snapshot(tmp_path)
    result = run_beatgen("generate", *args)
    assert (result.returncode, result.stderr, result.stdout) == (2, E + message + "\n", "")
    assert _snapshot(tmp_path) == before, "a refused run changed files"


def test_a_regular_file_is_replaced_whole_and_no_temporary_is_left(tmp_path):
    seed = _seed(tmp_path)
    out = tmp_path / "out.mid"
    out.write_bytes(b"old")
    result = run_beatgen("generate", seed, "-o", out, "--bars", 1, "--random-seed", 1)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"MThd")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mid", "seed.mid"]


ARGUMENT_CASES = [
    ("--temperature", "inf", "inf is out of range: a number from 0.05 to 3"),
    ("--temperature", "nan", "nan is out of range: a number from 0.05 to 3"),
    ("--temperature", "-1", "-1 is out of range: a number from 0.05 to 3"),
    ("--top-p", "0", "0 is out of range: a number from 0.05 to 1"),
    ("--top-k", "-1", "-1 is out of range: a whole number from 0 to 200"),
    ("--top-k", "many", "'many' is not a whole number"),
    ("--variation", "1.5", "1.5 is out of range: a number from 0 to 1"),
    ("--variation", "-0.1", "-0.1 is out of range: a number from 0 to 1"),
    ("--density", "2.5", "2.5 is out of range: a number from 0 to 2"),
    ("--density", "nan", "nan is out of range: a number from 0 to 2"),
    ("--fill-every", "-1", "-1 is out of range: a whole number from 0 to 256"),
    ("--bars", "0", "0 is out of range: a whole number from 1 to 256"),
    ("--bars", "1000000000", "1000000000 is out of range: a whole number from 1 to 256"),
    ("--seed-bars", "0", "0 is out of range: a whole number from 1 to 16"),
    ("--channel", "17", "17 is out of range: a whole number from 1 to 16"),
    ("--random-seed", "-3", "-3 is out of range: a whole number from 0 to 2147483647"),
]


@pytest.mark.parametrize(("option", "value", "message"), ARGUMENT_CASES)
def test_out_of_range_options_are_refused_in_one_line(tmp_path, option, value, message):
    seed = _seed(tmp_path)
    out = tmp_path / "out.mid"
    result = run_beatgen("generate", seed, "-o", out, option, value)
    expected = f"beatgen generate: error: argument {option}: {message} (see beatgen generate --help)\n"
    assert (result.returncode, result.stderr) == (2, expected)
    assert not out.exists()
