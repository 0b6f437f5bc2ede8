"""Follow an incoming MIDI clock: song position in ticks (24 per quarter note) and tempo.

A plain object fed (message, arrival time) pairs, so tests drive it with
numbers.  Conventions (MIDI 1.0 spec, and what Ableton Live sends):

- Start (0xFA): the song restarts at 0; the *next* clock tick is tick 0.
- Song Position Pointer (0xF2): position in 16th notes (6 ticks each); the
  next tick after Continue is that position.  Live's "Song" clock type sends
  SPP + Continue; its "Pattern" type sends only Start.
- Continue (0xFB): resume from the current position.
- Stop (0xFC): halt; the position is kept for Continue.
- Clock (0xF8): 24 per quarter note; advances the position only while running.

Tempo and the times of future positions come from a least-squares line
through the last beat of ticks (24 while running, refitted without ticks
that arrived far off the line): jitter averages out, one tick delivered late
(drivers hand ticks over in audio-period batches, a busy machine delays a
batch) barely moves it, and a tempo change is followed within a beat.
Until six ticks have arrived, the mean tick interval stands in.  An interval far longer than
the current estimate (the clock paused without Stop) restarts the estimate
instead of dragging it.  A running clock whose ticks stop arriving for longer
than STALL_BEATS beats (at least MIN_STALL_SECONDS) counts as stalled.

Lost ticks: a JACK client that misses a cycle (an xrun on a loaded machine)
loses the MIDI of that cycle, so a tick can simply never arrive.  Counting
arrivals would then leave the song position a tick behind for good (every
note after it a tick late).  So once the tempo line is known, an interval of
about two (three, four) tick intervals makes the tick *suspect* of following
lost ticks, and the next tick decides: one more ordinary interval (the tempo
held) confirms the loss and the position skips the lost ticks; a tick less
than half an interval later means the suspect was only late (both came in one
batch); anything else is a tempo change (even a halving), which restarts the
tempo estimate.  A whole stream of ticks delayed by about a tick (a client
starved for a while) looks like a confirmed loss, until it catches up: a tick
less than half an interval after its predecessor within a beat of a skip
takes the skip back.  Where the recent intervals jitter by 0.15 tick or
more (long audio periods deliver ticks in batches) a loss cannot be told from
jitter plus a tempo change, and ticks are just counted.

A clock held up as a whole (the machine or the audio server stalled: jackd
stopped for 20 ms delivers one tick 2.3 intervals after the last, then goes
on at the old tempo, later) is not a loss: the ticks after it are off the old
lattice by a fraction of a tick.  So a gap counts as lost ticks only within
about two period-jitters of a whole number of intervals (LOSS_PHASE_*);
otherwise, once the next tick confirms the tempo, the line is re-anchored at
the new phase and no tick is counted.  A stall of almost exactly a whole
number of ticks cannot be told from a loss from the ticks alone.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

TICKS_PER_BEAT = 24
TICKS_PER_SIXTEENTH = 6
CLOCK, START, CONTINUE, STOP, SONG_POSITION = 0xF8, 0xFA, 0xFB, 0xFC, 0xF2
# A gap this many times the current tick interval means the clock paused.
GAP_FACTOR = 4.0
STALL_BEATS = 1.0
MIN_STALL_SECONDS = 0.25
MIN_BPM, MAX_BPM = 20.0, 400.0
MIN_FIT_TICKS = 6
OUTLIER_SECONDS = 0.002  # ticks further than this (and 4x the median) off the line are not fitted
MAX_JITTER_FOR_LOSSES = 0.15  # of a tick interval: beyond it no loss is inferred (see the module docstring)
MAX_LOST_TICKS = 3  # a longer silence (up to GAP_FACTOR intervals) is counted as lost ticks, beyond as a pause
SUSPECT_RATIO = 1.5  # an interval this many tick intervals long may follow lost ticks
TRUSTED_LEAD_TICKS, CAUTIOUS_LEAD_TICKS = 1.25, 0.25  # see sending_limit()
SAME_TEMPO = (0.75, 1.25)  # the interval after a suspect, in tick intervals, that confirms a loss
# A gap counts as lost ticks only within this many tick intervals of a whole number of
# intervals: LOSS_PHASE_JITTERS times the recent jitter, within [MIN, MAX] (_ticks_lost_in).
LOSS_PHASE_MIN, LOSS_PHASE_MAX, LOSS_PHASE_JITTERS = 0.1, 0.2, 2.5


@dataclass(frozen=True)
class ClockStatus:
    """A snapshot for the UI and the log."""

    running: bool
    stalled: bool
    position_ticks: int
    bpm: float | None


class ClockTracker:
    def __init__(self) -> None:
        self.running = False
        self.position = -1  # tick index of the last tick counted; -1: the next tick is tick 0
        self.last_tick_time: float | None = None
        self._intervals: deque[float] = deque(maxlen=TICKS_PER_BEAT)
        # (position, time) of recent ticks while running, without a jump in between.
        self._anchors: deque[tuple[int, float]] = deque(maxlen=TICKS_PER_BEAT)
        self._fitted: tuple[float, float] | None = None  # (seconds per tick, time of position 0), cached
        self._suspect = 0  # ticks possibly lost before the last tick; the next tick decides
        self._suspect_delay = False  # the last tick came off the lattice (held up); the next tick decides
        self._credit = 0  # skipped ticks that a catch-up batch within _credit_ticks ticks takes back
        self._credit_ticks = 0
        self.lost_ticks = 0  # ticks inferred as lost since creation (for the log and the benchmark)
        self.delays = 0  # times the clock was held up and went on later at the same tempo

    def feed(self, message: bytes | list[int] | tuple[int, ...], time: float) -> str | None:
        """Apply one realtime/common message; returns its name when it changed the transport."""
        status = message[0]
        if status == CLOCK:
            self._tick(time)
            return None
        self._suspect = self._credit = 0
        self._suspect_delay = False
        if status == START:
            self.running, self.position = True, -1
            self._anchors.clear()
            self._fitted = None
            return "start"
        if status == CONTINUE:
            self.running = True
            self._anchors.clear()
            self._fitted = None
            return "continue"
        if status == STOP:
            self.running = False
            return "stop"
        if status == SONG_POSITION and len(message) >= 3:
            sixteenths = (message[1] & 0x7F) | ((message[2] & 0x7F) << 7)
            self.position = sixteenths * TICKS_PER_SIXTEENTH - 1
            self._anchors.clear()
            self._fitted = None
            return "position"
        return None

    def _tick(self, time: float) -> None:
        if self.last_tick_time is not None:
            self._judge_interval(time - self.last_tick_time)
        self.last_tick_time = time
        if self.running:
            self.position += 1
            self._anchors.append((self.position, time))
        self._fitted = None

    def _judge_interval(self, interval: float) -> None:
        """Settle a suspected loss, suspect a new one, or just add the interval (see the module docstring)."""
        fit = self._fit() if self.running else None
        suspect, self._suspect = self._suspect, 0
        self._credit_ticks = max(self._credit_ticks - 1, 0)
        if fit is None:
            if interval > 0:
                self._add_interval(interval)
            return
        ratio = max(interval, 0.0) / fit[0]
        delayed, self._suspect_delay = self._suspect_delay, False
        if suspect or delayed:
            if SAME_TEMPO[0] <= ratio <= SAME_TEMPO[1]:
                if suspect:
                    self._skip_lost_ticks(suspect)
                else:
                    self._shift_phase()
                self._intervals.append(interval)
            elif ratio >= 0.5:
                self._restart_estimate()  # the tempo changed at the suspect tick
            return  # below 0.5: the suspect was late and this tick came with it
        if ratio < 0.5 and self._credit and self._credit_ticks:
            # Ticks delayed as a stream look lost until the stream catches up in
            # one batch; this tick takes a recent skip back instead of advancing.
            self._credit -= 1
            self.position -= 1
            self.lost_ticks -= 1
            return
        if SUSPECT_RATIO <= ratio <= GAP_FACTOR and self._can_tell_losses(fit[0]):
            lost = self._ticks_lost_in(interval)
            if lost is not None:
                self._suspect = min(lost, MAX_LOST_TICKS)
            else:
                self._suspect_delay = True  # off the tick lattice: the whole clock was held up
            return
        if interval > 0:
            self._add_interval(interval)

    def _skip_lost_ticks(self, lost: int) -> None:
        """The last tick came after `lost` missing ones: move it and the position past them."""
        self.position += lost
        self.lost_ticks += lost
        self._credit, self._credit_ticks = lost, TICKS_PER_BEAT
        if self._anchors:
            position, time = self._anchors.pop()
            self._anchors.append((position + lost, time))

    def _shift_phase(self) -> None:
        """The clock was held up and goes on at the same tempo, later: a new line, same slope.

        The intervals (and so the tempo until the line is refitted) stay; the
        anchors go, since every later tick is off the old line by the delay.
        """
        self.delays += 1
        self._anchors.clear()
        self._fitted = None

    def _ticks_lost_in(self, gap: float) -> int | None:
        """The ticks missing in a long gap, or None where the gap is off the tick lattice.

        A tick lost in a missed cycle leaves the ticks after it on the old
        lattice, give or take the period jitter; a clock held up as a whole
        (the machine or the audio server stalled) goes on a fraction of a tick
        later, which counting losses would turn into a tick off for good.  The
        lattice is that of the latest intervals, not the line: half a beat
        after a tempo change the line still leans towards the old tempo.
        """
        latest = list(self._intervals)[-MIN_FIT_TICKS:]
        recent = sum(latest) / len(latest)
        jitter = max(abs(interval - recent) for interval in latest) / recent
        tolerance = min(max(LOSS_PHASE_MIN, LOSS_PHASE_JITTERS * jitter), LOSS_PHASE_MAX)
        ratio = gap / recent
        return round(ratio) - 1 if abs(ratio - round(ratio)) <= tolerance else None

    def _restart_estimate(self) -> None:
        self._intervals.clear()
        self._anchors.clear()
        self._fitted = None

    def _can_tell_losses(self, tick_interval: float) -> bool:
        """Whether one missing tick stands out from the jitter of the recent intervals.

        Drivers that hand ticks over once per audio period (1024 frames is 21 ms,
        a tick at 120 BPM is 21 ms) make ordinary intervals of 0, 1 or 2 periods;
        then a loss cannot be told from a tick that waited for the next period,
        and ticks are simply counted.
        """
        if len(self._intervals) < MIN_FIT_TICKS:
            return False
        jitter = max(abs(interval - tick_interval) for interval in self._intervals)
        return jitter < MAX_JITTER_FOR_LOSSES * tick_interval

    def _add_interval(self, interval: float) -> None:
        estimate = self.tick_interval
        if estimate is not None and interval > GAP_FACTOR * estimate:
            self._restart_estimate()  # a pause, not a tempo: start measuring afresh
            return
        self._intervals.append(interval)

    @property
    def tick_interval(self) -> float | None:
        """Seconds per tick, or None before two ticks have arrived."""
        fit = self._fit()
        if fit is not None:
            return fit[0]
        if not self._intervals:
            return None
        return sum(self._intervals) / len(self._intervals)

    def _fit(self) -> tuple[float, float] | None:
        """(slope, intercept) of time against position over the recent ticks; None with too few."""
        if self._fitted is None and len(self._anchors) >= MIN_FIT_TICKS:
            points = list(self._anchors)
            slope, intercept = _least_squares(points)
            residuals = [abs(t - (intercept + p * slope)) for p, t in points]
            limit = max(OUTLIER_SECONDS, 4 * sorted(residuals)[len(residuals) // 2])
            kept = [point for point, residual in zip(points, residuals) if residual <= limit]
            if MIN_FIT_TICKS <= len(kept) < len(points):
                slope, intercept = _least_squares(kept)
            if slope > 0:
                self._fitted = (slope, intercept)
        return self._fitted

    @property
    def bpm(self) -> float | None:
        interval = self.tick_interval
        if interval is None:
            return None
        bpm = 60.0 / (interval * TICKS_PER_BEAT)
        return bpm if MIN_BPM <= bpm <= MAX_BPM else None

    def stalled(self, now: float) -> bool:
        """True when running but ticks stopped arriving (a clock that died without Stop)."""
        if not self.running or self.last_tick_time is None:
            return False
        interval = self.tick_interval or 60.0 / (120.0 * TICKS_PER_BEAT)
        limit = max(STALL_BEATS * TICKS_PER_BEAT * interval, MIN_STALL_SECONDS)
        return now - self.last_tick_time > limit

    def _origin(self, interval: float) -> float:
        """Time of position 0 on the line fitted through the recent ticks."""
        fit = self._fit()
        if fit is not None:
            return fit[1]
        if self._anchors:
            return sum(t - p * interval for p, t in self._anchors) / len(self._anchors)
        return self.last_tick_time - max(self.position, 0) * interval

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
        """The furthest song position notes may be sent for, given the ticks received so far.

        When the last tick arrived where the tempo line put it, up to a tick
        past it: notes go out at their predicted time instead of waiting for
        their own tick (which would make them a period or two late), and ticks
        lost in an xrun do not hold notes back.  When it arrived off the line
        by more than the recent jitter (the tempo is changing and the line
        still lags), or where ticks jitter too much to tell (long audio periods),
        only a quarter tick past it: predictions are not trusted.
        A tick suspected to follow lost ones counts as where it would be.
        """
        position = max(self.position, 0) + self._suspect
        interval = self.tick_interval
        if interval is None or self.last_tick_time is None or not self.running:
            return position + CAUTIOUS_LEAD_TICKS
        residual = abs(self.last_tick_time - (self._origin(interval) + position * interval))
        jitter = max((abs(i - interval) for i in self._intervals), default=0.0)
        # Where ticks jitter by 0.15 tick or more (long audio periods), a tempo
        # change hides in the jitter for a tick or two: predictions are not trusted there.
        on_line = residual <= max(OUTLIER_SECONDS, jitter) and self._can_tell_losses(interval)
        return position + (TRUSTED_LEAD_TICKS if on_line else CAUTIOUS_LEAD_TICKS)

    def position_at(self, time: float) -> float:
        """Song position in (fractional) ticks at `time`, from the fitted line.

        Capped below the next tick that has not arrived yet (a note cannot be
        placed past it) and at most a tick before the last one (a late tick).
        """
        base = max(self.position, 0)
        interval = self.tick_interval
        if not self.running or interval is None or self.last_tick_time is None:
            return float(base)
        estimate = (time - self._origin(interval)) / interval
        return min(max(estimate, base - 1.0), base + 0.999)

    def status(self, now: float) -> ClockStatus:
        return ClockStatus(self.running, self.stalled(now), max(self.position, 0), self.bpm)


def _least_squares(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Slope and intercept of time = intercept + slope * position."""
    n = len(points)
    mean_p = sum(p for p, _t in points) / n
    mean_t = sum(t for _p, t in points) / n
    spread = sum((p - mean_p) ** 2 for p, _t in points)
    slope = sum((p - mean_p) * (t - mean_t) for p, t in points) / spread if spread else 0.0
    return slope, mean_t - slope * mean_p
