"""Shared fixtures: the dataset location, a CLI runner, MIDI file makers, a tiny trained model."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import mido
import pytest

ROOT = Path(__file__).resolve().parent.parent
# No bridge a test starts may join an Ableton Link session on this machine's network (Link multicasts):
# the auto clock source leaves Link alone; the Link tests run in a private network namespace and opt in.
os.environ.setdefault("BEATGEN_LINK_AUTO", "off")
# No test reads or writes the user's real config folder (presets, note maps, models): every test
# process and the commands it starts get an empty one of their own (tests that need one set their own).
os.environ["BEATGEN_CONFIG_DIR"] = tempfile.mkdtemp(prefix="beatgen-test-config-")
GROOVE = ROOT.parent / "shared" / "datasets" / "groove"
VALIDATION_FILE = GROOVE / "drummer7/session1/13_funk_102_beat_4-4.mid"


@pytest.fixture(scope="session")
def groove() -> Path:
    assert (GROOVE / "info.csv").is_file(), (
        f"the Groove MIDI Dataset is expected at {GROOVE} (../shared beside the repo)"
    )
    return GROOVE


def run_beatgen(*args, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the real `beatgen` console script as a user would."""
    executable = Path(sys.executable).parent / "beatgen"
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "bridge.cli.main"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        command + [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )


def write_midi(path: Path, notes, tempo_bpm: float | None = 120.0, signature=(4, 4), channel: int = 9, tpb: int = 480):
    """A type-0 file with (beat, pitch, velocity) notes, 1/8-beat long."""
    track = mido.MidiTrack()
    if tempo_bpm:
        track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm)))
    if signature:
        track.append(mido.MetaMessage("time_signature", numerator=signature[0], denominator=signature[1]))
    events = []
    for beat, pitch, velocity in notes:
        events.append((round(beat * tpb), 1, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
        events.append((round((beat + 0.125) * tpb), 0, mido.Message("note_off", channel=channel, note=pitch)))
    now = 0
    for tick, _order, message in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(message.copy(time=tick - now))
        now = tick
    midi = mido.MidiFile(type=0, ticks_per_beat=tpb)
    midi.tracks.append(track)
    midi.save(path)
    return path


def simple_groove(bars: int = 4, beats_per_bar: int = 4):
    """Kick on 1 and 3, snare on 2 and 4, eighth-note hi-hats."""
    notes = []
    for beat in range(bars * beats_per_bar):
        notes.append((beat, 36 if beat % 2 == 0 else 38, 100))
        notes += [(beat, 42, 80), (beat + 0.5, 42, 60)]
    return notes


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, groove) -> tuple[Path, Path]:
    """(run folder, model folder) of a seconds-long training run on a few files, converted."""
    from model_tools.config import TrainConfig
    from model_tools.convert import convert
    from model_tools.train import train

    base = tmp_path_factory.mktemp("tiny")
    config = TrainConfig(epochs=1, max_files=6, sequence_length=64, batch_size=16, lstm_units=32, dense_units=32)
    train(str(groove), str(base / "run"), config, verbose=0)
    convert(str(base / "run"), str(base / "model"), out=lambda *_: None)
    return base / "run", base / "model"
