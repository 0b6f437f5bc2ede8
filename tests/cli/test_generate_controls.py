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


# -- generate --preset: one shaping path with the live bridge ---------------------------------------


def _note_ons(path) -> list:
    return [m for m in mido.MidiFile(path).tracks[0] if m.type == "note_on" and m.velocity > 0]


def test_a_preset_shapes_the_file_as_live_mute_note_map_channel_and_bar_counts(groove, tmp_path):
    preset = tmp_path / "mine.toml"
    preset.write_text(
        '[mode]\nlisten_bars = 2\nresponse_bars = 3\n[generation]\nrandom_seed = 4\nstyle = "rock"\n'
        '[drums]\nmute = ["kick", "closed_hh"]\n[output]\nchannel = 5\nnote_map = "ableton"\n'
        "[feel]\nvelocity_scale = 0.5\n"
    )
    out = tmp_path / "out.mid"
    result = run_beatgen("generate", VALIDATION_FILE, "-o", out, "--preset", preset)
    assert result.returncode == 0, result.stderr
    assert "3 bars" in result.stdout and "2-bar seed" in result.stdout
    notes = _note_ons(out)
    ableton_kick, ableton_closed_hh = 36, 42  # presets/note-maps/ableton.toml
    assert notes and {m.channel for m in notes} == {4}
    assert not {m.note for m in notes} & {ableton_kick, ableton_closed_hh}, "muted drums are not written"
    assert max(m.velocity for m in notes) <= 64, "velocity scale 0.5"
    again = tmp_path / "again.mid"
    assert run_beatgen("generate", VALIDATION_FILE, "-o", again, "--preset", preset).returncode == 0
    assert out.read_bytes() == again.read_bytes(), "the preset's random seed makes it reproducible"


def test_flags_override_the_presets_values(groove, tmp_path):
    out = tmp_path / "out.mid"
    result = run_beatgen(
        "generate",
        VALIDATION_FILE,
        "-o",
        out,
        "--preset",
        "wild-fills",
        "--bars",
        2,
        "--channel",
        3,
        "--random-seed",
        1,
    )
    assert result.returncode == 0, result.stderr
    assert "2 bars" in result.stdout, "wild-fills answers with 1 bar; --bars 2 wins"
    assert {m.channel for m in _note_ons(out)} == {2}


def test_an_unknown_preset_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "out.mid"
    result = run_beatgen("generate", VALIDATION_FILE, "-o", out, "--preset", "no-such-preset")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "no-such-preset" in result.stderr and not out.exists()
