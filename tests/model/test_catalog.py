"""Models by name: the bundled one, the user's own, a folder by path, and one line for an unknown name."""

from __future__ import annotations

import json
import shutil

import pytest

from bridge.model.catalog import BUNDLED, model_entries, model_names, resolve_model
from bridge.model.files import DEFAULT_MODEL_DIR, MODEL_JSON, ModelError
from tests.conftest import run_beatgen


def user_model(folder, name: str, clips: int = 5):
    """A copy of the bundled model's files under NAME, marked as fine-tuned on `clips` clips."""
    target = folder / name
    shutil.copytree(DEFAULT_MODEL_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    info = json.loads((target / MODEL_JSON).read_text())
    info["fine_tuned"] = {"from": BUNDLED, "clips": clips, "held_out_clips": 2}
    (target / MODEL_JSON).write_text(json.dumps(info))
    return target


def test_the_bundled_model_comes_first_then_the_users_by_name(tmp_path):
    user_model(tmp_path, "zeta")
    user_model(tmp_path, "alpha", clips=1)
    entries = model_entries(tmp_path)
    assert [entry.name for entry in entries] == [BUNDLED, "alpha", "zeta"]
    assert (entries[0].fine_tuned_from, entries[0].path) == ("", DEFAULT_MODEL_DIR)
    assert (entries[1].fine_tuned_from, entries[1].clips, entries[1].error) == (BUNDLED, 1, None)


def test_a_folder_without_model_json_is_listed_with_why(tmp_path):
    (tmp_path / "empty").mkdir()
    entry = model_entries(tmp_path)[1]
    assert entry.name == "empty" and entry.error is not None and str(tmp_path / "empty" / MODEL_JSON) in entry.error


def test_names_resolve_to_folders_and_paths_stay_paths(tmp_path):
    mine = user_model(tmp_path, "mine")
    assert resolve_model(BUNDLED, tmp_path) == DEFAULT_MODEL_DIR
    assert resolve_model("mine", tmp_path) == mine
    assert resolve_model(str(mine), tmp_path) == mine


def test_an_unknown_name_lists_the_known_models(tmp_path):
    user_model(tmp_path, "mine")
    with pytest.raises(ModelError) as error:
        resolve_model("nope", tmp_path)
    assert str(error.value) == "no model named 'nope'; known models: bundled, mine (beatgen models)"
    assert model_names(tmp_path) == [BUNDLED, "mine"]


def test_beatgen_models_lists_the_users_models_from_the_config_folder(tmp_path, monkeypatch):
    user_model(tmp_path / "config" / "models", "groovy", clips=7)
    monkeypatch.setenv("BEATGEN_CONFIG_DIR", str(tmp_path / "config"))
    result = run_beatgen("models")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bundled") and "shipped" in lines[0]
    assert lines[1].startswith("groovy") and "fine-tuned from bundled on 7 clips" in lines[1]


def test_generate_refuses_an_unknown_model_name_in_one_line(tmp_path):
    from tests.conftest import VALIDATION_FILE

    result = run_beatgen("generate", VALIDATION_FILE, "-o", tmp_path / "x.mid", "--model", "nope")
    assert result.returncode == 2
    assert result.stderr == "beatgen generate: error: no model named 'nope'; known models: bundled (beatgen models)\n"
    assert not (tmp_path / "x.mid").exists()
