"""A tiny real training run: train -> convert -> streaming TFLite parity, artifact contract, resume."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest

from bridge.model.files import ModelError, load_model_info
from bridge.model.step_model import StepModel
from bridge.music.tokens import TokenizerConfig, Vocabulary
from model_tools.config import TrainConfig
from model_tools.convert import parity_sample, stream_parity
from model_tools.train import RUN_INFO, make_windows, train

pytestmark = pytest.mark.slow


def test_training_writes_best_checkpoint_history_and_config(tiny_model):
    run, _model = tiny_model
    info = json.loads((run / RUN_INFO).read_text())
    assert (run / "best.keras").is_file()
    assert (run / "history.csv").read_text().startswith("epoch,")
    assert info["config"]["lstm_units"] == 32 and info["train_files"] == 6
    assert info["meters"] == ["4/4"]
    assert np.isfinite(info["best_val_loss_nats"])


def test_streaming_tflite_matches_keras(tiny_model):
    import keras

    run, model_dir = tiny_model
    keras_model = keras.models.load_model(run / "best.keras")
    sample = parity_sample(json.loads((run / RUN_INFO).read_text()), 256)
    assert len(sample[0]) == 256 and sample[2].any(), "a real stream with lookback inputs"
    conditions = sample[3]
    assert conditions is not None and len(np.unique(conditions[:, 2])) > 2, "real per-bar densities"
    assert set(conditions[:, 3].tolist()) >= {1, 2, 3, 4}, "every place in the phrase"
    assert stream_parity(keras_model, model_dir, "float32", *sample) < 1e-5
    assert stream_parity(keras_model, model_dir, "int8", *sample) < 0.05


def test_model_json_describes_the_artifact(tiny_model):
    _run, model_dir = tiny_model
    info, vocabulary = load_model_info(model_dir)
    assert info["tokenizer"]["tokens"] == vocabulary.names
    assert info["state_size"] == 64
    assert "CC BY 4.0" in info["attribution"]["license"] and "Gillick" in info["attribution"]["citation"]
    assert info["parity"]["float32"] < 1e-5
    assert set(info["tensors"]) == {"signature", "input", "state", "logits", "state_out"}


def test_only_builtin_ops(tiny_model):
    _run, model_dir = tiny_model
    for variant in ("float32", "int8"):
        model = StepModel(model_dir, variant)
        ops = {op["op_name"] for op in model._interpreter._get_ops_details()}
        assert not any("FLEX" in op.upper() or op.upper() == "CUSTOM" for op in ops), ops


def test_step_model_state_can_be_saved_and_restored(tiny_model):
    _run, model_dir = tiny_model
    model = StepModel(model_dir)
    model.step(1, 0)
    saved = model.state.copy()
    first = model.step(5, 3)
    model.state = saved
    assert np.array_equal(model.step(5, 3), first)
    model.reset()
    assert not model.state.any()


def test_model_for_another_tokenizer_is_refused(tiny_model, tmp_path):
    _run, model_dir = tiny_model
    copy = shutil.copytree(model_dir, tmp_path / "m")
    info = json.loads((copy / "model.json").read_text())
    info["tokenizer"]["tokens"][5] = "SHIFT_999"
    (copy / "model.json").write_text(json.dumps(info))
    with pytest.raises(ModelError, match="different tokenizer"):
        StepModel(copy)


def test_corrupt_tflite_is_a_model_error(tiny_model, tmp_path):
    _run, model_dir = tiny_model
    copy = shutil.copytree(model_dir, tmp_path / "m")
    (copy / "model.tflite").write_bytes(b"\x00garbage" * 100)
    with pytest.raises(ModelError, match="the file is damaged or was replaced"):
        StepModel(copy)


def test_convert_writes_a_checksum_per_tflite_file(tiny_model):
    _run, model_dir = tiny_model
    info, _vocabulary = load_model_info(model_dir)
    for name in ("model.tflite", "model_int8.tflite"):
        data = (model_dir / name).read_bytes()
        assert info["checksums"][name] == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def test_windows_start_on_bar_lines_and_pad_the_tail():
    vocabulary = Vocabulary(TokenizerConfig())
    tokens = np.array([1, 5, 6, 1, 7, 1, 8, 1], np.int32)
    sequences = [(tokens, np.zeros_like(tokens), np.flatnonzero(tokens == 1))]
    x, p, lookback, conditions, y = make_windows(
        sequences, TrainConfig(sequence_length=4, window_stride_bars=1), vocabulary
    )
    assert conditions.shape == (3, 4, 4) and not conditions.any()  # no labels given: all UNKNOWN
    assert x.tolist() == [[1, 5, 6, 1], [1, 7, 1, 8], [1, 8, 1, 0]]
    assert y.tolist() == [[5, 6, 1, 7], [7, 1, 8, 1], [8, 1, 0, 0]]
    assert lookback.shape == (3, 4, 2)
    # each window has its own memory: its first bar never sees an earlier bar
    assert lookback[1, 0].tolist() == [0, 0] and lookback[1, 2].tolist() != [0, 0]


def test_resume_continues_an_interrupted_run(tiny_model, groove, tmp_path):
    config = TrainConfig(epochs=1, max_files=3, sequence_length=32, batch_size=16, lstm_units=16, dense_units=16)
    train(str(groove), str(tmp_path / "run"), config, verbose=0)
    with pytest.raises(FileExistsError):
        train(str(groove), str(tmp_path / "run"), config, verbose=0)
    config.epochs = 2
    train(str(groove), str(tmp_path / "run"), config, resume=True, verbose=0)
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["0", "1"]


def test_windows_carry_the_conditions_of_the_bar_each_token_opens_or_lies_in():
    from model_tools.conditioning import token_conditions

    vocabulary = Vocabulary(TokenizerConfig())
    tokens = np.array([1, 5, 6, 1, 7, 1, 8, 1], np.int32)
    bars = np.array([[2, 0, 5, 1], [2, 1, 4, 2], [2, 0, 3, 3]], np.int32)  # style, fill, density, phrase
    per_token = token_conditions(tokens, bars)
    assert per_token[:, 3].tolist() == [1, 1, 1, 2, 2, 3, 3, 0]  # the closing BAR opens no bar
    sequences = [(tokens, np.zeros_like(tokens), np.flatnonzero(tokens == 1))]
    config = TrainConfig(sequence_length=4, window_stride_bars=1)
    _x, _p, _lb, conditions, _y = make_windows(sequences, config, vocabulary, [per_token])
    assert conditions[1, :, 3].tolist() == [2, 2, 3, 3] and conditions[1, :, 1].tolist() == [1, 1, 0, 0]
    assert conditions[2, :, 3].tolist() == [3, 3, 0, 0]  # padding gets UNKNOWN


def test_condition_dropout_blanks_whole_windows_but_never_the_fill_flag():
    from model_tools.conditioning import drop_conditions

    conditions = np.ones((400, 3, 4), np.int32)
    dropped = drop_conditions(conditions, 0.25, np.random.default_rng(0))
    assert dropped[:, :, 1].all()
    for column in (0, 2, 3):
        blanked = ~dropped[:, :, column].any(axis=1)
        assert 0.18 < blanked.mean() < 0.32
        assert (dropped[blanked, :, column] == 0).all() and (dropped[~blanked, :, column] == 1).all()


def test_the_tiny_model_is_conditioned_and_follows_its_fill_and_density_inputs(tiny_model, tmp_path):
    from tests.conftest import VALIDATION_FILE, run_beatgen

    _run, model_dir = tiny_model
    info, _vocabulary = load_model_info(model_dir)
    assert info["inputs"][-4:] == ["style", "fill", "density", "phrase"]
    assert info["conditions"]["train_labels"]["fill_bars"] > 0
    model = StepModel(model_dir)
    plain = model.step(1, 0, (0, 0, 0, 0, 0, 0))
    model.reset()
    assert not np.array_equal(plain, model.step(1, 0, (0, 0, 0, 1, 12, 4)))
    out = tmp_path / "fill.mid"
    result = run_beatgen("generate", VALIDATION_FILE, "-o", out, "--model", model_dir, "--fill-every", 2, "--fill-last")
    assert result.returncode == 0, result.stderr


def test_a_model_with_other_conditioning_rules_is_refused(tiny_model, tmp_path):
    _run, model_dir = tiny_model
    copy = shutil.copytree(model_dir, tmp_path / "m")
    info = json.loads((copy / "model.json").read_text())
    info["conditions"]["phrase_bars"] = 8
    (copy / "model.json").write_text(json.dumps(info))
    with pytest.raises(ModelError, match="other conditioning rules"):
        StepModel(copy)


def test_windows_with_a_fill_bar_are_repeated_when_asked():
    from model_tools.train import oversample_fills

    conditions = np.zeros((3, 2, 4), np.int32)
    conditions[1, 1, 1] = 1  # window 1 holds a fill bar
    x = np.arange(3)[:, None].repeat(2, axis=1)
    out = oversample_fills(x, x, x, conditions, x, 3)
    assert out[0][:, 0].tolist() == [0, 1, 2, 1, 1] and out[3][:, 1, 1].tolist() == [0, 1, 0, 1, 1]
    assert oversample_fills(x, x, x, conditions, x, 1)[0] is x


def test_a_conditioned_model_warm_started_from_a_plain_one_computes_the_same(groove, tmp_path):
    from bridge.music.conditions import condition_sizes
    from bridge.music.tokens import POSITION_BUCKETS
    from model_tools.convert import convert, keras_reference
    from model_tools.keras_model import build_model
    from model_tools.warm_start import warm_start

    plain = TrainConfig(
        epochs=1, max_files=4, sequence_length=32, batch_size=16, lstm_units=16, dense_units=16, conditioning=False
    )
    train(str(groove), str(tmp_path / "run"), plain, verbose=0)
    convert(str(tmp_path / "run"), str(tmp_path / "plain"), out=lambda *_: None)
    assert "conditions" not in load_model_info(tmp_path / "plain")[0]
    conditioned = TrainConfig(lstm_units=16, dense_units=16)
    model = build_model(214, POSITION_BUCKETS, conditioned, 2, condition_sizes(3))
    assert "lstm" in warm_start(model, str(tmp_path / "plain"))
    rng = np.random.default_rng(0)
    tokens, zeros = rng.integers(1, 214, (1, 40)), np.zeros((1, 40), np.int32)
    lookback = rng.integers(0, 214, (1, 40, 2))
    before = keras_reference(tmp_path / "plain")([tokens, zeros, lookback], training=False).numpy()
    conditions = [np.full((1, 40), value) for value in (2, 1, 9, 4)]
    after = model([tokens, zeros, lookback, *conditions], training=False).numpy()
    assert np.abs(before - after).max() < 1e-5  # the new inputs' kernel rows are zero


def test_density_is_also_dropped_from_a_bar_line_on_as_generation_feeds_it():
    from model_tools.conditioning import drop_conditions

    tokens = np.array([[1, 5, 1, 6, 1, 7]] * 300)
    conditions = np.ones((300, 6, 4), np.int32)
    dropped = drop_conditions(conditions, 0.25, np.random.default_rng(1), tokens)[:, :, 2]
    suffix = [row for row in dropped if row.any() and not row.all()]
    assert 0.1 < len(suffix) / 300 < 0.3
    for row in suffix:  # known up to a bar line, unknown from it to the end
        cut = int(np.argmin(row))
        assert tokens[0, cut] == 1 and cut in (2, 4) and row[:cut].all() and not row[cut:].any()
