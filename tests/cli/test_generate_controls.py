"""`beatgen generate`'s musical controls with the bundled model: variation, style, density; `beatgen styles`."""

from __future__ import annotations

import mido

from bridge.model.controls import model_styles
from bridge.model.files import DEFAULT_MODEL_DIR, load_model_info
from tests.conftest import VALIDATION_FILE, run_beatgen

E = "beatgen generate: error: "


def _generate(tmp_path, name: str, *options) -> bytes:
    out = tmp_path / name
    result = run_beatgen("generate", VALIDATION_FILE, "-o", out, "--bars", 4, *options)
    assert result.returncode == 0, result.stderr
    return out.read_bytes()


def _hits(path) -> int:
    return sum(m.type == "note_on" and m.velocity > 0 for m in mido.MidiFile(path).tracks[0])


def test_top_k_one_with_no_variation_is_the_same_for_every_random_seed(groove, tmp_path):
    outputs = {
        _generate(tmp_path, f"{seed}.mid", "--top-k", 1, "--variation", 0, "--random-seed", seed) for seed in (1, 2, 3)
    }
    assert len(outputs) == 1


def test_variation_changes_the_output(groove, tmp_path):
    held = _generate(tmp_path, "held.mid", "--variation", 0, "--random-seed", 5)
    roaming = _generate(tmp_path, "roam.mid", "--variation", 1, "--random-seed", 5)
    assert held != roaming


def test_styles_lists_follow_first_then_the_models_styles():
    result = run_beatgen("styles")
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == model_styles(load_model_info(DEFAULT_MODEL_DIR)[0])
    assert result.stdout.startswith("follow  (the seed decides)\n")


def test_an_unknown_style_is_refused_in_one_line_naming_the_allowed_ones(groove, tmp_path):
    out = tmp_path / "out.mid"
    result = run_beatgen("generate", VALIDATION_FILE, "-o", out, "--style", "polka")
    allowed = ", ".join(model_styles(load_model_info(DEFAULT_MODEL_DIR)[0]))
    assert (result.returncode, result.stderr) == (2, f"{E}unknown style 'polka': this model knows {allowed}\n")
    assert not out.exists()


def _validation_beats(groove, count: int) -> list:
    from model_tools.dataset import list_midi_files, select

    entries = select(list_midi_files(groove), "validation", beats_only=True, four_four=True)
    return [entry.path for entry in entries[:: len(entries) // count][:count]]


def test_density_moves_the_hits_per_bar_on_the_same_seeds(groove, tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in _validation_beats(groove, 6):
        (seeds / path.name).write_bytes(path.read_bytes())
    hits = {}
    for density in (0.5, 1.0, 1.5):
        out = tmp_path / str(density)
        result = run_beatgen("generate", seeds, "--out-dir", out, "--density", density, "--random-seed", 3)
        assert result.returncode == 0, result.stderr
        hits[density] = sum(_hits(path) for path in out.iterdir())
    assert hits[0.5] < hits[1.0] < hits[1.5]
