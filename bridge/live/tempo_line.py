"""The tempo line: a least-squares fit of tick arrival time against song position over the last beat."""

from __future__ import annotations

from collections import deque

from bridge.live.midi_transport import TICKS_PER_BEAT

# The tempi offered as bpm.  MAX_BPM also bounds tick_interval: a first burst of bunched ticks
# gives no tempo (test_a_clock_that_starts_with_a_burst_...); slower than MIN_BPM is a clock dying
# away, not a tempo (test_a_clock_slower_than_min_bpm_offers_no_tempo).
MIN_BPM, MAX_BPM = 20.0, 400.0
# A shorter tick interval is ticks delivered in a bunch (a catch-up batch, a first period
# holding several ticks), not a tempo: no estimate that fast is offered.
MIN_TICK_SECONDS = 60.0 / (MAX_BPM * TICKS_PER_BEAT)
MIN_FIT_TICKS = 6  # fewer ticks give no line (3 breaks 1024-frame batches and hold-ups at 256 frames)
# Ticks further than this (and 4x the median residual) off the line are refitted without: one
# late tick must not bend it.  Also the least jitter any rule assumes (scheduling noise): at 0,
# a steady 256-frame replay and sudden tempo changes are misjudged.
OUTLIER_SECONDS = 0.002
# Where intervals stray from the tempo by this share of a tick or more (long audio periods
# deliver ticks in batches) a hold-up or a tempo change cannot be told from jitter (unbounded,
# 1024-frame batches pass for hold-ups; 0.3 takes sudden tempo changes for them).
MAX_JITTER_FOR_HOLD_UPS = 0.15
# The largest deviations left out when measuring the jitter of a full beat of intervals, so
# that a hold-up just absorbed (one long interval, or two) does not hide the next one
# (test_a_clock_held_up_bit_by_bit_...).
HOLD_UP_INTERVALS_IGNORED = 2
# An interval this many tick intervals long is a pause: the estimate restarts (without it the
# replays of server stalls, a pause and lost ticks drag the tempo for a beat).
GAP_FACTOR = 4.0


class TempoLine:
    """Seconds per tick and the time of any song position, from the recent ticks.

    The line runs through the anchors, (position, time) of the last beat of
    ticks counted without a jump in between; the slope is the tempo.  Until
    MIN_FIT_TICKS anchors exist the tempo of a re-anchored line is held, else
    the mean of the recent intervals stands in.  Neither offers a tempo
    faster than MAX_BPM.
    """

    def __init__(self) -> None:
        self.intervals: deque[float] = deque(maxlen=TICKS_PER_BEAT)
        self.anchors: deque[tuple[int, float]] = deque(maxlen=TICKS_PER_BEAT)
        self._fitted: tuple[float, float] | None = None  # (seconds per tick, time of position 0), cached
        self.held_interval: float | None = None  # the tempo kept over a re-anchoring, until the new line fits

    # -- what goes in -----------------------------------------------------

    def add_anchor(self, position: int, time: float) -> None:
        self.anchors.append((position, time))
        self._fitted = None

    def extend_anchors(self, points: list[tuple[int, float]]) -> None:
        self.anchors.extend(points)
        self._fitted = None

    def clear_anchors(self) -> None:
        """After a jump of the song position: the ticks before it are on another line."""
        self.anchors.clear()
        self._fitted = None

    def reanchor(self, tick_interval: float | None) -> None:
        """A new line from the next ticks, keeping `tick_interval` as the tempo until it fits."""
        self.clear_anchors()
        self.held_interval = tick_interval

    def restart(self) -> None:
        """Measure the tempo afresh (it changed, or the clock paused)."""
        self.held_interval = None
        self.intervals.clear()
        self.clear_anchors()

    def add_interval(self, interval: float) -> None:
        """Add an interval between ticks; a pause (over GAP_FACTOR tick intervals) restarts the estimate."""
        estimate = self.tick_interval
        if estimate is not None and interval > GAP_FACTOR * estimate:
            self.restart()
            return
        self.intervals.append(interval)

    # -- what comes out ---------------------------------------------------

    def fit(self) -> tuple[float, float] | None:
        """(seconds per tick, time of position 0) through the anchors; None with too few, or no tempo."""
        if self._fitted is None and len(self.anchors) >= MIN_FIT_TICKS:
            slope, intercept, _kept = robust_line(list(self.anchors))
            if is_tempo(slope):
                self._fitted = (slope, intercept)
        return self._fitted

    @property
    def tick_interval(self) -> float | None:
        """Seconds per tick, or None before two ticks or while the ticks came too bunched for a tempo."""
        fit = self.fit()
        if fit is not None:
            return fit[0]
        if self.held_interval is not None:
            return self.held_interval
        if not self.intervals:
            return None
        mean = sum(self.intervals) / len(self.intervals)
        return mean if is_tempo(mean) else None

    def origin(self, interval: float, position: int, last_time: float) -> float:
        """Time of position 0: on the fitted line, else through the anchors (or the last tick) at `interval`."""
        fit = self.fit()
        if fit is not None:
            return fit[1]
        if self.anchors:
            return sum(t - p * interval for p, t in self.anchors) / len(self.anchors)
        return last_time - max(position, 0) * interval

    def jitter(self, tick_interval: float) -> float | None:
        """How far the recent intervals stray from `tick_interval` (s): the third-largest deviation
        of a full beat (HOLD_UP_INTERVALS_IGNORED), the largest of fewer; None under MIN_FIT_TICKS."""
        if len(self.intervals) < MIN_FIT_TICKS:
            return None
        deviations = sorted(abs(interval - tick_interval) for interval in self.intervals)
        ignored = HOLD_UP_INTERVALS_IGNORED if len(deviations) == TICKS_PER_BEAT else 0
        return deviations[-ignored - 1]

    def steady_jitter(self, tick_interval: float) -> float | None:
        """The jitter, where it is small enough to tell a hold-up (MAX_JITTER_FOR_HOLD_UPS); else None."""
        jitter = self.jitter(tick_interval)
        return jitter if jitter is not None and jitter < MAX_JITTER_FOR_HOLD_UPS * tick_interval else None


def is_tempo(seconds_per_tick: float) -> bool:
    """Whether a tick interval can be a tempo (at most MAX_BPM), not ticks delivered in a bunch."""
    return seconds_per_tick >= MIN_TICK_SECONDS


def robust_line(points: list[tuple[int, float]]) -> tuple[float, float, list[tuple[int, float]]]:
    """Least-squares line refitted without points far off it (late ticks); returns the points kept."""
    slope, intercept = least_squares(points)
    residuals = [abs(t - (intercept + p * slope)) for p, t in points]
    limit = max(OUTLIER_SECONDS, 4 * sorted(residuals)[len(residuals) // 2])
    kept = [point for point, residual in zip(points, residuals) if residual <= limit]
    if MIN_FIT_TICKS <= len(kept) < len(points):
        slope, intercept = least_squares(kept)
        return slope, intercept, kept
    return slope, intercept, points


def least_squares(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Slope and intercept of time = intercept + slope * position."""
    n = len(points)
    mean_p = sum(p for p, _t in points) / n
    mean_t = sum(t for _p, t in points) / n
    spread = sum((p - mean_p) ** 2 for p, _t in points)
    slope = sum((p - mean_p) * (t - mean_t) for p, t in points) / spread if spread else 0.0
    return slope, mean_t - slope * mean_p
