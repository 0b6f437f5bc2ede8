"""Ableton Link's session as the engine core sees it: a beat line in monotonic seconds, transport, peers.

Link keeps its own clock, CLOCK_MONOTONIC_RAW in microseconds; the bridge
stamps MIDI with `time.monotonic()`, which can be hundreds of milliseconds
away from it.  The Link edge (link_session.py) converts every Link time into
monotonic seconds before a LinkState leaves it, so the core never mixes the
two clocks.  On a Link timeline the beat is a linear function of time between
tempo changes; peers share the phase within a quantum, not the beat number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

QUANTUM = 4.0  # beats: one 4/4 bar, the phase Link keeps in line between peers


@dataclass(frozen=True)
class LinkTimeline:
    """beat(t) = beat + (t - time) * tempo / 60, with `time` in monotonic seconds."""

    tempo: float  # BPM
    beat: float
    time: float

    def beat_at(self, when: float) -> float:
        return self.beat + (when - self.time) * self.tempo / 60.0

    def time_at(self, beat: float) -> float:
        return self.time + (beat - self.beat) * 60.0 / self.tempo

    def with_tempo(self, tempo: float, when: float) -> LinkTimeline:
        """The same beat at `when`, a new tempo from there (as Link's setTempo keeps the beat)."""
        return LinkTimeline(tempo, self.beat_at(when), when)


def bar_line_at_or_before(beat: float, tolerance: float) -> float:
    """The quantum boundary at or before `beat`; a beat within `tolerance` short of a boundary is on it."""
    return QUANTUM * math.floor((beat + tolerance) / QUANTUM)


@dataclass(frozen=True)
class LinkState:
    """One look at the Link session, times in monotonic seconds."""

    timeline: LinkTimeline
    playing: bool  # the transport as announced (Start Stop Sync)
    play_time: float  # when `playing` takes effect (Link's timeForIsPlaying): honoured, not the flag
    peers: int
