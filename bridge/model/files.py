"""The model artifact contract: model.json next to model.tflite (and its int8 twin).

model.json is checked before anything uses it: its format, the type of every
key the runtime reads (a missing or mistyped key is a ModelError naming the
file and the key, not a KeyError deep inside), the tokenizer and lookback
rules it was trained with (they must equal this bridge's), and the size and
sha256 of each .tflite file (its "checksums" table, written by `beatgen
convert`), so a damaged or swapped model file is refused instead of playing
silence.  Models converted before checksums existed load with a one-line
warning: refusing them would break every user model made so far.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from bridge.music.bar_memory import lookback_signature
from bridge.music.conditions import CONDITIONS, conditions_signature
from bridge.music.tokens import TokenizerConfig, Vocabulary
from bridge.system.safe_text import printable

MODEL_FORMAT = "beatgen-step-model"
MODEL_FORMAT_VERSION = 1
MODEL_JSON = "model.json"
VARIANT_FILES = {"float32": "model.tflite", "int8": "model_int8.tflite"}
# The Keras weights `beatgen convert` also writes, for `beatgen bench`'s notebook reference; not in the wheel.
KERAS_WEIGHTS = "keras_weights.npz"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent
CHECKSUMS = "checksums"  # model.json: {"model.tflite": {"sha256": "<64 hex>", "bytes": N}, ...}
MAX_MODEL_JSON_BYTES = 1_000_000  # the shipped one is 7 KB
TENSOR_KEYS = ("signature", "input", "state", "logits", "state_out")
# Keys the runtime reads, and what each must be.
REQUIRED_KEYS: dict[str, type] = {
    "tokenizer": dict,
    "lookback": dict,
    "inputs": list,
    "state_size": int,
    "tensors": dict,
}
OPTIONAL_KEYS: dict[str, type] = {"files": dict, "meters": list, CHECKSUMS: dict}
HASH_CHUNK = 1 << 20

log = logging.getLogger(__name__)


class ModelError(RuntimeError):
    """A model folder that cannot be used, with a message for the user."""


def file_checksum(data: bytes) -> dict[str, Any]:
    """The checksums entry of one model file (`beatgen convert` writes it, loading checks it)."""
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def load_model_info(model_dir: str | Path) -> tuple[dict, Vocabulary]:
    """Read and check model.json; return it with the vocabulary it was trained on."""
    path = Path(model_dir) / MODEL_JSON
    info = _read_json(path, model_dir)
    if not isinstance(info, dict) or info.get("format") != MODEL_FORMAT:
        raise ModelError(f"{path}: not a {MODEL_FORMAT} description")
    if info.get("format_version") != MODEL_FORMAT_VERSION:
        shown = printable(repr(info.get("format_version")), 40)
        raise ModelError(f"{path}: format version {shown} is not {MODEL_FORMAT_VERSION}")
    _check_structure(info, path)
    vocabulary = _matching_vocabulary(info, path)
    if info["lookback"] != lookback_signature():
        shown = printable(info["lookback"], 100)
        raise ModelError(f"{path}: model was trained with other lookback rules ({shown}); retrain it")
    _check_conditions(info, path)
    conditioned = "conditions" in info
    expected = 2 + lookback_signature()["bars"] + (len(CONDITIONS) if conditioned else 0)
    if len(info["inputs"]) != expected:
        listed = "token, position, one per lookback bar" + (", one per condition" if conditioned else "")
        raise ModelError(
            f"{path}: key 'inputs' lists {len(info['inputs'])} inputs; this bridge feeds {expected} ({listed})"
        )
    return info, vocabulary


def _check_conditions(info: dict, path: Path) -> None:
    """A conditioned model must use this bridge's conditioning rules and list its styles."""
    if "conditions" not in info:
        return
    conditions = info["conditions"]
    if not isinstance(conditions, dict) or not isinstance(conditions.get("styles"), list):
        raise ModelError(f"{path}: key 'conditions' must be an object with a list of 'styles'")
    if not all(isinstance(style, str) for style in conditions["styles"]):
        raise ModelError(f"{path}: 'conditions.styles' must list style names")
    rules = {key: value for key, value in conditions.items() if key in conditions_signature()}
    if rules != conditions_signature():
        raise ModelError(f"{path}: model was trained with other conditioning rules; retrain it")


def _read_json(path: Path, model_dir: str | Path) -> Any:
    """model.json parsed, bounded in size; every way it can fail is one ModelError line."""
    if not path.is_file():
        raise ModelError(f"{model_dir}: no {MODEL_JSON} (is this a model folder written by `beatgen convert`?)")
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_MODEL_JSON_BYTES + 1)
    except OSError as error:
        raise ModelError(f"{path}: cannot be read ({error.strerror})") from None
    if len(data) > MAX_MODEL_JSON_BYTES:
        raise ModelError(f"{path}: over the {MAX_MODEL_JSON_BYTES / 1e6:g} MB limit for a model description")
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError is a ValueError
        raise ModelError(f"{path}: not valid JSON ({printable(error, 120)})") from None
    except RecursionError:
        raise ModelError(f"{path}: not valid JSON (nested too deeply)") from None


