"""What the engine core asks of the clock it follows: song position in ticks, tempo and predicted times.

Two clocks answer it: ClockTracker (clock.py), which measures MIDI clock
ticks (the DAW's, or the internal clock's computed ones), and LinkClock
(link_clock.py), which reads them off an Ableton Link timeline.
"""

from __future__ import annotations

from typing import Protocol

from bridge.live.clock import ClockStatus


class SongClock(Protocol):
    """The clock interface the core, the performance and the status snapshot use."""

    input_period: float | None
    # Times computed from a shared timeline (Link), not fitted to ticks that came through the
    # audio periods: the core hands notes over half an output period early (core._output_lead_s).
    exact_times: bool

    @property
    def running(self) -> bool: ...

    @property
    def position(self) -> int:
        """The last tick counted; -1 before the first."""
        ...

    @property
    def last_tick_time(self) -> float | None: ...

    @property
    def tick_interval(self) -> float | None: ...

    @property
    def bpm(self) -> float | None: ...

    @property
    def ahead(self) -> float:
        """Ticks counted beyond the time passed (bunched ticks)."""
        ...

    @property
    def jumping(self) -> bool: ...

    def stalled(self, now: float) -> bool: ...

    def time_of(self, position: float) -> float | None: ...

    def position_estimate(self, time: float) -> float: ...

    def position_at(self, time: float) -> float: ...

    def sending_limit(self) -> float: ...

    def stop_position(self) -> float | None:
        """Where a Stop announced ahead (Link) will end the song; None where none is pending."""
        ...

    def status(self, now: float) -> ClockStatus: ...
