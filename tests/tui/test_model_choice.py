"""The UI picks the model by the preset's name: a choice of known models, resolved when the bridge opens."""

from __future__ import annotations

import pytest

from bridge.model.catalog import BUNDLED
from bridge.model.files import DEFAULT_MODEL_DIR, ModelError
from bridge.settings.presets import PRESET_SCHEMA, Preset, defaults
from tui.options import AppOptions, model_for
from tui.preset_editor import select_options


def preset_with_model(name: str) -> Preset:
    values = defaults()
    values["generation"]["model"] = name
    return Preset("p", None, values)


def test_the_editor_offers_the_known_models_and_keeps_an_unknown_one_selectable():
    field = PRESET_SCHEMA["generation"]["model"]
    assert select_options(field, BUNDLED) == [(BUNDLED, BUNDLED)]
    assert select_options(field, "from-another-machine") == [
        (BUNDLED, BUNDLED),
        ("from-another-machine", "from-another-machine"),
    ]


def test_the_bridge_opens_the_presets_model_unless_model_was_given(tmp_path):
    assert model_for(preset_with_model(BUNDLED), AppOptions()) == DEFAULT_MODEL_DIR
    assert model_for(preset_with_model("nope"), AppOptions(model_dir=str(tmp_path))) == tmp_path
    with pytest.raises(ModelError, match=r"no model named 'nope'; known models: bundled"):
        model_for(preset_with_model("nope"), AppOptions())
