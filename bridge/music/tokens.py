"""Drum hits <-> tokens: bar lines, data-chosen time shifts, and (drum, velocity bin) hits.

A token sequence always starts with BAR and BAR marks every bar line, so N bars
are written as N+1 BAR tokens with the bar's onsets between them.  Time inside a
bar advances by SHIFT tokens measured in fractions of a beat (tempo-invariant);
a shift never crosses a bar line, so positions cannot drift off the grid.  Hits
on the same time unit follow each other with no shift between them, in drum
order.  Every token also has a position input (where in the bar it leaves the
cursor), which the model reads next to the token.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from bridge.music.drums import DRUM_NAMES, drum_table_signature
from bridge.music.hits import Hit

TOKENIZER_VERSION = 1
PAD, BAR = 0, 1
POSITIONS_PER_BEAT = 12  # resolution of the position input (a 48th-note triplet grid)
MAX_BEATS_PER_BAR = 8
POSITION_BUCKETS = POSITIONS_PER_BEAT * MAX_BEATS_PER_BAR


@dataclass(frozen=True)
class TokenizerConfig:
    """Choices made from the data by `beatgen analyze` (see docs/model.md for why)."""

    units_per_beat: int = 96
    shift_sizes: tuple[int, ...] = tuple(range(1, 85)) + tuple(range(96, 433, 48))
    velocity_edges: tuple[int, ...] = (25, 36, 45, 54, 63, 73, 87, 105, 127)
    velocity_values: tuple[int, ...] = (14, 31, 40, 49, 58, 67, 79, 94, 114, 127)

    def to_json(self) -> dict[str, Any]:
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenizerConfig:
        fields: dict[str, Any] = {
            key: tuple(value) if isinstance(value, list) else value for key, value in data.items()
        }
        return cls(**fields)


@dataclass
class Vocabulary:
    """Token ids and names for one tokenizer configuration."""

    config: TokenizerConfig
    names: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.first_shift = 2
        self.first_hit = self.first_shift + len(self.config.shift_sizes)
        self.velocity_bins = len(self.config.velocity_values)
        self.names = (
            ["PAD", "BAR"]
            + [f"SHIFT_{s}" for s in self.config.shift_sizes]
            + [f"HIT_{drum}_v{b}" for drum in DRUM_NAMES for b in range(self.velocity_bins)]
        )
        self.shift_units = np.zeros(len(self.names), dtype=np.int64)
        self.shift_units[self.first_shift : self.first_hit] = self.config.shift_sizes
        self.hit_drum = np.full(len(self.names), -1, dtype=np.int64)
        self.hit_drum[self.first_hit :] = np.repeat(np.arange(len(DRUM_NAMES)), self.velocity_bins)

    def __len__(self) -> int:
        return len(self.names)

    def shift_token(self, size: int) -> int:
        return self.first_shift + self.config.shift_sizes.index(size)

    def hit_token(self, drum: int, velocity: int) -> int:
        return self.first_hit + drum * self.velocity_bins + self.velocity_bin(velocity)

    def velocity_bin(self, velocity: int) -> int:
        return bisect.bisect_right(self.config.velocity_edges, velocity)

    def hit_of(self, token: int) -> tuple[int, int]:
        """(drum class, representative velocity) of a hit token."""
        offset = token - self.first_hit
        return offset // self.velocity_bins, self.config.velocity_values[offset % self.velocity_bins]

    def is_hit(self, token: int) -> bool:
        return token >= self.first_hit

    def split_gap(self, units: int) -> list[int]:
        """Shift sizes summing to `units`, largest first (the fewest tokens)."""
        sizes, remaining = [], units
        for size in sorted(self.config.shift_sizes, reverse=True):
            while size <= remaining:
                sizes.append(size)
                remaining -= size
        if remaining:
            raise ValueError(f"gap of {units} units cannot be written with shifts {self.config.shift_sizes}")
        return sizes

    def signature(self) -> dict[str, Any]:
        """What model.json must match for a model to be usable with this tokenizer."""
        return {
            "tokenizer_version": TOKENIZER_VERSION,
            "config": self.config.to_json(),
            "drums": drum_table_signature(),
            "tokens": self.names,
            "position_buckets": POSITION_BUCKETS,
        }


class BarCursor:
    """Tracks where a token stream is in time; the single source of token grammar."""

    def __init__(self, vocabulary: Vocabulary, bar_units: int) -> None:
        self.vocabulary = vocabulary
        self.bar_units = bar_units
        self.bar = -1  # no bar line seen yet
        self.position = 0  # units since the current bar line
        self.last_drum = -1  # drum of the last hit at this position, for ordering

    @property
    def position_bucket(self) -> int:
        bucket = self.position * POSITIONS_PER_BEAT // self.vocabulary.config.units_per_beat
        return min(bucket, POSITION_BUCKETS - 1)

    def advance(self, token: int) -> None:
        if token == BAR:
            self.bar, self.position, self.last_drum = self.bar + 1, 0, -1
        elif self.vocabulary.is_hit(token):
            self.last_drum = int(self.vocabulary.hit_drum[token])
        elif token != PAD:
            self.position += int(self.vocabulary.shift_units[token])
            self.last_drum = -1

    def allowed_mask(self) -> np.ndarray:
        """Tokens that keep the stream valid: no PAD, no shift past the bar line,
        hits at one position in ascending drum order, nothing before the first BAR."""
        v = self.vocabulary
        mask = np.zeros(len(v), dtype=bool)
        mask[BAR] = True
        if self.bar < 0:
            return mask
        mask[v.first_shift : v.first_hit] = self.position + v.shift_units[v.first_shift : v.first_hit] < self.bar_units
        mask[v.first_hit :] = v.hit_drum[v.first_hit :] > self.last_drum
        return mask


def encode(hits: list[Hit], bar_lines: list[float], vocabulary: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """Tokens and position inputs for the hits inside bar_lines[0]..bar_lines[-1].

    Hits are placed relative to bar_lines[0]; hits outside the span are left out.
    Two hits of one drum on the same time unit keep the louder one.
    """
    upb = vocabulary.config.units_per_beat
    lines = [round((b - bar_lines[0]) * upb) for b in bar_lines]
    onsets = _onsets_by_unit(hits, bar_lines[0], upb)
    tokens: list[int] = []
    positions: list[int] = []
    cursor = BarCursor(vocabulary, lines[1] - lines[0] if len(lines) > 1 else upb * 4)

    def emit(token: int) -> None:
        cursor.advance(token)
        tokens.append(token)
        positions.append(cursor.position_bucket)

    for start, end in zip(lines, lines[1:]):
        emit(BAR)
        cursor.bar_units = end - start
        for unit in (u for u in sorted(onsets) if start <= u < end):
            for size in vocabulary.split_gap(unit - start - cursor.position):
                emit(vocabulary.shift_token(size))
            for drum, velocity in sorted(onsets[unit].items()):
                emit(vocabulary.hit_token(drum, velocity))
    emit(BAR)
    return np.asarray(tokens, dtype=np.int32), np.asarray(positions, dtype=np.int32)


def _onsets_by_unit(hits: list[Hit], origin: float, units_per_beat: int) -> dict[int, dict[int, int]]:
    onsets: dict[int, dict[int, int]] = {}
    for hit in hits:
        unit = round((hit.time - origin) * units_per_beat)
        drums = onsets.setdefault(unit, {})
        drums[hit.drum] = max(drums.get(hit.drum, 0), hit.velocity)
    return onsets


def decode(tokens: Iterable[int], vocabulary: Vocabulary, bar_units: int | list[int]) -> list[Hit]:
    """Hits (time in beats from the first BAR) written by a token stream.

    `bar_units` is one bar length in units, or one per bar (the last repeats).
    A token the grammar forbids (a shift past the bar line, PAD) raises
    ValueError: callers decide whether that counts as a failed sample.
    """

    def length_of(bar: int) -> int:
        if isinstance(bar_units, list):
            return bar_units[min(max(bar, 0), len(bar_units) - 1)]
        return bar_units

    cursor = BarCursor(vocabulary, length_of(0))
    upb = vocabulary.config.units_per_beat
    bar_start, hits = 0, []
    for token in (int(t) for t in tokens):
        if not cursor.allowed_mask()[token]:
            name = vocabulary.names[token]
            raise ValueError(f"token {name} not allowed at bar {cursor.bar}, unit {cursor.position}")
        if token == BAR and cursor.bar >= 0:
            bar_start += cursor.bar_units
        cursor.advance(token)
        if token == BAR:
            cursor.bar_units = length_of(cursor.bar)
        elif vocabulary.is_hit(token):
            drum, velocity = vocabulary.hit_of(token)
            hits.append(Hit((bar_start + cursor.position) / upb, drum, velocity))
    return hits
