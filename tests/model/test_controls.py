"""A model's controls: its styles, refusals in one line, what density and fills ask of each kind of model."""

from __future__ import annotations

import pytest

from bridge.model.controls import ControlError, controls_for, model_styles, style_value
from bridge.music.conditions import Controls
from bridge.music.sampling import SamplingSettings

CONDITIONED = {"conditions": {"styles": ["funk", "rock"]}}
PLAIN: dict = {}


def test_styles_start_with_follow_and_map_to_their_input_value():
    assert model_styles(CONDITIONED) == ["follow", "funk", "rock"]
    assert [style_value(CONDITIONED, name) for name in ("follow", "funk", "rock")] == [0, 1, 2]
    assert model_styles(PLAIN) == ["follow"]


def test_an_unknown_style_is_one_line_listing_the_allowed_ones():
    with pytest.raises(ControlError, match=r"^unknown style 'polka': this model knows follow, funk, rock$"):
        style_value(CONDITIONED, "polka")


def test_a_conditioned_model_is_asked_for_density_and_fills():
    settings, controls = controls_for(CONDITIONED, SamplingSettings(), "rock", 1.5, 4, True)
    assert controls == Controls(style=2, density=1.5, fill_every=4, fill_last=True)
    assert settings.density == 1.0  # the model plays the density; the sampler leaves hits alone
    silent, _controls = controls_for(CONDITIONED, SamplingSettings(), "follow", 0.0, 0, False)
    assert silent.density == 0.0


def test_an_older_model_scales_hits_and_refuses_fills():
    settings, controls = controls_for(PLAIN, SamplingSettings(), "follow", 0.5, 0, False)
    assert settings.density == 0.5 and controls.style == 0
    with pytest.raises(ControlError, match="trained without fills"):
        controls_for(PLAIN, SamplingSettings(), "follow", 1.0, 0, True)


@pytest.mark.parametrize(
    ("density", "fill_every", "message"),
    [(2.5, 0, r"^density 2.5: allowed from 0 to 2$"), (1.0, -2, r"^fill every -2 bars: give 0")],
)
def test_out_of_range_controls_are_refused(density, fill_every, message):
    with pytest.raises(ControlError, match=message):
        controls_for(CONDITIONED, SamplingSettings(), "follow", density, fill_every, False)
