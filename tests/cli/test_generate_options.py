"""options_from_preset: offline generation with a preset's bar counts, controls, feel and note map."""

from __future__ import annotations

import mido
import pytest

from bridge.generate import GenerateOptions, continue_file, options_from_preset
from bridge.midi_io.midi_files import read_drum_part
from bridge.model.step_model import StepModel
from bridge.music.sampling import SamplingSettings
from bridge.settings.controls import Controls
from bridge.settings.note_maps import load_note_map
from bridge.settings.presets import Preset, load_preset, validate
from tests.conftest import simple_groove, write_midi


def preset(values: dict) -> Preset:
    return Preset("p", None, validate(values))


def test_call_and_response_answers_with_response_bars_after_listen_bars():
    preset = load_preset("wild-fills")
    options = options_from_preset(preset)
    assert options == GenerateOptions(seed_bars=2, bars=1, controls=Controls.from_preset(preset), channel=9)
    assert options.controls.sampling() == SamplingSettings(1.15, 0, 1.0, 0.4, 1.2)


@pytest.mark.parametrize("kind, bars", [("loop", 3), ("continuous", GenerateOptions.bars), ("call_response", 5)])
def test_bar_counts_follow_the_mode(kind, bars):
    values = {"mode": {"kind": kind, "listen_bars": 4, "response_bars": 5, "loop_bars": 3}}
    options = options_from_preset(preset(values))
    assert (options.seed_bars, options.bars) == (4, bars)


def test_random_seed_channel_and_sampling_come_from_the_preset():
    values = {"generation": {"random_seed": 42, "top_k": 7, "top_p": 0.9, "temperature": 0.5}, "output": {"channel": 1}}
    options = options_from_preset(preset(values))
    assert options.controls.random_seed == 42 and options.channel == 0
    controls = options.controls
    assert (controls.top_k, controls.top_p, controls.temperature) == (7, 0.9, 0.5)
    assert options_from_preset(preset({})).controls.random_seed == -1, "-1 means a random seed"


def test_the_output_note_map_and_loop_mode_come_from_the_preset():
    options = options_from_preset(preset({"mode": {"kind": "loop"}, "output": {"note_map": "ableton"}}))
    assert options.loop and options.output_notes == load_note_map("ableton").output_notes


def test_the_options_continue_a_file(tmp_path):
    options = options_from_preset(
        preset({"mode": {"kind": "loop", "listen_bars": 1, "loop_bars": 2}, "output": {"channel": 3}})
    )
    seed = write_midi(tmp_path / "seed.mid", simple_groove(2))
    target = tmp_path / "out.mid"
    summary = continue_file(StepModel(), seed, target, options)
    assert "2 bars" in summary and "1-bar seed" in summary
    part = read_drum_part(target)
    assert part.hits and max(hit.time for hit in part.hits) < 8.0
    channels = {m.channel for m in mido.MidiFile(target).tracks[0] if m.type == "note_on"}
    assert channels == {2}, "the preset's output channel 3"
