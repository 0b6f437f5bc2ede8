"""Bad seed files through the real `beatgen generate`: one line naming the file, non-zero exit, nothing written."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import mido
import pytest

from bridge.midi_io.midi_files import MAX_SEED_FILE_BYTES, MidiFileError, read_drum_part
from tests.conftest import ROOT, run_beatgen, simple_groove, write_midi

EXAMPLE_SEED = ROOT / "examples" / "seed_groove.mid"


def _midi_with(path: Path, *meta: mido.MetaMessage) -> Path:
    """A one-bar groove whose first messages are `meta` (built with mido, which writes what it is given)."""
    track = mido.MidiTrack(meta)
    for beat, pitch, velocity in simple_groove(1):
        track.append(mido.Message("note_on", channel=9, note=pitch, velocity=velocity, time=0))
        track.append(mido.Message("note_off", channel=9, note=pitch, time=round(0.125 * 480)))
        del beat
    midi = mido.MidiFile(type=0, ticks_per_beat=480)
    midi.tracks.append(track)
    midi.save(path)
    return path


def _tempo_zero(path: Path) -> Path:
    return _midi_with(path, mido.MetaMessage("set_tempo", tempo=0))


def _tempo_absurd(path: Path) -> Path:
    return _midi_with(path, mido.MetaMessage("set_tempo", tempo=0xFFFFFF))  # 3.6 BPM


def _numerator_zero(path: Path) -> Path:
    return _midi_with(path, mido.MetaMessage("time_signature", numerator=0, denominator=4))


def _denominator_huge(path: Path) -> Path:
    return _midi_with(path, mido.MetaMessage("time_signature", numerator=4, denominator=2**200))


def _denominator_byte_255(path: Path) -> Path:
    return _midi_with(path, mido.MetaMessage("time_signature", numerator=4, denominator=2**255))


def _too_big(path: Path) -> Path:
    path.write_bytes(b"MThd" + bytes(MAX_SEED_FILE_BYTES + 100))
    return path


def _too_many_bars(path: Path) -> Path:
    # One hit every bar of 1/64: 20,000 tiny bars in 1,250 beats.
    return write_midi(path, [(bar / 16, 36, 100) for bar in range(0, 20_001, 1000)], signature=(1, 64), tpb=960)


def _folder(path: Path) -> Path:
    path.mkdir()
    (path / "inside.txt").write_text("not midi")
    return path / "inside.txt"


USABLE = " (1-64 beats of a 1/2/4/8/16/32/64 note)"
CASES = [
    (_tempo_zero, "its tempo is 0 microseconds per beat, which is no tempo; fix or re-export it"),
    (_tempo_absurd, "tempo 3.576 BPM is outside 10-1000 BPM"),
    (_numerator_zero, "time signature 0/4 at beat 0 is not usable" + USABLE),
    (_denominator_huge, "time signature 4/2**200 at beat 0 is not usable" + USABLE),
    (_denominator_byte_255, "time signature 4/2**255 at beat 0 is not usable" + USABLE),
    (_too_big, "1.0 MB is over the 1 MB limit for a seed file"),
    (_too_many_bars, "has more than 10000 bars; longer parts are refused"),
]


@pytest.mark.parametrize(("make", "message"), CASES, ids=[make.__name__.strip("_") for make, _ in CASES])
def test_bad_seed_gives_one_line_and_writes_nothing(tmp_path, make, message):
    seed = make(tmp_path / "bad.mid")
    out = tmp_path / "out.mid"
    result = run_beatgen("generate", seed, "-o", out)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"beatgen generate: {seed}: {message}"]
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left behind


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/dev/null", "not a regular file (a device); give a .mid file"),
        ("fifo", "not a regular file (a pipe); give a .mid file"),
    ],
)
def test_seed_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path, target, message):
    if target == "fifo":
        target = str(tmp_path / "seed.mid")
        os.mkfifo(target)  # opening it to read would block forever
    with pytest.raises(MidiFileError) as raised:
        read_drum_part(target)
    assert str(raised.value) == f"{target}: {message}"


def _mutants(count: int, seed: int = 14) -> list[bytes]:
    """One-byte mutants of the example seed, every fourth one a truncation instead."""
    original = EXAMPLE_SEED.read_bytes()
    rng = random.Random(seed)
    mutants = []
    for index in range(count):
        data = bytearray(original)
        if index % 4 == 3:
            data = data[: rng.randrange(len(data))]
        else:
            data[rng.randrange(len(data))] = rng.randrange(256)
        mutants.append(bytes(data))
    return mutants


def test_mutants_of_the_example_seed_read_or_fail_with_a_midi_file_error(tmp_path):
    """In-process: 300 mutants each parse quickly or raise MidiFileError (nothing else)."""
    for index, data in enumerate(_mutants(300)):
        path = tmp_path / f"m{index}.mid"
        path.write_bytes(data)
        start = time.perf_counter()
        try:
            read_drum_part(path)
        except MidiFileError as error:
            assert "\n" not in str(error) and str(error).startswith(str(path))
        assert time.perf_counter() - start < 1.0, path


def test_mutants_through_beatgen_generate(tmp_path):
    """The whole command: 300 mutants in one run; each writes its output or gets one line, no traceback."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for index, data in enumerate(_mutants(300)):
        (seeds / f"m{index:03}.mid").write_bytes(data)
    start = time.perf_counter()
    result = run_beatgen("generate", seeds, "--out-dir", tmp_path / "out", "--random-seed", "1")
    assert time.perf_counter() - start < 120
    assert "Traceback" not in result.stderr
    failed = {line.split(": ")[1] for line in result.stderr.splitlines() if line.startswith("beatgen generate: ")}
    written = {p.name.replace("_continued", "") for p in (tmp_path / "out").glob("*.mid")}
    # Every mutant is accounted for: written, or refused with its one line (notices are extra lines).
    assert {Path(name).name for name in failed} | written == {f"m{index:03}.mid" for index in range(300)}
    assert result.returncode == (1 if failed else 0)
