"""`beatgen train CLIPS --from MODEL -o NAME`: adapt a trained model to a handful of a user's clips.

The run starts from MODEL's Keras weights (keras_weights.npz, as `beatgen
convert` writes it) with its architecture, style table and meters, and
changes nothing else about the model: all layers train, at a low learning
rate, for few epochs, stopped early on the user's held-out clips (a few
clips are learnt by heart within a few epochs at the rate a model trains
from scratch).  User clips carry no style label, so they train as style 0
("follow", the seed decides), which is how the bridge plays them.

How much closer the fine-tuned model is to the user's clips is measured on
the held-out clips in bits per bar (all bits of the held-out tokens over the
bars they hold), for the starting model and for the best checkpoint.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bridge.model.catalog import BUNDLED, resolve_model
from bridge.model.files import KERAS_WEIGHTS, ModelError, load_model_info
from bridge.music.tokens import BAR, PAD
from bridge.settings.user_config import user_models_dir

from .config import TrainConfig

# The defaults of a fine-tuning run (a user's --learning-rate etc. still win): a tenth of the
# from-scratch rate, small batches (a few clips make few windows), a window at every bar line
# (twice the windows of the same clips), and patience 2: with a handful of clips the held-out
# loss turns within a few epochs.
FINE_TUNE_DEFAULTS = {"learning_rate": 2e-4, "epochs": 12, "patience": 2, "batch_size": 16, "window_stride_bars": 1}
# Keys that shape the weights: a fine-tuning run must keep the starting model's.
ARCHITECTURE = (
    "token_embedding",
    "position_embedding",
    "lookback_embedding",
    "conditioning",
    "style_embedding",
    "fill_embedding",
    "density_embedding",
    "phrase_embedding",
    "lstm_units",
    "dense_units",
)
RUN_SUBDIR = "run"  # checkpoints and history inside the model folder, for --resume
START_FILE = "held_out_start.json"  # the starting model's held-out score, kept for a resumed run


@dataclass(frozen=True)
class BaseModel:
    """The model a fine-tuning run starts from, and what it fixes about the run."""

    name: str
    path: Path
    config: TrainConfig
    styles: list[str]
    meters: list[str]


def base_model(name_or_path: str) -> BaseModel:
    """The model `--from` names (bundled, a user model or a folder); ModelError if it cannot be a start."""
    path = resolve_model(name_or_path)
    info, _vocabulary = load_model_info(path)
    if not (path / KERAS_WEIGHTS).is_file():
        raise ModelError(f"{path}: has no {KERAS_WEIGHTS}, the weights a fine-tuning run starts from")
    training = info.get("training")
    if not isinstance(training, dict) or not isinstance(training.get("config"), dict):
        raise ModelError(f"{path}: model.json has no training.config, so its architecture is unknown")
    conditions = info.get("conditions", {})
    return BaseModel(
        name_or_path,
        path,
        TrainConfig.from_json(training["config"]),
        list(conditions.get("styles", [])),
        list(info.get("meters", ["4/4"])),
    )


def fine_tune_config(base: BaseModel, given: dict) -> TrainConfig:
    """The base model's architecture with FINE_TUNE_DEFAULTS, then the options the user gave."""
    changed = [key for key in ARCHITECTURE if key in given and given[key] != getattr(base.config, key)]
    if changed:
        option = "--" + changed[0].replace("_", "-")
        raise ValueError(f"{option} cannot change when fine-tuning: it must match {base.name}'s weights")
    values = {**base.config.to_json(), "max_files": 0, **FINE_TUNE_DEFAULTS, **given, "init_from": str(base.path)}
    return TrainConfig.from_json(values)


def model_folder(text: str) -> Path:
    """Where `-o` puts the fine-tuned model: a plain name goes to the user's models folder."""
    if text == BUNDLED:
        raise ValueError(f"{BUNDLED!r} is the shipped model's name; choose another name for yours")
    if "/" in text or "\\" in text or text in (".", ".."):
        return Path(text)
    return user_models_dir() / text


def held_out_bits(model, inputs: list[np.ndarray], inputs_tokens: np.ndarray, targets: np.ndarray) -> dict:
    """Bits per bar and per token of the held-out windows under `model` (PAD targets ignored)."""
    logits = model.predict(inputs, batch_size=32, verbose=0).astype(np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    chosen = np.take_along_axis(log_probs, targets[..., None].astype(np.int64), axis=-1)[..., 0]
    real = targets != PAD
    bits = float(-chosen[real].sum() / math.log(2))
    bars = int(((inputs_tokens == BAR) & real).sum())  # bar lines heard = bars the windows hold
    return {"bits_per_bar": round(bits / max(bars, 1), 2), "bits_per_token": round(bits / int(real.sum()), 4)}


def save_start(run: Path, score: dict) -> None:
    (run / START_FILE).write_text(json.dumps(score))


def load_start(run: Path) -> dict | None:
    path = run / START_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def closer_line(base_name: str, start: dict, tuned: dict, clips: int) -> str:
    """The run's verdict in one line: bits per bar on the held-out clips, before and after."""
    gain = start["bits_per_bar"] - tuned["bits_per_bar"]
    verdict = f"{gain:.1f} bits/bar closer" if gain > 0 else f"{-gain:.1f} bits/bar further: keep {base_name}"
    return (
        f"held-out clips ({clips}): {start['bits_per_bar']:.1f} bits/bar with {base_name}, "
        f"{tuned['bits_per_bar']:.1f} fine-tuned ({verdict})"
    )
