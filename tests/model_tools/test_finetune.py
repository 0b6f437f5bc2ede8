"""A real fine-tuning run of the bundled model on a few validation clips: it must get closer to them."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from bridge.model.catalog import model_entries, resolve_model
from tests.conftest import GROOVE, VALIDATION_FILE, run_beatgen

pytestmark = pytest.mark.slow

# One drummer, one session, rock and pop beats of the validation split (never the test split):
# clips a user could have recorded in one evening.  Held out automatically: 2 of the 8.
# (With 6 of them the 4 left to learn from moved the held-out clips by 0.1 bits/bar only.)
CLIPS = [
    f"drummer7/session2/{name}_beat_4-4.mid"
    for name in ("14_rock_95", "46_rock_135", "100_pop_142", "102_pop_132", "8_rock_95", "27_rock_75")
    + ("15_rock_118", "96_pop_142")
]


def test_fine_tuning_on_a_few_clips_lowers_their_held_out_loss(tmp_path):
    clips = tmp_path / "my clips"
    clips.mkdir()
    for name in CLIPS:
        shutil.copy(GROOVE / name, clips / os.path.basename(name))
    result = run_beatgen("train", clips, "--from", "bundled", "-o", "mine", "--quiet", "--epochs", "3")
    assert result.returncode == 0, result.stderr
    assert "held out 2 of 8 clips" in result.stdout
    assert "epoch 1/3" in result.stdout and "left" in result.stdout  # the run's ETA line

    model = resolve_model("mine")
    info = json.loads((model / "model.json").read_text())
    tuned = info["fine_tuned"]
    assert tuned["from"] == "bundled" and tuned["clips"] == 6 and tuned["held_out_clips"] == 2
    assert tuned["held_out"]["fine_tuned"]["bits_per_bar"] < tuned["held_out"]["start"]["bits_per_bar"]
    assert "bits/bar closer" in result.stdout

    entry = next(entry for entry in model_entries() if entry.name == "mine")
    assert (entry.fine_tuned_from, entry.clips, entry.error) == ("bundled", 6, None)
    listed = run_beatgen("models")
    assert "fine-tuned from bundled on 6 clips" in listed.stdout

    out = tmp_path / "out.mid"
    generated = run_beatgen("generate", VALIDATION_FILE, "-o", out, "--model", "mine", "--random-seed", "1")
    assert generated.returncode == 0, generated.stderr
    assert out.stat().st_size > 0

    again = run_beatgen("train", clips, "--from", "bundled", "-o", "mine", "--epochs", "3")
    assert again.returncode == 2 and "pass --resume" in again.stderr  # a finished model is not overwritten

    resumed = run_beatgen("train", clips, "--from", "bundled", "-o", "mine", "--resume", "--epochs", "4")
    assert resumed.returncode == 0, resumed.stderr
    assert "epoch 4/4" in resumed.stdout and "epoch 1/4" not in resumed.stdout, "only the epoch not yet run"
    assert json.loads((model / "model.json").read_text())["fine_tuned"]["clips"] == 6
