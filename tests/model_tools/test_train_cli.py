"""`beatgen train`'s command line: help for every option, fine-tuning settings, the missing extra, bad folders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bridge.cli.main import build_parser
from bridge.model.catalog import BUNDLED
from bridge.settings.user_config import user_models_dir
from model_tools.config import TrainConfig
from model_tools.finetune import FINE_TUNE_DEFAULTS, base_model, fine_tune_config, model_folder
from tests.conftest import ROOT, run_beatgen, simple_groove, write_midi


def subcommand(name: str):
    parser = build_parser()
    commands = next(action for action in parser._actions if action.dest == "command")
    return commands.choices[name]


def test_every_train_option_has_help_text():
    options = [action for action in subcommand("train")._actions if action.option_strings]
    assert {action.dest for action in options} >= set(TrainConfig().to_json())
    assert [action.dest for action in options if not action.help] == []


def run_without_tensorflow(*args: str) -> subprocess.CompletedProcess:
    """`beatgen ARGS` in a Python where importing TensorFlow or Keras fails, as without the 'train' extra."""
    code = (
        "import sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None\n"
        "from bridge.cli.main import main\n"
        f"sys.exit(main({list(args)!r}))"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_train_without_the_extra_is_one_line_with_the_install_command(tmp_path):
    result = run_without_tensorflow("train", str(tmp_path), "--from", "bundled", "-o", "mine")
    assert result.returncode == 2
    assert result.stderr == (
        "beatgen train: needs the 'train' extra (TensorFlow): pip install 'beat-generation[train]'\n"
    )


def test_models_works_without_the_extra():
    result = run_without_tensorflow("models")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bundled ") and "shipped" in result.stdout


def test_fine_tuning_keeps_the_base_architecture_and_uses_gentle_defaults():
    base = base_model(BUNDLED)
    config = fine_tune_config(base, {"epochs": 3})
    assert config.epochs == 3  # what the user gave wins
    assert config.learning_rate == FINE_TUNE_DEFAULTS["learning_rate"] < TrainConfig().learning_rate
    assert config.lstm_units == base.config.lstm_units and config.init_from == str(base.path)
    with pytest.raises(ValueError, match=r"--lstm-units cannot change when fine-tuning"):
        fine_tune_config(base, {"lstm_units": 32})


def test_a_plain_name_goes_to_the_users_models_folder():
    assert model_folder("mine") == user_models_dir() / "mine"
    assert model_folder("models/mine") == Path("models/mine")
    with pytest.raises(ValueError, match=r"'bundled' is the shipped model's name"):
        model_folder(BUNDLED)


def test_a_small_folder_is_one_line_not_a_traceback(tmp_path):
    """Checked before TensorFlow starts, so its start-up chatter cannot bury the line."""
    for index in range(2):
        write_midi(tmp_path / f"clip{index}.mid", simple_groove())
    result = run_beatgen("train", tmp_path, "--from", "bundled", "-o", tmp_path / "out")
    assert result.returncode == 2
    assert "2 usable clips" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
