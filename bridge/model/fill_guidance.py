"""Fill strength: guide a fill bar away from what the model would play there without the fill flag.

Classifier-free guidance, applied at sampling time in the bars a plan marks
with a strength other than 1 (generated fill bars): a shadow copy of the step
model's state reads the same tokens with the fill flag 0, and the sampler
reads logits0 + g * (logits1 - logits0), so g = 1 is the model as conditioned
and g > 1 pushes further in the direction the fill flag moves it.  The shadow
lives only inside its bar: it starts from the model's state at the bar line
that opens the bar (before that BAR is read) and is dropped at the next bar
line, so a snapshot taken at any bar line holds at most the shadow of the bar
it opens, and a stream that rewinds to a bar line restores exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bridge.music.conditions import CONDITIONS, FILL_NO, FILL_YES, BarPlan, Condition

FILL = CONDITIONS.index("fill")


@dataclass(frozen=True)
class Shadow:
    """The unflagged twin of one guided bar; replaced, never changed, so snapshots may share it."""

    state: np.ndarray  # step-model state after the tokens of the bar so far, read with fill 0
    logits: np.ndarray  # its next-token logits (logits0)
    strength: float  # g for this bar


def guided_logits(flagged: np.ndarray, unflagged: np.ndarray, strength: float) -> np.ndarray:
    """logits0 + g * (logits1 - logits0): g = 1 gives `flagged` back, g = 0 `unflagged`."""
    low = unflagged.astype(np.float64)
    guided: np.ndarray = low + strength * (flagged.astype(np.float64) - low)
    return guided


def unflagged(conditions: Condition) -> Condition:
    """The same bar's conditions asked as no fill."""
    style, _fill, density, phrase = conditions
    return (style, FILL_NO, density, phrase)


def shadow_step(model, shadow_state: np.ndarray, token: int, position: int, extra: tuple[int, ...]):
    """(new state, logits) of one step from `shadow_state`; the model's own state is left as it was."""
    own = model.state.copy()
    model.state = shadow_state
    logits = model.step(token, position, extra)
    new_state = model.state.copy()
    model.state = own
    return new_state, logits


def follow(
    shadow: Shadow | None,
    model,
    token: int,
    opens_bar: bool,
    strength: float,
    position: int,
    lookback: tuple[int, ...],
    conditions: Condition,
) -> Shadow | None:
    """The shadow after `token`, called before the model itself reads it.

    A bar line drops the old bar's shadow and, when the bar it opens is guided
    (strength != 1), starts a new one from the model's state at that line.
    """
    if opens_bar:
        if strength == 1.0:
            return None
        state = model.state.copy()
    elif shadow is None:
        return None
    else:
        state, strength = shadow.state, shadow.strength
    new_state, logits = shadow_step(model, state, token, position, lookback + unflagged(conditions))
    return Shadow(new_state, logits, strength)


def groove_proposals(plan: BarPlan, bar: int, lookback: tuple[int, ...]) -> tuple[int, ...]:
    """The lookback proposals the sampler may hold to in `bar`.

    In the bar after a fill, the proposal from one bar ago would repeat the fill
    (measured: the bar after a generated fill kept twice the human tom + crash
    share); the bar two back is the groove the fill left, which is where a
    drummer comes back to, so only that one is proposed.
    """
    if plan.at(bar - 1)[FILL] == FILL_YES and plan.at(bar)[FILL] == FILL_NO:
        return lookback[1:]
    return lookback
