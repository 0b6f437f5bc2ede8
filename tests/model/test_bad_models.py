"""Broken model folders through the real `beatgen generate --model`: one ModelError line, exit 2, nothing written."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bridge.model.files import CHECKSUMS, DEFAULT_MODEL_DIR, ModelError
from bridge.model.step_model import StepModel
from tests.conftest import run_beatgen, simple_groove, write_midi

E = "beatgen generate: error: "


def _copy_model(tmp_path: Path) -> Path:
    return shutil.copytree(DEFAULT_MODEL_DIR, tmp_path / "model", ignore=shutil.ignore_patterns("*.py", "*.npz"))


def _edit_json(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(model: Path) -> None:
        info = json.loads((model / "model.json").read_text())
        change(info)
        (model / "model.json").write_text(json.dumps(info))

    return edit


def _flip_byte(model: Path) -> None:
    data = bytearray((model / "model.tflite").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model / "model.tflite").write_bytes(bytes(data))


def _set(key: str, value) -> Callable[[dict], None]:
    """Set a "/"-separated key path of model.json."""

    def change(info: dict) -> None:
        *parents, last = key.split("/")
        table = info
        for parent in parents:
            table = table[parent]
        table[last] = value

    return change


def _delete(key: str) -> Callable[[dict], None]:
    def change(info: dict) -> None:
        *parents, last = key.split("/")
        table = info
        for parent in parents:
            table = table[parent]
        del table[last]

    return change


JSON = "model.json"
TFLITE = "model.tflite"
DAMAGED = "the file is damaged or was replaced"
# What the shipped model.json says, so the cases hold for whichever model ships.
SHIPPED = json.loads((DEFAULT_MODEL_DIR / JSON).read_text())
SHIPPED_BYTES = SHIPPED[CHECKSUMS][TFLITE]["bytes"]
FED = len(SHIPPED["inputs"])
FED_AS = "token, position, one per lookback bar" + (", one per condition" if "conditions" in SHIPPED else "")
CASES = [
    ("no-tensors", _edit_json(_delete("tensors")), JSON, "key 'tensors' is missing; convert the model again"),
    ("no-state-size", _edit_json(_delete("state_size")), JSON, "key 'state_size' is missing; convert the model again"),
    ("no-inputs", _edit_json(_delete("inputs")), JSON, "key 'inputs' is missing; convert the model again"),
    ("state-size-text", _edit_json(_set("state_size", "512")), JSON, "key 'state_size' must be a whole number, not '512'"),
    ("state-size-zero", _edit_json(_set("state_size", 0)), JSON, "key 'state_size' must be above 0, not 0"),
    ("tensors-list", _edit_json(_set("tensors", [])), JSON, "key 'tensors' must be a table, not []"),
    ("tokenizer-text", _edit_json(_set("tokenizer", "x")), JSON, "key 'tokenizer' must be a table, not 'x'"),
    ("no-signature", _edit_json(_delete("tensors/signature")), JSON, "key 'tensors.signature' is missing; convert the model again"),
    ("input-number", _edit_json(_set("tensors/input", 5)), JSON, "key 'tensors.input' must be a string, not 5"),
    ("inputs-count", _edit_json(_set("inputs", ["token"])), JSON, f"key 'inputs' lists 1 inputs; this bridge feeds {FED} ({FED_AS})"),
    ("state-size-wrong", _edit_json(_set("state_size", 256)), TFLITE, "tensor shape (1, 512), but model.json's 'state_size' says 256"),
    ("units-per-beat", _edit_json(_set("tokenizer/config/units_per_beat", 48)), JSON, "model was made for a different tokenizer ('config.units_per_beat' differs); retrain or convert it again"),
    ("no-tokens", _edit_json(_delete("tokenizer/tokens")), JSON, "model was made for a different tokenizer ('tokens' differs); retrain or convert it again"),
    ("file-outside", _edit_json(_set("files/float32", "../x.tflite")), JSON, "key 'files.float32' is '../x.tflite'; model files must be plain names in the model folder"),
    ("checksum-shape", _edit_json(_set("checksums/model.tflite", "abc")), JSON, "key 'checksums.model.tflite' must be {\"sha256\": 64 hex digits, \"bytes\": a count}"),
    ("no-checksum-for-file", _edit_json(_delete("checksums/model.tflite")), TFLITE, "model.json has no checksum for this file; convert the model again"),
    ("flipped-byte", _flip_byte, TFLITE, f"its sha256 is not the one in model.json; {DAMAGED}"),
    ("truncated", lambda m: (m / TFLITE).write_bytes((m / TFLITE).read_bytes()[:1000]), TFLITE, f"1000 bytes where model.json says {SHIPPED_BYTES}; {DAMAGED}"),
    ("tflite-missing", lambda m: (m / TFLITE).unlink(), TFLITE, "missing model file"),
    ("nested-json", lambda m: (m / JSON).write_text("[" * 100_000), JSON, "not valid JSON (nested too deeply)"),
    ("huge-json", lambda m: (m / JSON).write_bytes(b" " * 1_000_001), JSON, "over the 1 MB limit for a model description"),
]  # fmt: skip


@pytest.mark.parametrize(("damage", "file", "message"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_broken_model_gives_one_line(tmp_path, damage, file, message):
    model = _copy_model(tmp_path)
    damage(model)
    seed = write_midi(tmp_path / "seed.mid", simple_groove(2))
    out = tmp_path / "out.mid"
    result = run_beatgen("generate", seed, "-o", out, "--model", model)
    assert (result.returncode, result.stderr) == (2, f"{E}{model / file}: {message}\n")
    assert not out.exists()


def _without_checksums(model: Path) -> None:
    _edit_json(_delete(CHECKSUMS))(model)


def test_a_model_without_checksums_loads_with_a_one_line_warning(tmp_path):
    model = _copy_model(tmp_path)
    _without_checksums(model)
    seed = write_midi(tmp_path / "seed.mid", simple_groove(2))
    result = run_beatgen("generate", seed, "-o", tmp_path / "out.mid", "--model", model, "--bars", 1)
    assert result.returncode == 0
    warning = f"{model / TFLITE}: model.json has no checksums (converted before they existed); file not verified\n"
    assert result.stderr == warning


def test_a_broken_tflite_without_checksums_cannot_be_loaded(tmp_path):
    model = _copy_model(tmp_path)
    _without_checksums(model)
    (model / TFLITE).write_bytes(b"\x00" * 64)
    seed = write_midi(tmp_path / "seed.mid", simple_groove(2))
    result = run_beatgen("generate", seed, "-o", tmp_path / "out.mid", "--model", model)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith(f"{E}{model / TFLITE}: cannot be loaded (")


@pytest.mark.parametrize("variant", ["float32", "int8"])
def test_every_byte_flipped_model_file_is_refused(tmp_path, variant):
    """30 random single-byte flips each: refused by the checksum (19 of 30 used to load and play silence)."""
    model = _copy_model(tmp_path)
    name = {"float32": "model.tflite", "int8": "model_int8.tflite"}[variant]
    original = (model / name).read_bytes()
    rng = random.Random(14)
    for _ in range(30):
        data = bytearray(original)
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        (model / name).write_bytes(bytes(data))
        with pytest.raises(ModelError, match="its sha256 is not the one in model.json"):
            StepModel(model, variant)


def test_the_shipped_model_matches_its_checksums():
    assert StepModel().info[CHECKSUMS]["model.tflite"]["bytes"] == (DEFAULT_MODEL_DIR / "model.tflite").stat().st_size
    StepModel(variant="int8")
