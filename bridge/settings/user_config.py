"""The user's config folder and what lives in it: presets, note maps, fine-tuned models.

One rule for the whole project, so `beatgen models`, the note maps, the
preset store and `beatgen train -o NAME` agree on where a user's files are:
$BEATGEN_CONFIG_DIR, else $XDG_CONFIG_HOME/beatgen, else ~/.config/beatgen.
Tests point BEATGEN_CONFIG_DIR at a temporary folder, so they never touch
the real one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PRESETS = "presets"
NOTE_MAPS = "note-maps"
MODELS = "models"


def config_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """$BEATGEN_CONFIG_DIR, else $XDG_CONFIG_HOME/beatgen, else ~/.config/beatgen."""
    if environ.get("BEATGEN_CONFIG_DIR"):
        return Path(environ["BEATGEN_CONFIG_DIR"])
    if environ.get("XDG_CONFIG_HOME"):
        return Path(environ["XDG_CONFIG_HOME"]) / "beatgen"
    return Path.home() / ".config" / "beatgen"


def user_note_maps_dir(environ: Mapping[str, str] = os.environ) -> Path:
    return config_dir(environ) / NOTE_MAPS


def user_models_dir(environ: Mapping[str, str] = os.environ) -> Path:
    return config_dir(environ) / MODELS
