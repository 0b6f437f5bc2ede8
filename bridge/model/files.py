"""The model artifact contract: model.json next to model.tflite (and its int8 twin)."""

from __future__ import annotations

import json
from pathlib import Path

from bridge.music.bar_memory import lookback_signature
from bridge.music.tokens import TokenizerConfig, Vocabulary

MODEL_FORMAT = "beatgen-step-model"
MODEL_FORMAT_VERSION = 1
MODEL_JSON = "model.json"
VARIANT_FILES = {"float32": "model.tflite", "int8": "model_int8.tflite"}
# The Keras weights `beatgen convert` also writes, for `beatgen bench`'s notebook reference; not in the wheel.
KERAS_WEIGHTS = "keras_weights.npz"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent


class ModelError(RuntimeError):
    """A model folder that cannot be used, with a message for the user."""


def load_model_info(model_dir: str | Path) -> tuple[dict, Vocabulary]:
    """Read and check model.json; return it with the vocabulary it was trained on."""
    path = Path(model_dir) / MODEL_JSON
    if not path.is_file():
        raise ModelError(f"{model_dir}: no {MODEL_JSON} (is this a model folder written by `beatgen convert`?)")
    try:
        info = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(info, dict) or info.get("format") != MODEL_FORMAT:
        raise ModelError(f"{path}: not a {MODEL_FORMAT} description")
    if info.get("format_version") != MODEL_FORMAT_VERSION:
        raise ModelError(f"{path}: format version {info.get('format_version')} is not {MODEL_FORMAT_VERSION}")
    vocabulary = _matching_vocabulary(info, path)
    if info.get("lookback") != lookback_signature():
        raise ModelError(f"{path}: model was trained with other lookback rules ({info.get('lookback')}); retrain it")
    return info, vocabulary


def _matching_vocabulary(info: dict, path: Path) -> Vocabulary:
    """Rebuild the vocabulary with this tokenizer; refuse a model made by a different one."""
    stored = info.get("tokenizer", {})
    try:
        vocabulary = Vocabulary(TokenizerConfig.from_json(stored["config"]))
    except (KeyError, TypeError, ValueError) as error:
        raise ModelError(f"{path}: tokenizer description is incomplete ({error})") from None
    expected = vocabulary.signature()
    for key, value in expected.items():
        if stored.get(key) != value:
            raise ModelError(
                f"{path}: model was made for a different tokenizer ('{key}' differs); retrain or convert it again"
            )
    return vocabulary


def model_file(model_dir: str | Path, info: dict, variant: str) -> Path:
    if variant not in VARIANT_FILES:
        raise ModelError(f"unknown model variant {variant!r}; choose one of {sorted(VARIANT_FILES)}")
    path = Path(model_dir) / info.get("files", {}).get(variant, VARIANT_FILES[variant])
    if not path.is_file():
        raise ModelError(f"{path}: missing model file")
    return path
