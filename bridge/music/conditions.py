"""Per-bar conditioning of a conditioned model: style, fill, density target and place in the phrase.

A conditioned model reads, with every token, four small integers describing the
bar being written (the bar a BAR token opens, or the bar a hit or shift lies in).
The value 0 always means "not given": training drops style, density and phrase
to 0 for a share of its windows, so a caller that knows nothing (the live
bridge before it learns these controls) feeds zeros and gets the model's own
guess, and "follow the seed" is simply style 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from bridge.music.hits import Hit

CONDITIONS = ("style", "fill", "density", "phrase")
FOLLOW = "follow"  # the style name meaning "the seed decides" (value 0)
UNKNOWN = 0
# Bars per phrase: 4-bar phrases are where the dataset's drummers mark ends (the
# tom-heavy bars in beat files sit on the 4th bar of a phrase 2.6x as often as on
# the 3rd; docs/model.md).
PHRASE_BARS = 4
# Density is hits per bar on a log scale (a knob multiplies density): value 1 is
# an empty bar, then DENSITY_STEPS_PER_OCTAVE steps per doubling (26 % apart).
DENSITY_STEPS_PER_OCTAVE = 3
DENSITY_MAX_HITS = 96
DENSITY_VALUES = 2 + math.floor(DENSITY_STEPS_PER_OCTAVE * math.log2(DENSITY_MAX_HITS)) + 1
FILL_NO, FILL_YES = 0, 1
# Fill strength: the guidance g of generated fill bars (bridge/model/fill_guidance.py;
# 1 = the model as conditioned).  Chosen on the validation split (docs/model.md,
# "Fills"): g 1 gave fill bars 2.5-2.8x the tom + crash share of other bars, 1.25
# 3.2x, 1.5 3.8-4.0x (0.42, human fills 0.30-0.37), 2 5x; 1.5 clears 3x with margin.
FILL_STRENGTH = 1.5
# A density this far from the seed's (either way) is a different groove: the
# lookback proposals (which hold the seed's groove) fade out linearly in log
# density and are gone at 1.5x or 1/1.5x, so the model alone plays the target.
# Measured on validation (docs/model.md): with the proposals kept at full weight
# density 0.5 / 1.5 gave 0.84x / 1.07x the hits of 1.0; the model alone 0.60x / 1.32x.
DENSITY_RELEASE = 1.5
# Fill bars inside beat files: a bar that turns to the toms.  Drum classes 6-8 are
# the toms (bridge/music/drums.py); fill files hold >= 20 % tom hits in 61 % of
# their bars, beat bars in 4.5 % when the bar before had under 10 %.
TOM_DRUMS = (6, 7, 8)
FILL_TOM_SHARE, FILL_PREVIOUS_TOM_SHARE = 0.2, 0.1


def density_value(hits: float) -> int:
    """The density input for a bar of `hits` onsets (fractional targets are allowed)."""
    if hits < 0.5:
        return 1
    step = math.floor(DENSITY_STEPS_PER_OCTAVE * math.log2(min(hits, DENSITY_MAX_HITS)))
    return 2 + max(step, 0)


def phrase_value(bar_index: int) -> int:
    """1-based place of a bar in its phrase, counted from the first bar of the part."""
    return 1 + bar_index % PHRASE_BARS


def tom_share(hits: Sequence[Hit]) -> float:
    return sum(hit.drum in TOM_DRUMS for hit in hits) / len(hits) if hits else 0.0


def is_fill_bar(bar: Sequence[Hit], previous: Sequence[Hit] | None) -> bool:
    """A bar of a beat that turns to the toms after a bar that did not: the fill rule."""
    previous_share = tom_share(previous) if previous is not None else 0.0
    return tom_share(bar) >= FILL_TOM_SHARE and previous_share < FILL_PREVIOUS_TOM_SHARE


def hits_by_bar(hits: Sequence[Hit], bar_lines: Sequence[float]) -> list[list[Hit]]:
    """Hits grouped by the bar they fall in (times kept as they are)."""
    bars: list[list[Hit]] = [[] for _ in range(len(bar_lines) - 1)]
    index = 0
    for hit in sorted(hits, key=lambda h: h.time):
        while index + 1 < len(bar_lines) - 1 and hit.time >= bar_lines[index + 1]:
            index += 1
        if bar_lines[0] <= hit.time < bar_lines[-1]:
            bars[index].append(hit)
    return bars


Condition = tuple[int, int, int, int]  # (style, fill, density, phrase) of one bar


def played_conditions(
    bars: Sequence[Sequence[Hit]], style: int, fill_file: bool = False, first_bar: int = 0
) -> list[Condition]:
    """Conditions of bars that were played (a seed, a training file): what they actually were."""
    result: list[Condition] = []
    for index, bar in enumerate(bars):
        fill = fill_file or is_fill_bar(bar, bars[index - 1] if index else None)
        result.append((style, FILL_YES if fill else FILL_NO, density_value(len(bar)), phrase_value(first_bar + index)))
    return result


def conditions_signature() -> dict[str, object]:
    """Stored in model.json: a model trained with other conditioning rules is refused."""
    return {
        "names": list(CONDITIONS),
        "phrase_bars": PHRASE_BARS,
        "density_steps_per_octave": DENSITY_STEPS_PER_OCTAVE,
        "density_max_hits": DENSITY_MAX_HITS,
        "fill_rule": {"toms": list(TOM_DRUMS), "share": FILL_TOM_SHARE, "previous_share": FILL_PREVIOUS_TOM_SHARE},
    }


@dataclass
class BarPlan:
    """Conditions per bar index of a stream (bar 0 is the bar the first BAR opens); zeros past the end."""

    bars: list[Condition] = field(default_factory=list)
    # Share of the sampler's adherence kept in each bar (1 past the end): a fill or
    # a density change is a departure from the groove that adherence would hold.
    holds: list[float] = field(default_factory=list)
    # Fill strength g of each bar (1 past the end: no guidance, one model step per token);
    # bridge/model/fill_guidance.py reads it.
    strengths: list[float] = field(default_factory=list)

    def at(self, bar: int) -> Condition:
        if 0 <= bar < len(self.bars):
            return self.bars[bar]
        return (UNKNOWN, FILL_NO, UNKNOWN, UNKNOWN)

    def hold(self, bar: int) -> float:
        return self.holds[bar] if 0 <= bar < len(self.holds) else 1.0

    def strength(self, bar: int) -> float:
        return self.strengths[bar] if 0 <= bar < len(self.strengths) else 1.0


@dataclass(frozen=True)
class Controls:
    """What a user asks of generated bars: a style value, a density factor, which bars are fills."""

    style: int = UNKNOWN
    density: float = 1.0
    fill_every: int = 0  # a fill on every N-th bar of the phrase count (0 = never)
    fill_last: bool = False
    fill_strength: float = FILL_STRENGTH  # guidance g in fill bars (1 = none)


def continuation_plan(seed_bars: Sequence[Sequence[Hit]], bars: int, controls: Controls) -> BarPlan:
    """Seed bars as played, then `bars` generated bars asking for the controls.

    Density 1 leaves the density input UNKNOWN, as style "follow" does: the model
    reads the density from the seed (on validation this scores better than any
    target computed from the seed; docs/model.md).  Any other factor asks for
    that many times the seed's density (seed_density).  A fill every N bars
    falls on the last bar of each N counted from the start of the seed, as a
    drummer counts phrases from the top.
    """
    plan = played_conditions(seed_bars, controls.style)
    holds, strengths = [1.0] * len(plan), [1.0] * len(plan)
    density = density_target(seed_bars, controls.density)
    for offset in range(bars):
        index = len(seed_bars) + offset
        fill = (controls.fill_every and (index + 1) % controls.fill_every == 0) or (
            controls.fill_last and offset == bars - 1
        )
        plan.append((controls.style, FILL_YES if fill else FILL_NO, density, phrase_value(index)))
        holds.append(0.0 if fill else density_hold(controls.density))
        strengths.append(controls.fill_strength if fill else 1.0)
    return BarPlan(plan, holds, strengths)


def seed_density(seed_bars: Sequence[Sequence[Hit]]) -> int:
    """Hits of the seed's last bar with any: the groove the lookback proposals continue (a count-in
    or pickup bar at the seed's start would drag a mean down)."""
    played = [len(bar) for bar in seed_bars if bar]
    return played[-1] if played else 0


def density_target(seed_bars: Sequence[Sequence[Hit]], factor: float) -> int:
    """The density input for generated bars at a density factor (UNKNOWN at 1: the seed decides)."""
    if factor == 1.0:
        return UNKNOWN
    if factor == 0:
        return density_value(0)
    reference = seed_density(seed_bars)
    return density_value(reference * factor) if reference else UNKNOWN


def density_hold(factor: float) -> float:
    """Share of adherence kept at a density factor: 1 at 1.0, 0 from DENSITY_RELEASE away on."""
    if factor <= 0:
        return 0.0
    return max(0.0, 1.0 - abs(math.log(factor)) / math.log(DENSITY_RELEASE))


def condition_sizes(style_count: int) -> dict[str, int]:
    """Values each input takes (0 included), in CONDITIONS order: the embedding table sizes."""
    return {"style": style_count + 1, "fill": 2, "density": DENSITY_VALUES, "phrase": PHRASE_BARS + 1}
