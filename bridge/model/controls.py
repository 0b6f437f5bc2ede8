"""A model's user controls: the styles it knows and the bar plan a set of controls asks of it.

A conditioned model lists its styles in model.json; an older model has none
and no fill input, so asking it for a style or a fill is refused with one line
instead of being silently ignored.  Density works on both: a conditioned model
is asked for the density, an older one has its hit probabilities scaled.
"""

from __future__ import annotations

import json
from dataclasses import replace

from bridge.model.files import DEFAULT_MODEL_DIR
from bridge.music.conditions import FOLLOW, Controls
from bridge.music.sampling import SamplingSettings


class ControlError(ValueError):
    """A control this model cannot honour, with a line for the user."""


def model_styles(info: dict) -> list[str]:
    """Style names a model accepts, "follow" (the seed decides) first."""
    return [FOLLOW, *info.get("conditions", {}).get("styles", [])]


def bundled_styles() -> tuple[str, ...]:
    """Styles of the shipped model ("follow" first): the preset schema's choices.  A model fine-tuned
    from it keeps them; another model's list is checked when a preset reaches it (Engine.command)."""
    try:
        info = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return (FOLLOW,)  # a broken bundled model is reported when it is loaded, not here
    return tuple(model_styles(info))


def style_value(info: dict, name: str) -> int:
    """The style input for `name`; an unknown name is one line listing the styles allowed."""
    styles = model_styles(info)
    if name not in styles:
        raise ControlError(f"unknown style {name!r}: this model knows {', '.join(styles)}")
    return styles.index(name)


def controls_for(
    info: dict, settings: SamplingSettings, style: str, density: float, fill_every: int, fill_last: bool
) -> tuple[SamplingSettings, Controls]:
    """(sampling settings, bar controls) that ask `info`'s model for these controls."""
    if fill_every < 0:
        raise ControlError(f"fill every {fill_every} bars: give 0 (no fills) or a positive number of bars")
    if not 0 <= density <= 2:
        raise ControlError(f"density {density:g}: allowed from 0 to 2")
    controls = Controls(style_value(info, style), density, fill_every, fill_last)
    if "conditions" not in info:
        if fill_every or fill_last:
            raise ControlError("this model was trained without fills; fills need a conditioned model")
        return replace(settings, density=density), controls
    # The conditioned model is asked for the density itself; only 0 (silence) also
    # removes hits from the sampler, so density 0 is silent with any model.
    return replace(settings, density=0.0 if density == 0 else 1.0), controls


def sampling_for_model(info: dict, settings: SamplingSettings) -> SamplingSettings:
    """The sampler's settings for this model: a conditioned model is asked for the density through its
    bar plan, so the sampler scales hits only at density 0 (silence with any model)."""
    if "conditions" not in info or settings.density == 0:
        return settings
    return replace(settings, density=1.0)


def unplayable_controls(info: dict, style: str, fills: bool) -> str | None:
    """The line to log when live controls ask this model for what it cannot play (the bridge plays on
    without it: a preset made for another model must not stop the music), else None."""
    if "conditions" not in info:
        if style != FOLLOW or fills:
            return "this model was trained without styles and fills: it follows the seed and plays no fills"
        return None
    styles = model_styles(info)
    if style not in styles:
        return f"style {style!r}: this model knows {', '.join(styles)}; it follows the seed"
    return None


def check_generate_controls(info: dict, style: str, fills: bool) -> None:
    """Offline, what a model cannot play is refused before anything is written (one line)."""
    style_value(info, style)
    if fills and "conditions" not in info:
        raise ControlError("this model was trained without fills; fills need a conditioned model")
