"""`beatgen generate` end to end with the bundled model, and every bad input."""

from __future__ import annotations

import shutil

import mido
import pytest

from tests.conftest import VALIDATION_FILE, run_beatgen, simple_groove, write_midi

BEATS_PER_BAR = 4


def note_events(path):
    """(beat, type, channel, note, velocity) of every note message."""
    midi = mido.MidiFile(path)
    tick, events = 0, []
    for message in midi.tracks[0]:
        tick += message.time
        if message.type in ("note_on", "note_off"):
            kind = "on" if message.type == "note_on" and message.velocity else "off"
            events.append((tick / midi.ticks_per_beat, kind, message.channel, message.note, message.velocity))
    return midi, events


def assert_every_note_on_has_its_note_off(events):
    sounding = set()
    for _beat, kind, channel, note, _velocity in events:
        if kind == "on":
            assert (channel, note) not in sounding
            sounding.add((channel, note))
        else:
            sounding.remove((channel, note))
    assert not sounding


def test_generate_continues_a_validation_file(groove, tmp_path):
    out = tmp_path / "out.mid"
    result = run_beatgen("generate", VALIDATION_FILE, "-o", out, "--bars", 4, "--random-seed", 3)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "wrote" in result.stdout and "4 bars" in result.stdout
    midi, events = note_events(out)
    tempo = [m for m in midi.tracks[0] if m.type == "set_tempo"][0]
    signature = [m for m in midi.tracks[0] if m.type == "time_signature"][0]
    assert round(mido.tempo2bpm(tempo.tempo)) == 102 and (signature.numerator, signature.denominator) == (4, 4)
    onsets = [e for e in events if e[1] == "on"]
    assert len(onsets) >= 8, "a 4-bar continuation of a funk groove has hits"
    assert {e[2] for e in events} == {9}
    assert all(0 <= e[0] < 4 * BEATS_PER_BAR for e in onsets), "notes inside the requested bars"
    assert {int(e[0] // BEATS_PER_BAR) for e in onsets} >= {0, 3}, "hits in the first and the last bar"
    assert_every_note_on_has_its_note_off(events)


def test_include_seed_channel_and_reproducibility(groove, tmp_path):
    args = ["generate", VALIDATION_FILE, "--bars", 2, "--seed-bars", 2, "--include-seed", "--channel", 1]
    first = run_beatgen(*args, "-o", tmp_path / "a.mid", "--random-seed", 11)
    second = run_beatgen(*args, "-o", tmp_path / "b.mid", "--random-seed", 11)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert (tmp_path / "a.mid").read_bytes() == (tmp_path / "b.mid").read_bytes()
    _midi, events = note_events(tmp_path / "a.mid")
    assert {e[2] for e in events} == {0}
    onsets = [e for e in events if e[1] == "on"]
    assert max(e[0] for e in onsets) < 4 * BEATS_PER_BAR
    seed = [e for e in onsets if e[0] < 2 * BEATS_PER_BAR]
    original = [
        (round(m.time / 480 * 1000), m.note) for m in _absolute(VALIDATION_FILE) if m.type == "note_on" and m.velocity
    ]
    assert len(seed) == len([t for t, _n in original if t < 8000])
    assert_every_note_on_has_its_note_off(events)


def _absolute(path):
    tick = 0
    for message in mido.MidiFile(path).tracks[0]:
        tick += message.time
        yield message.copy(time=tick)


def test_folder_of_seeds_gives_one_output_each(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write_midi(seeds / "one.mid", simple_groove(2))
    write_midi(seeds / "two.mid", simple_groove(2), tempo_bpm=90)
    result = run_beatgen("generate", seeds, "--out-dir", tmp_path / "out", "--bars", 1, "--random-seed", 1)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["one_continued.mid", "two_continued.mid"]


def assert_clean_failure(result, fragment, *unwritten):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr
    for path in unwritten:
        assert not path.exists()
        assert not list(path.parent.glob(f".{path.name}*")), "no half-written file left"


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("text.mid", b"hello, I am not a MIDI file", "not a readable MIDI file"),
        (
            "cut.mid",
            VALIDATION_FILE.read_bytes()[:300] if VALIDATION_FILE.exists() else b"MThd",
            "not a readable MIDI file",
        ),
    ],
)
def test_unreadable_seed(tmp_path, name, content, fragment):
    (tmp_path / name).write_bytes(content)
    out = tmp_path / "out.mid"
    assert_clean_failure(run_beatgen("generate", tmp_path / name, "-o", out), fragment, out)


def test_seed_without_drums(tmp_path):
    seed = write_midi(tmp_path / "piano.mid", [(0, 60, 80), (1, 64, 80)], channel=0)
    out = tmp_path / "out.mid"
    assert_clean_failure(run_beatgen("generate", seed, "-o", out), "no drum notes", out)


def test_seed_in_three_four(tmp_path):
    seed = write_midi(tmp_path / "waltz.mid", simple_groove(4, 3), signature=(3, 4))
    out = tmp_path / "out.mid"
    assert_clean_failure(run_beatgen("generate", seed, "-o", out), "time signature 3/4 is not supported", out)


def test_seed_without_tempo_uses_120_bpm(tmp_path):
    seed = write_midi(tmp_path / "plain.mid", simple_groove(2), tempo_bpm=None, signature=None)
    out = tmp_path / "out.mid"
    result = run_beatgen("generate", seed, "-o", out, "--bars", 1)
    assert result.returncode == 0
    assert result.stderr.strip() == f"{seed}: no tempo in the file, using 120 BPM"
    tempo = [m for m in mido.MidiFile(out).tracks[0] if m.type == "set_tempo"][0]
    assert mido.tempo2bpm(tempo.tempo) == pytest.approx(120)


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_beatgen("generate", tmp_path / "empty", "--out-dir", tmp_path / "out")
    assert_clean_failure(result, "no .mid files", tmp_path / "out")


def test_missing_seed(tmp_path):
    assert_clean_failure(run_beatgen("generate", tmp_path / "nope.mid", "-o", tmp_path / "o.mid"), "no such file")


def test_missing_model(tmp_path):
    out = tmp_path / "o.mid"
    result = run_beatgen("generate", VALIDATION_FILE, "-o", out, "--model", tmp_path / "no-model")
    assert_clean_failure(result, "no model.json", out)


@pytest.mark.parametrize(
    "damage, fragment",
    [
        (lambda m: (m / "model.tflite").write_bytes(b"\x00" * 64), "the file is damaged or was replaced"),
        (lambda m: (m / "model.json").write_text("{not json"), "not valid JSON"),
        (lambda m: (m / "model.tflite").unlink(), "missing model file"),
    ],
)
def test_corrupt_bundled_model_copy(tmp_path, damage, fragment):
    from bridge.model.files import DEFAULT_MODEL_DIR

    model = shutil.copytree(DEFAULT_MODEL_DIR, tmp_path / "model")
    damage(model)
    out = tmp_path / "o.mid"
    assert_clean_failure(run_beatgen("generate", VALIDATION_FILE, "-o", out, "--model", model), fragment, out)


def test_bad_input_among_good_ones_still_writes_the_good_ones(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write_midi(seeds / "good.mid", simple_groove(2))
    (seeds / "bad.mid").write_bytes(b"garbage")
    result = run_beatgen("generate", seeds, "--out-dir", tmp_path / "out", "--bars", 1)
    assert result.returncode != 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["good_continued.mid"]
    assert "bad.mid" in result.stderr and "Traceback" not in result.stderr
