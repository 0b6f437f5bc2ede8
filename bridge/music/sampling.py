"""Pick the next token from logits: grammar mask, lookback mix, then temperature, top-k and top-p.

The lookback proposals are mixed into the model's distribution first and the
user's temperature, top-k and top-p then shape the whole mix: so top-k 1 is
deterministic at any adherence (ties go to the lower token id), and a low
temperature sharpens the groove's repeats as much as the model's own ideas.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Chosen on the validation split (docs/model.md): sampled continuations match
# human ones best on density, syncopation, timing and similarity to the seed
# with 0.8 (0, 0.3, 0.5, 0.7, 0.8, 0.85 and 0.9 were measured).
DEFAULT_ADHERENCE = 0.8
# The user-facing control is variation (0 = hold the groove exactly, 1 = roam
# freely): adherence = 1 - variation.
DEFAULT_VARIATION = 0.2


def adherence_for(variation: float) -> float:
    """Adherence that a variation setting means (both in [0, 1])."""
    return 1.0 - variation


@dataclass(frozen=True)
class SamplingSettings:
    temperature: float = 1.0
    top_k: int = 0  # 0 = no limit
    top_p: float = 1.0  # 1 = no nucleus cut
    # Share of probability moved to what the groove did here in the last bars
    # (the lookback proposals): 0 = the model alone, 1 = repeat whenever possible.
    adherence: float = DEFAULT_ADHERENCE
    # Multiplies the probability of every hit token (then renormalised): 0.5 plays
    # about half as many onsets, 2 about twice as many, and the model hears it.
    density: float = 1.0

    def __post_init__(self) -> None:
        if not self.temperature > 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")
        if self.top_k < 0:
            raise ValueError(f"top-k must be >= 0, got {self.top_k}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top-p must be in (0, 1], got {self.top_p}")
        if not 0 <= self.adherence <= 1:
            raise ValueError(f"adherence must be in [0, 1], got {self.adherence}")
        if not (0 <= self.density < float("inf")):  # also refuses NaN
            raise ValueError(f"density must be >= 0, got {self.density}")


def probabilities(
    logits: np.ndarray, mask: np.ndarray, settings: SamplingSettings, proposals: Iterable[int] = ()
) -> np.ndarray:
    """Distribution over tokens: the masked model mixed with the proposals, then temperature, top-k, top-p."""
    scaled = np.where(mask, logits.astype(np.float64), -np.inf)
    weights: npt.NDArray[np.float64] = np.exp(scaled - scaled.max())
    weights = with_proposals(weights / weights.sum(), proposals, mask, settings.adherence)
    if settings.temperature != 1.0:
        with np.errstate(divide="ignore"):
            tempered = np.log(weights) / settings.temperature
        weights = np.exp(tempered - tempered.max())
    if settings.top_k and settings.top_k < int(np.count_nonzero(weights)):
        # Exactly k tokens: a stable sort breaks ties by token id, so top-k 1 is deterministic.
        keep = np.argsort(-weights, kind="stable")[: settings.top_k]
        kept = np.zeros_like(weights)
        kept[keep] = weights[keep]
        weights = kept
    weights /= weights.sum()
    if settings.top_p < 1.0:
        weights = _nucleus(weights, settings.top_p)
    return weights


def _nucleus(weights: np.ndarray, top_p: float) -> np.ndarray:
    order = np.argsort(-weights, kind="stable")
    keep = np.cumsum(weights[order]) - weights[order] < top_p  # always keeps the top token
    trimmed = np.zeros_like(weights)
    trimmed[order[keep]] = weights[order[keep]]
    normalised: npt.NDArray[np.float64] = trimmed / trimmed.sum()
    return normalised


def with_proposals(weights: np.ndarray, proposals: Iterable[int], mask: np.ndarray, adherence: float) -> np.ndarray:
    """Move `adherence` of the probability onto the allowed proposed tokens (shared equally)."""
    allowed = [token for token in proposals if token and mask[token]]
    if not allowed or not adherence:
        return weights
    mixed = weights * (1 - adherence)
    for token in allowed:
        mixed[token] += adherence / len(allowed)
    return mixed


def _with_density(weights: np.ndarray, mask: np.ndarray, first_hit: int, density: float) -> np.ndarray:
    """Scale the hit tokens' share; applied after the lookback mix so density 0 really means no hits."""
    scaled: npt.NDArray[np.float64] = weights.copy()
    scaled[first_hit:] *= density
    if not scaled.sum():  # only hits had any probability: fall back to anything the grammar allows
        scaled = (mask & (np.arange(len(mask)) < first_hit)).astype(np.float64)
        if not scaled.sum():
            return weights
    return scaled


def sample(
    logits: np.ndarray,
    mask: np.ndarray,
    settings: SamplingSettings,
    rng: np.random.Generator,
    proposals: Iterable[int] = (),
    first_hit: int | None = None,
) -> int:
    """One token id; `first_hit` (the id of the first hit token) is needed for density != 1."""
    weights = probabilities(logits, mask, settings, proposals)
    if settings.density != 1.0 and first_hit is not None:
        weights = _with_density(weights, mask, first_hit, settings.density)
    return int(
        np.searchsorted(np.cumsum(weights), rng.random() * weights.sum(), side="right").clip(0, len(weights) - 1)
    )
