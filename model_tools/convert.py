"""`beatgen convert RUN_DIR -o MODEL_DIR`: trained Keras LSTM -> streaming TFLite step model + model.json.

The step model is written with plain TensorFlow ops from the trained weights,
folded where the algebra allows it (fewer weights to read per token):
the token and position embeddings are multiplied into the LSTM's input
kernel ahead of time (an embedding row times a matrix is a row of the product),
and both BatchNorms are folded into the dense layer between them.  Builtin
TFLite ops only, so the LiteRT runtime can run it without Flex ops.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from bridge.model.files import (
    CHECKSUMS,
    KERAS_WEIGHTS,
    MODEL_FORMAT,
    MODEL_FORMAT_VERSION,
    MODEL_JSON,
    VARIANT_FILES,
    file_checksum,
)

from .train import BEST_MODEL, RUN_INFO

SIGNATURE = "serving_default"
INPUT, STATE, LOGITS, STATE_OUT = "token_position", "state", "logits", "state_out"
ATTRIBUTION = {
    "dataset": "Groove MIDI Dataset v1.0.0 (train split; validation split for model selection)",
    "license": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
    "citation": (
        "Jon Gillick, Adam Roberts, Jesse Engel, Douglas Eck, David Bamman. "
        "Learning to Groove with Inverse Sequence Transformations. ICML 2019."
    ),
    "changes": "MIDI files tokenized and used to train this model; no MIDI data is redistributed.",
}


def folded_weights(model) -> dict[str, np.ndarray]:
    """The step model's weights computed from the trained Keras layers."""
    from . import keras_model as names

    kernel, recurrent, bias = model.get_layer(names.LSTM).get_weights()
    token_table = model.get_layer(names.TOKEN_EMBEDDING).get_weights()[0]
    position_table = model.get_layer(names.POSITION_EMBEDDING).get_weights()[0]
    lookback_table = model.get_layer(names.LOOKBACK_EMBEDDING).get_weights()[0]
    condition_tables = [
        model.get_layer(layer).get_weights()[0]
        for layer in names.CONDITION_EMBEDDINGS.values()
        if layer in {existing.name for existing in model.layers}
    ]
    # Row blocks of the LSTM input kernel, in the order the Keras model concatenates its inputs.
    token_end = token_table.shape[1]
    position_end = token_end + position_table.shape[1]
    lookback_width = lookback_table.shape[1]
    lookback_end = kernel.shape[0] - sum(table.shape[1] for table in condition_tables)
    lookback_blocks = range(position_end, lookback_end, lookback_width)
    condition_gates, start = [], lookback_end
    for table in condition_tables:
        condition_gates.append(table @ kernel[start : start + table.shape[1]])
        start += table.shape[1]
    scale_1, shift_1 = _batchnorm_affine(model.get_layer(names.NORM_1))
    scale_2, shift_2 = _batchnorm_affine(model.get_layer(names.NORM_2))
    dense_kernel, dense_bias = model.get_layer(names.DENSE).get_weights()
    logits_kernel, logits_bias = model.get_layer(names.LOGITS).get_weights()
    weights = {
        "token_gates": token_table @ kernel[:token_end] + bias,
        "position_gates": position_table @ kernel[token_end:position_end],
        "lookback_gates": np.stack(
            [lookback_table @ kernel[start : start + lookback_width] for start in lookback_blocks]
        ),
        "recurrent": recurrent,
        # dense(bn1(x)) then bn2:  x @ (s1[:,None] * W * s2) + ((t1 @ W + b) * s2 + t2)
        "dense_kernel": scale_1[:, None] * dense_kernel * scale_2[None, :],
        "dense_bias": (shift_1 @ dense_kernel + dense_bias) * scale_2 + shift_2,
        "logits_kernel": logits_kernel,
        "logits_bias": logits_bias,
    }
    for index, gates in enumerate(condition_gates):
        weights[f"condition_gates_{index}"] = gates
    return weights


def _batchnorm_affine(layer) -> tuple[np.ndarray, np.ndarray]:
    gamma, beta, mean, variance = layer.get_weights()
    scale = gamma / np.sqrt(variance + layer.epsilon)
    return scale, beta - mean * scale


