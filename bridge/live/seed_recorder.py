"""Record incoming drum hits as a seed: each at its exact song position (ticks and sub-tick)."""

from __future__ import annotations

from collections import Counter

from bridge.live.clock import TICKS_PER_BEAT
from bridge.music.drums import PITCH_TO_CLASS
from bridge.music.hits import Hit

NOTE_ON, NOTE_OFF = 0x90, 0x80


class SeedRecorder:
    """Keeps the hits played into the bridge, timed in song ticks, for the model to continue.

    `note_map` maps input pitches to drum classes (General MIDI / TD-11 by
    default); `channels` (0-15) limits which channels count, None for all.
    Pitches outside the map are counted in `unknown_pitches`, not silently lost.
    """

    def __init__(self, note_map: dict[int, int] | None = None, channels: set[int] | None = None) -> None:
        self.note_map = dict(PITCH_TO_CLASS if note_map is None else note_map)
        self.channels = channels
        self.hits: list[tuple[float, int, int]] = []  # (position in ticks, drum, velocity)
        self.unknown_pitches: Counter = Counter()

    def feed(self, message: bytes | list[int] | tuple[int, ...], position_ticks: float) -> Hit | None:
        """Record a note-on at `position_ticks`; returns the hit, or None when the message is not one."""
        if len(message) < 3 or message[0] & 0xF0 != NOTE_ON or message[2] == 0:
            return None  # note-on with velocity 0 is a note-off
        channel, pitch, velocity = message[0] & 0x0F, message[1] & 0x7F, message[2] & 0x7F
        if self.channels is not None and channel not in self.channels:
            return None
        drum = self.note_map.get(pitch)
        if drum is None:
            self.unknown_pitches[pitch] += 1
            return None
        self.hits.append((position_ticks, drum, velocity))
        return Hit(position_ticks / TICKS_PER_BEAT, drum, velocity)

    def hits_between(self, start_tick: float, end_tick: float) -> list[Hit]:
        """Hits with start <= position < end, timed in beats from `start_tick`."""
        return [
            Hit((position - start_tick) / TICKS_PER_BEAT, drum, velocity)
            for position, drum, velocity in sorted(self.hits)
            if start_tick <= position < end_tick
        ]

    def bar_hits(self, start_tick: int, beats_per_bar: int) -> list[Hit]:
        """Every hit recorded, in beats from the bar starting at `start_tick`, clamped into the bar: one
        played in the last cut's window (a downbeat played early) is on its downbeat."""
        return [
            Hit(min(max((position - start_tick) / TICKS_PER_BEAT, 0.0), beats_per_bar - 1e-6), drum, velocity)
            for position, drum, velocity in sorted(self.hits)
        ]

    def last_hit_tick(self) -> float | None:
        return max((position for position, _d, _v in self.hits), default=None)

    def forget_before(self, tick: float) -> None:
        """Drop hits older than `tick` (the recorder only needs the bars a seed can use)."""
        self.hits = [hit for hit in self.hits if hit[0] >= tick]

    def clear(self) -> None:
        self.hits.clear()
