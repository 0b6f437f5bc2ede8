"""Drum hits and drum parts as plain data: what every layer passes around (no MIDI library here)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Hit:
    """One drum hit: time in beats from the part's start, drum class, MIDI velocity."""

    time: float
    drum: int
    velocity: int


@dataclass
class DrumPart:
    """Drum hits of one file with the musical grid they sit on."""

    hits: list[Hit]
    bar_lines: list[float]  # bar starts in beats, ascending, covering every hit
    bpm: float
    time_signature: tuple[int, int]
    unknown_pitches: Counter[int] = field(default_factory=Counter)
    had_tempo: bool = True

    @property
    def bar_count(self) -> int:
        return len(self.bar_lines) - 1

    @property
    def beats_per_bar(self) -> float:
        return bar_length_beats(self.time_signature)


def bar_length_beats(time_signature: tuple[int, int]) -> float:
    """Length of one bar in quarter-note beats."""
    numerator, denominator = time_signature
    return numerator * 4.0 / denominator