def _step_module(weights: dict[str, np.ndarray]):
    import tensorflow as tf

    units = weights["recurrent"].shape[0]
    input_table, offsets = _input_table(weights)
    # Gate columns reordered from Keras' (i, f, g, o) to (i, f, o, g): one sigmoid
    # and one tanh over contiguous slices instead of four activations (at batch 1
    # every op costs a fixed overhead, and XNNPACK fuses contiguous runs of ops).
    order = np.concatenate([np.arange(0, 2 * units), np.arange(3 * units, 4 * units), np.arange(2 * units, 3 * units)])
    constants = {
        "inputs": tf.constant(input_table[:, order].astype(np.float32)),
        "offsets": tf.constant(offsets[None, :].astype(np.int32)),
        "recurrent": tf.constant(weights["recurrent"][:, order].astype(np.float32)),
    }
    for key in ("dense_kernel", "dense_bias", "logits_kernel", "logits_bias"):
        constants[key] = tf.constant(weights[key].astype(np.float32))

    class StepModule(tf.Module):
        @tf.function(
            input_signature=[
                tf.TensorSpec([1, len(offsets)], tf.int32, name=INPUT),
                tf.TensorSpec([1, 2 * units], tf.float32, name=STATE),
            ]
        )
        def step(self, token_position, state):
            h, c = state[:, :units], state[:, units:]
            # One gather of all input rows (token, position, lookback...) summed: their gate contributions.
            rows = tf.gather(constants["inputs"], token_position + constants["offsets"])
            gates = tf.reduce_sum(rows, axis=1) + tf.matmul(h, constants["recurrent"])
            sigmoids, g = tf.sigmoid(gates[:, : 3 * units]), tf.tanh(gates[:, 3 * units :])
            i, f, o = sigmoids[:, :units], sigmoids[:, units : 2 * units], sigmoids[:, 2 * units :]
            c_new = f * c + i * g
            h_new = o * tf.tanh(c_new)
            hidden = tf.nn.elu(tf.matmul(h_new, constants["dense_kernel"]) + constants["dense_bias"])
            logits = tf.matmul(hidden, constants["logits_kernel"]) + constants["logits_bias"]
            return {LOGITS: logits, STATE_OUT: tf.concat([h_new, c_new], axis=1)}

    return StepModule(), units


def _input_table(weights: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """All per-input gate tables stacked into one, with the row offset of each input's block."""
    conditions = [weights[key] for key in sorted(weights) if key.startswith("condition_gates_")]
    blocks = [weights["token_gates"], weights["position_gates"], *weights["lookback_gates"], *conditions]
    offsets = np.cumsum([0] + [len(block) for block in blocks[:-1]])
    return np.concatenate(blocks), offsets


def to_tflite(weights: dict[str, np.ndarray]) -> tuple[dict[str, bytes], int]:
    """float32 and dynamic-range int8 flatbuffers of the step model."""
    import tensorflow as tf

    module, units = _step_module(weights)
    flatbuffers = {}
    with tempfile.TemporaryDirectory() as saved:
        tf.saved_model.save(module, saved, signatures={SIGNATURE: module.step.get_concrete_function()})
        for variant in VARIANT_FILES:
            converter = tf.lite.TFLiteConverter.from_saved_model(saved, signature_keys=[SIGNATURE])
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
            if variant == "int8":
                converter.optimizations = [tf.lite.Optimize.DEFAULT]
            flatbuffers[variant] = converter.convert()
    return flatbuffers, units


def model_description(run_info: dict, units: int, parity: dict, flatbuffers: dict[str, bytes]) -> dict:
    """model.json: the contract bridge/model/files.py checks, with a size and sha256 per .tflite file
    so a damaged or swapped file is refused when it is loaded."""
    conditions = run_info.get("conditions")
    described = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "tokenizer": run_info["tokenizer"],
        "lookback": run_info["lookback"],
        "inputs": ["token", "position"]
        + [f"lookback_{bar + 1}" for bar in range(run_info["lookback"]["bars"])]
        + (list(conditions["names"]) if conditions else []),
        "meters": run_info.get("meters", ["4/4"]),
        "files": dict(VARIANT_FILES),
        CHECKSUMS: {VARIANT_FILES[variant]: file_checksum(data) for variant, data in flatbuffers.items()},
        "state_size": 2 * units,
        "tensors": {"signature": SIGNATURE, "input": INPUT, "state": STATE, "logits": LOGITS, "state_out": STATE_OUT},
        "training": {k: v for k, v in run_info.items() if k != "tokenizer"},
        "parity": parity,
        "attribution": ATTRIBUTION,
    }
    if conditions:
        described["conditions"] = conditions
    if "fine_tuned" in run_info:  # what `beatgen models` shows: the model it started from, on how many clips
        described["fine_tuned"] = run_info["fine_tuned"]
    return described