def _check_structure(info: dict, path: Path) -> None:
    """Every key the runtime reads is there and of the right type (ModelError naming the key otherwise)."""
    for key in REQUIRED_KEYS:
        if key not in info:
            raise ModelError(f"{path}: key '{key}' is missing; convert the model again")
    for key, kind in {**REQUIRED_KEYS, **OPTIONAL_KEYS}.items():
        if key in info and (not isinstance(info[key], kind) or isinstance(info[key], bool)):
            raise ModelError(f"{path}: key '{key}' must be {_a(kind)}, not {_shown(info[key])}")
    if info["state_size"] <= 0:
        raise ModelError(f"{path}: key 'state_size' must be above 0, not {info['state_size']}")
    _check_strings(info["tensors"], TENSOR_KEYS, "tensors", path)
    _check_strings(info.get("files", {}), tuple(info.get("files", {})), "files", path)
    for variant, name in info.get("files", {}).items():
        # A name like "../x" would load a file from outside the model folder.
        if Path(name).name != name or name in ("", ".", ".."):
            raise ModelError(
                f"{path}: key 'files.{variant}' is {_shown(name)}; model files must be plain names in the model folder"
            )
    for name, entry in info.get(CHECKSUMS, {}).items():
        _check_checksum_entry(entry, f"{CHECKSUMS}.{name}", path)


def _check_strings(table: dict, keys: tuple, section: str, path: Path) -> None:
    for key in keys:
        if key not in table:
            raise ModelError(f"{path}: key '{section}.{key}' is missing; convert the model again")
        if not isinstance(table[key], str):
            raise ModelError(f"{path}: key '{section}.{key}' must be a string, not {_shown(table[key])}")


def _check_checksum_entry(entry: Any, where: str, path: Path) -> None:
    sha256 = entry.get("sha256") if isinstance(entry, dict) else None
    size = entry.get("bytes") if isinstance(entry, dict) else None
    valid_hash = isinstance(sha256, str) and len(sha256) == 64 and all(c in "0123456789abcdef" for c in sha256)
    if not valid_hash or not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ModelError(f'{path}: key \'{where}\' must be {{"sha256": 64 hex digits, "bytes": a count}}')


def _a(kind: type) -> str:
    return {dict: "a table", list: "a list", int: "a whole number", str: "a string"}.get(kind, kind.__name__)


def _shown(value: Any) -> str:
    """A value from the file, quoted for an error line: escaped and short."""
    return printable(repr(value), 60)


def _matching_vocabulary(info: dict, path: Path) -> Vocabulary:
    """This bridge's vocabulary, if the model was made with exactly this tokenizer; ModelError otherwise.

    Compared with the bridge's own tokenizer (not rebuilt from the file), so a
    changed units_per_beat or shift table is refused: the tokens would mean
    other times than the model learned.
    """
    vocabulary = Vocabulary(TokenizerConfig())
    difference = _tokenizer_difference(info["tokenizer"], vocabulary.signature())
    if difference:
        raise ModelError(
            f"{path}: model was made for a different tokenizer ('{difference}' differs); retrain or convert it again"
        )
    return vocabulary


def _tokenizer_difference(stored: dict, expected: dict) -> str | None:
    """The first key (config fields by name) where the stored tokenizer is not this one; None when equal."""
    for key, value in expected.items():
        if key == "config" and isinstance(stored.get(key), dict) and isinstance(value, dict):
            fields = [
                name for name in sorted(set(value) | set(stored[key])) if stored[key].get(name) != value.get(name)
            ]
            if fields:
                return f"config.{fields[0]}"
        elif stored.get(key) != value:
            return key
    return None


def model_file(model_dir: str | Path, info: dict, variant: str) -> Path:
    """The variant's .tflite file, checked against model.json's checksums; ModelError when missing or damaged."""
    if variant not in VARIANT_FILES:
        raise ModelError(f"unknown model variant {variant!r}; choose one of {sorted(VARIANT_FILES)}")
    path = Path(model_dir) / info.get("files", {}).get(variant, VARIANT_FILES[variant])
    if not path.is_file():
        raise ModelError(f"{path}: missing model file")
    verify_checksum(path, info)
    return path


def verify_checksum(path: Path, info: dict) -> None:
    """Size, then sha256, against model.json; a model without checksums is only warned about."""
    if CHECKSUMS not in info:
        log.warning("%s: model.json has no checksums (converted before they existed); file not verified", path)
        return
    entry = info[CHECKSUMS].get(path.name)
    if entry is None:
        raise ModelError(f"{path}: model.json has no checksum for this file; convert the model again")
    size = path.stat().st_size
    if size != entry["bytes"]:
        raise ModelError(
            f"{path}: {size} bytes where model.json says {entry['bytes']}; the file is damaged or was replaced"
        )
    if _sha256(path) != entry["sha256"]:
        raise ModelError(f"{path}: its sha256 is not the one in model.json; the file is damaged or was replaced")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(HASH_CHUNK):
                digest.update(chunk)
    except OSError as error:
        raise ModelError(f"{path}: cannot be read ({error.strerror})") from None
    return digest.hexdigest()
