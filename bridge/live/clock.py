"""Follow an incoming MIDI clock: song position in ticks (24 per quarter note), tempo and predicted tick times.

ClockTracker is a plain object fed (message, arrival time) pairs, composed of
three parts: the MIDI transport (midi_transport: Start, Stop, Continue, Song
Position Pointer), the tempo line (tempo_line: a least-squares line through
the last beat of ticks) and the policy for irregular arrivals (tick_arrivals:
copies, hold-ups, catch-ups, gaps).  docs/live.md explains the rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.live.midi_transport import (
    CLOCK,
    CONTINUE,
    SONG_POSITION,
    START,
    STOP,
    TICKS_PER_BEAT,
    TICKS_PER_SIXTEENTH,
    MidiTransport,
)
from bridge.live.tempo_line import MAX_BPM, MIN_BPM, MIN_TICK_SECONDS, OUTLIER_SECONDS, TempoLine
from bridge.live.tick_arrivals import DROP_AHEAD_TICKS, JUMP_AHEAD_TICKS, TickArrivals

__all__ = [
    "CLOCK",
    "CONTINUE",
    "DROP_AHEAD_TICKS",
    "JUMP_AHEAD_TICKS",
    "MAX_BPM",
    "MIN_TICK_SECONDS",
    "SONG_POSITION",
    "START",
    "STOP",
    "TICKS_PER_BEAT",
    "TICKS_PER_SIXTEENTH",
    "ClockStatus",
    "ClockTracker",
]

# A running clock silent for this many beats has stalled; at least MIN_STALL_SECONDS, so that a
# fast clock's hold-ups do not silence the song (test_a_fast_clock_gets_a_quarter_second_...).
STALL_BEATS = 1.0
MIN_STALL_SECONDS = 0.25
# How far past the last tick notes may be sent: a tick and a quarter while ticks arrive on the
# line (a note goes at its predicted time, not a period or two after its own tick), a quarter
# tick while they do not (the tempo is changing and the line lags, or jitter hides it).
TRUSTED_LEAD_TICKS, CAUTIOUS_LEAD_TICKS = 1.25, 0.25


@dataclass(frozen=True)
class ClockStatus:
    """A snapshot for the UI and the log."""

    running: bool
    stalled: bool
    position_ticks: int
    bpm: float | None


class ClockTracker:
    """The song position and tempo of an incoming MIDI clock, and the times of future positions."""

    exact_times = False  # fitted to arrival stamps, which came through the backend's periods

    def __init__(self, input_period: float | None = None) -> None:
        self._transport = MidiTransport()
        self._line = TempoLine()
        self._arrivals = TickArrivals(self._transport, self._line, input_period)
        self._alive_since: float | None = None  # the last tick counted since Start or Continue (stalled)

    def feed(self, message: bytes | list[int] | tuple[int, ...], time: float) -> str | None:
        """Apply one realtime/common message; returns its name when it changed the transport, and
        for a tick "burst" or "jump" (TickArrivals.tick: ticks that move the song, not play it)."""
        if message[0] == CLOCK:
            change = self._arrivals.tick(time)
            if self.running:
                self._alive_since = time
            return change
        self._arrivals.interrupt()
        change = self._transport.apply(message)
        if change in ("start", "continue"):
            self._alive_since = None  # a stall is counted from the first tick after it
        if change in ("start", "continue", "position"):
            self._line.clear_anchors()  # the ticks before a jump are on another line
        return change

    # -- state of the parts -------------------------------------------------

    @property
    def input_period(self) -> float | None:
        """Seconds between the batches the backend hands ticks over in (JACK's period), where known."""
        return self._arrivals.input_period

    @input_period.setter
    def input_period(self, seconds: float | None) -> None:
        self._arrivals.input_period = seconds

    @property
    def running(self) -> bool:
        return self._transport.running

    @property
    def position(self) -> int:
        """The last tick counted; -1 before the first after Start."""
        return self._transport.position

    @property
    def last_tick_time(self) -> float | None:
        return self._arrivals.last_time

    @property
    def delays(self) -> int:
        """Times the clock was held up and went on later at the same tempo."""
        return self._arrivals.delays

    @property
    def gaps(self) -> int:
        """Long intervals of a running clock, whatever they turned out to be (for the log)."""
        return self._arrivals.gaps

    @property
    def last_gap(self) -> tuple[int, float] | None:
        """(position of the tick after the last gap, its length in tick intervals)."""
        return self._arrivals.last_gap

    @property
    def repeats(self) -> int:
        """Ticks taken for a second delivery of the tick before, and not counted."""
        return self._arrivals.repeats

    @property
    def ahead(self) -> float:
        """Ticks a run of bunched ticks counted beyond the time passed (0 outside one; TickArrivals)."""
        return self._arrivals.ahead

    @property
    def jumping(self) -> bool:
        """In a run of ticks more than JUMP_AHEAD_TICKS ahead: the song is being moved, not played."""
        return self._arrivals.jumping

    @property
    def jumps(self) -> int:
        return self._arrivals.jumps

    @property
    def tick_interval(self) -> float | None:
        """Seconds per tick; None before two ticks, or while they came too bunched for a tempo."""
        return self._line.tick_interval

    @property
    def bpm(self) -> float | None:
        interval = self.tick_interval
        if interval is None:
            return None
        bpm = 60.0 / (interval * TICKS_PER_BEAT)
        return bpm if MIN_BPM <= bpm <= MAX_BPM else None

    # -- predictions ----------------------------------------------------------

    def stalled(self, now: float) -> bool:
        """True when running but no tick came for STALL_BEATS beats (a clock that died without Stop);
        counted from the last tick since Start or Continue (not from a tick before them)."""
        if not self.running or self._alive_since is None:
            return False
        interval = self.tick_interval or 60.0 / (120.0 * TICKS_PER_BEAT)
        limit = max(STALL_BEATS * TICKS_PER_BEAT * interval, MIN_STALL_SECONDS)
        return now - self._alive_since > limit

    def _origin(self, interval: float) -> float:
        assert self.last_tick_time is not None  # callers ask only once a tick came
        return self._line.origin(interval, self.position, self.last_tick_time)

    def time_of(self, position: float) -> float | None:
        """Predicted monotonic time of a song position (ticks), or None before the tempo is known."""
        interval = self.tick_interval
        if interval is None or self.last_tick_time is None:
            return None
        return self._origin(interval) + position * interval

    def position_estimate(self, time: float) -> float:
        """Song position at `time` on the fitted line, not capped (for sending ahead with an offset)."""
        interval = self.tick_interval
        if interval is None or self.last_tick_time is None:
            return float(max(self.position, 0))
        return (time - self._origin(interval)) / interval

    def sending_limit(self) -> float:
        """The furthest song position notes may be sent for, given the ticks received so far: see
        TRUSTED_LEAD_TICKS; the last tick is on the line within the recent jitter (or 2 ms)."""
        position = max(self.position, 0)
        interval = self.tick_interval
        if interval is None or self.last_tick_time is None or not self.running:
            return position + CAUTIOUS_LEAD_TICKS
        residual = abs(self.last_tick_time - (self._origin(interval) + position * interval))
        jitter = max((abs(i - interval) for i in self._line.intervals), default=0.0)
        steady = self._line.steady_jitter(interval) is not None
        on_line = residual <= max(OUTLIER_SECONDS, jitter) and steady
        return position + (TRUSTED_LEAD_TICKS if on_line else CAUTIOUS_LEAD_TICKS)

    def stop_position(self) -> float | None:
        """MIDI clock announces no Stop ahead: it comes when it comes."""
        return None

    def position_at(self, time: float) -> float:
        """Song position in (fractional) ticks at `time`, from the fitted line: capped below the
        next tick that has not arrived (a note cannot be placed past it) and at most a tick before
        the last one (a late tick)."""
        base = max(self.position, 0)
        interval = self.tick_interval
        if not self.running or interval is None or self.last_tick_time is None:
            return float(base)
        estimate = (time - self._origin(interval)) / interval
        return min(max(estimate, base - 1.0), base + 0.999)

    def status(self, now: float) -> ClockStatus:
        return ClockStatus(self.running, self.stalled(now), max(self.position, 0), self.bpm)
