"""Models by name: the bundled one and the user's own (fine-tuned) models in the config folder.

A user model is a folder `<config>/models/NAME/` holding model.tflite and
model.json, as `beatgen train --from bundled -o NAME` writes it.  Presets,
`beatgen run/tui/generate --model` and the UI name a model; a value that is
not a known name but looks like a path (it has a slash, or is a folder) is a
model folder, so models kept anywhere still work.  Names win over folders
of the same name in the current directory: a preset means the same model
wherever the bridge is started from.

Nothing here loads a model: listing reads model.json only, so `beatgen
models` is instant and needs no TensorFlow.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from bridge.model.files import DEFAULT_MODEL_DIR, MODEL_JSON, ModelError
from bridge.settings.user_config import user_models_dir
from bridge.system.safe_text import printable

BUNDLED = "bundled"


@dataclass(frozen=True)
class ModelEntry:
    """One line of `beatgen models`: where the model is and what it was fine-tuned from, if anything."""

    name: str
    path: Path
    fine_tuned_from: str  # "" for a model trained from scratch (the bundled one)
    clips: int  # clips it was fine-tuned on (0 = not fine-tuned)
    error: str | None = None  # a folder without a readable model.json is listed with why


def model_entries(user_dir: Path | None = None) -> list[ModelEntry]:
    """The bundled model first, then the user's models sorted by name."""
    folder = user_models_dir() if user_dir is None else user_dir
    entries = [_entry(BUNDLED, DEFAULT_MODEL_DIR)]
    if folder.is_dir():
        entries += [_entry(path.name, path) for path in sorted(folder.iterdir()) if _is_model_folder(path)]
    return entries


def model_names(user_dir: Path | None = None) -> list[str]:
    return [entry.name for entry in model_entries(user_dir)]


def resolve_model(name_or_path: str, user_dir: Path | None = None) -> Path:
    """The folder of the model `name_or_path` names; ModelError listing the known names otherwise."""
    if name_or_path == BUNDLED:
        return DEFAULT_MODEL_DIR
    folder = user_models_dir() if user_dir is None else user_dir
    if _plain_name(name_or_path) and _is_model_folder(folder / name_or_path):
        return folder / name_or_path
    candidate = Path(name_or_path)
    if not _plain_name(name_or_path) or candidate.is_dir():
        return candidate  # a model folder given by path; loading it checks it
    known = ", ".join(model_names(user_dir))
    raise ModelError(f"no model named {printable(repr(name_or_path), 60)}; known models: {known} (beatgen models)")


def _plain_name(text: str) -> bool:
    """A name, not a path: no separator, not '.' or '..'."""
    return bool(text) and "/" not in text and os.sep not in text and text not in (".", "..")


def _is_model_folder(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith(".")


def _entry(name: str, path: Path) -> ModelEntry:
    """What model.json says about where the model came from; a broken one is listed with its error."""
    try:
        info = json.loads((path / MODEL_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        why = error.strerror if isinstance(error, OSError) else "not valid JSON"
        return ModelEntry(name, path, "", 0, f"{path / MODEL_JSON}: {why}")
    tuned = info.get("fine_tuned") if isinstance(info, dict) else None
    if not isinstance(tuned, dict):
        return ModelEntry(name, path, "", 0)
    clips = tuned.get("clips")
    return ModelEntry(name, path, str(tuned.get("from", "")), clips if isinstance(clips, int) else 0)