def convert(run_dir: str, model_dir: str, parity_tokens: int = 256, out=print) -> dict:
    """Write MODEL_DIR/{model.tflite, model_int8.tflite, model.json}; returns the parity report."""
    run = Path(run_dir)
    if not (run / BEST_MODEL).is_file() or not (run / RUN_INFO).is_file():
        raise FileNotFoundError(f"{run}: no finished training run ({BEST_MODEL} and {RUN_INFO} expected)")
    import keras

    model = keras.models.load_model(run / BEST_MODEL)
    run_info = json.loads((run / RUN_INFO).read_text())
    flatbuffers, units = to_tflite(folded_weights(model))
    target = Path(model_dir)
    target.mkdir(parents=True, exist_ok=True)
    for variant, data in flatbuffers.items():
        (target / VARIANT_FILES[variant]).write_bytes(data)
    # The Keras weights ride along for `beatgen bench`'s notebook-method reference, in
    # float16 to keep the repository small: the reference is about time, not values.
    weights = {f"w{i}": w.astype(np.float16) for i, w in enumerate(model.get_weights())}
    np.savez_compressed(target / KERAS_WEIGHTS, **weights)
    parity = {}
    sample = parity_sample(run_info, parity_tokens)
    (target / MODEL_JSON).write_text(json.dumps(model_description(run_info, units, {}, flatbuffers), indent=1))
    for variant in VARIANT_FILES:
        parity[variant] = stream_parity(model, target, variant, *sample)
        out(
            f"{variant}: {len(flatbuffers[variant]) / 1e6:.2f} MB,"
            f" max |dprob| vs Keras over {len(sample[0])} tokens: {parity[variant]:.2e}"
        )
    (target / MODEL_JSON).write_text(json.dumps(model_description(run_info, units, parity, flatbuffers), indent=1))
    return parity


def keras_reference(model_dir: str | Path):
    """The trained Keras model rebuilt from MODEL_DIR's model.json and keras_weights.npz (as convert() wrote them).

    `beatgen bench` times it for its notebook-method reference, through the "beatgen.bench" entry point
    (pyproject.toml).  Raises ImportError without TensorFlow.
    """
    from bridge.model.files import load_model_info
    from bridge.music.conditions import condition_sizes

    from .config import TrainConfig
    from .keras_model import build_model  # imports Keras

    info, vocabulary = load_model_info(model_dir)
    config = TrainConfig.from_json(info["training"]["config"])
    sizes = condition_sizes(len(info["conditions"]["styles"])) if "conditions" in info else None
    keras_model = build_model(
        len(vocabulary), info["tokenizer"]["position_buckets"], config, info["lookback"]["bars"], sizes
    )
    with np.load(Path(model_dir) / KERAS_WEIGHTS) as stored:
        keras_model.set_weights([stored[f"w{i}"].astype(np.float32) for i in range(len(stored.files))])
    return keras_model


def parity_sample(run_info: dict, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """A real token stream from a validation file of the training data, with its lookback and
    (for a conditioned model) its real conditions."""
    from bridge.music.bar_memory import lookback_inputs
    from bridge.music.tokens import TokenizerConfig, Vocabulary

    from .conditioning import part_conditions, token_conditions
    from .dataset import MidiEntry, list_midi_files, load_parts, select, tokenize_parts

    vocabulary = Vocabulary(TokenizerConfig.from_json(run_info["tokenizer"]["config"]))
    if "held_out_files" in run_info:  # the run's own held-out clips (a user's folder may have no split)
        entries = [MidiEntry(Path(path), "validation") for path in run_info["held_out_files"]]
    else:
        entries = select(list_midi_files(run_info["data"]), "validation")
    parts = load_parts(entries[:20], quiet=True)
    sequences = tokenize_parts(parts, vocabulary)
    # A user's clips may all be shorter than `count` tokens: then the longest one is the sample.
    count = min(count, max((len(tokens) for tokens, _p, _b in sequences), default=count))
    for (entry, part), (tokens, positions, _bars) in zip(parts, sequences):
        if len(tokens) >= count:
            conditions = None
            if "conditions" in run_info:
                bars = part_conditions(entry, part, run_info["conditions"]["styles"])
                conditions = token_conditions(tokens, bars)[:count]
            return tokens[:count], positions[:count], lookback_inputs(tokens[:count], vocabulary), conditions
    raise FileNotFoundError("no validation file is long enough for the parity check")


def stream_parity(model, model_dir: Path, variant: str, tokens, positions, lookback, conditions=None) -> float:
    """Max |probability difference| between Keras on the whole sequence and the streamed TFLite model."""
    from bridge.model.step_model import StepModel

    inputs = [tokens[None], positions[None], lookback[None]]
    extra = lookback
    if conditions is not None:
        inputs += [conditions[None, :, column] for column in range(conditions.shape[1])]
        extra = np.hstack([lookback, conditions])
    reference = model(inputs, training=False).numpy()[0]
    step_model = StepModel(model_dir, variant)
    streamed = np.stack(
        [step_model.step(int(t), int(p), tuple(int(v) for v in e)) for t, p, e in zip(tokens, positions, extra)]
    )
    return float(np.max(np.abs(_softmax(reference) - _softmax(streamed))))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)
