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
Until six ticks have arrived, the mean tick interval stands in; neither
offers a tempo faster than MAX_BPM (bunched ticks, not a tempo).  An interval far longer than
the current estimate (the clock paused without Stop) restarts the estimate
instead of dragging it.  A running clock whose ticks stop arriving for longer
than STALL_BEATS beats (at least MIN_STALL_SECONDS) counts as stalled.

Ticks are counted as they arrive; none is ever invented, and one JACK hands
over twice (to a client that ran late) is counted once (_is_repeat: where the
backend's period is known).  A clock held up
as a whole (the machine or the audio server stalled: jackd stopped for 20 ms
delivers one tick 2.3 intervals after the last, then goes on at the old
tempo, later) leaves a long interval followed by ordinary ones.  The first
tick after it that is neither bunched with it nor long itself tells what it
was (_settle_suspect): at the old tempo and off the old line by more than the
jitter, the clock was held up, and the line is re-anchored at the new phase
(same tempo; `delays` counts it); on the old line, only the long interval's
tick was late; at another tempo, the tempo changed, which restarts the
estimate.  A stream held up for a few ticks that then catches
up in one batch (a tick less than half an interval after its predecessor,
within a beat of a re-anchoring) is re-anchored back.  A hold-up built up
over several slightly long intervals shows as three ticks off the line by
one and the same offset (_judge_phase).  Where the recent intervals jitter
by 0.15 tick or more (long audio periods deliver ticks in batches) a hold-up
cannot be told from jitter, and the fit's outlier rule alone absorbs late
ticks, except an interval too long for jitter and a tempo change together
(_stands_out).

Why no tick is inferred as lost: measured on JACK (64 frames, 174 BPM,
dozens of xruns in 40 s runs, the bridge's stamps against a frame-time
recorder), overruns held the clock up by 1 to 3 whole tick intervals without
losing a tick (an earlier rule that counted such gaps as lost ticks put every
later note a tick early), while the one tick a late client really lost came
in a catch-up batch with an ordinary-looking interval, which no gap rule sees.
From the ticks alone a lost tick and a hold-up of a whole interval are the
same; hold-ups are by far the more common, so arrivals are what count.
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
# A shorter tick interval is ticks delivered in a bunch (a clock that starts with a burst, a
# catch-up batch), not a tempo: no estimate that fast is offered (tick_interval).
MIN_TICK_SECONDS = 60.0 / (MAX_BPM * TICKS_PER_BEAT)
MIN_FIT_TICKS = 6
OUTLIER_SECONDS = 0.002  # ticks further than this (and 4x the median) off the line are not fitted
MAX_JITTER_FOR_HOLD_UPS = 0.15  # of a tick interval: beyond it no hold-up is inferred (see the module docstring)
# Where intervals jitter by more (256-frame periods: a quarter or a third of a tick), only an interval
# longer than one plus LONG_INTERVAL_JITTERS jitters is judged as a hold-up (_stands_out).
LONG_INTERVAL_JITTERS = 4.0
SETTLE_JITTERS = 2.0  # the tick after a long interval this many jitters off the old line: held up (_settle_suspect)
HOLD_UP_INTERVALS_IGNORED = 2  # the largest deviations left out when judging the jitter (_interval_jitter)
# A line is re-anchored when PHASE_TICKS ticks in a row sit off it on one side by more than
# PHASE_JITTERS jitters, spread by at most 2 jitters + PHASE_SPREAD_SECONDS (_judge_phase).
PHASE_TICKS, PHASE_JITTERS, PHASE_SPREAD_SECONDS = 3, 3.0, 0.0005
# An interval this many tick intervals long (up to GAP_FACTOR) may mean the clock was held up; the
# ticks after it decide (_settle_suspect).  Where the backend's period is known, less (_long_ratio).
HOLD_UP_RATIO = 1.5
# Where the backend's period is known, long intervals are judged from down to this (_long_ratio).
MIN_HOLD_UP_RATIO = 1.3
TRUSTED_LEAD_TICKS, CAUTIOUS_LEAD_TICKS = 1.25, 0.25  # see sending_limit()
BATCH_RATIO = 0.5  # a tick less than this many tick intervals after the last came in one batch with it
SAME_TEMPO = (0.75, 1.25)  # the interval after a long one, in tick intervals, that confirms a hold-up
# A tick less than this many intervals (and than one less two jitters) after one on the line is a
# second delivery of it (_is_repeat): JACK's come within a period, 0.37 of a tick at 256 frames
# and 174 BPM; a tempo that doubles at once makes 0.5.
REPEAT_RATIO = 0.4


@dataclass(frozen=True)
class ClockStatus:
    """A snapshot for the UI and the log."""

    running: bool
    stalled: bool
    position_ticks: int
    bpm: float | None


class ClockTracker:
    def __init__(self, input_period: float | None = None) -> None:
        # Seconds between the batches the MIDI backend hands ticks over in (JACK's period), where
        # known: only then can a tick delivered twice be told from ticks of one batch (_is_repeat).
        self.input_period = input_period
        self.running = False
        self.position = -1  # tick index of the last tick counted; -1: the next tick is tick 0
        self.last_tick_time: float | None = None
        self._intervals: deque[float] = deque(maxlen=TICKS_PER_BEAT)
        # (position, time) of recent ticks while running, without a jump in between.
        self._anchors: deque[tuple[int, float]] = deque(maxlen=TICKS_PER_BEAT)
        self._fitted: tuple[float, float] | None = None  # (seconds per tick, time of position 0), cached
        # (length of the last interval, how late its tick is on the old line, both in tick intervals;
        # the tick interval before it) when that interval was long (held up?); the next ticks decide.
        self._suspect: tuple[float, float, float] | None = None
        self._ticks_since_shift = TICKS_PER_BEAT  # ticks since the line was last re-anchored
        self._held_interval: float | None = None  # the tempo kept over a re-anchoring, until the new line is fitted
        self.delays = 0  # times the clock was held up and went on later at the same tempo
        self.gaps = 0  # intervals of HOLD_UP_RATIO tick intervals or more while running (see _note_gap)
        self.last_gap: tuple[int, float] | None = None  # (position of the tick after it, its length in intervals)
        self.repeats = 0  # ticks taken for a second delivery of the tick before and not counted (_is_repeat)
        self._repeat_time: float | None = None  # the tick just left uncounted, until the next tick confirms it

    def feed(self, message: bytes | list[int] | tuple[int, ...], time: float) -> str | None:
        """Apply one realtime/common message; returns its name when it changed the transport."""
        status = message[0]
        if status == CLOCK:
            self._tick(time)
            return None
        self._suspect = None
        self._held_interval = None
        self._repeat_time = None
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
        if self.last_tick_time is not None and self._is_repeat(time - self.last_tick_time):
            self.repeats += 1
            self._repeat_time = time
            return
        if self._repeat_time is not None:
            # A copy is followed by the next tick an interval after the tick it copied, less
            # two jitters at most.  Sooner, the clock sped up at once (three times as fast makes
            # a third of an interval): the tick left out was a tick of its own, counted after all.
            repeat, self._repeat_time = self._repeat_time, None
            slope = self.tick_interval or 0.0
            if time - self.last_tick_time < self._soonest_own_tick(SAME_TEMPO[0], slope):
                self.repeats -= 1
                self._count(repeat)
        self._count(time)

    def _count(self, time: float) -> None:
        if self.last_tick_time is not None:
            self._note_gap(time - self.last_tick_time)
            self._judge_interval(time - self.last_tick_time)
        self.last_tick_time = time
        if self.running:
            self.position += 1
            self._anchors.append((self.position, time))
            self._judge_phase()
        self._fitted = None

    def _is_repeat(self, interval: float) -> bool:
        """Whether a tick is the tick before delivered a second time, not a tick of its own.

        JACK hands a client that runs late (its cycle N callback after the clock
        wrote cycle N+1) cycle N+1's events in that callback and again in the
        next one: measured with a libjack probe late in 1 % of its cycles (64
        frames, 150 BPM, 15 s, its own frame-time stamps), 8 ticks came twice,
        one period apart, and 5 were lost (cycle N's own events).  A bridge
        counting the copy stays a tick early until the next Start or SPP (what a
        fresh-clone CI run looked like: one tick more than the clock sent, notes
        13-15 ms early).  A copy arrives within a period of a tick that came on
        the line; a tick of its own that soon would have to come most of an
        interval early, which a clock does not (late ones, after a hold-up,
        follow a late tick, and within a beat of a re-anchoring a bunched tick
        is a catch-up).  In wall time the copy comes within microseconds of its
        twin (the late callback and the next run back to back), just like two
        ticks of one batch: so only where the backend's period is known and
        shorter than REPEAT_RATIO of a tick (two ticks are never in one period
        or in back-to-back ones) is anything taken for a copy; at 1024 frames
        and 120 BPM every 43rd period holds two ticks.
        """
        fit = self._fit() if self.running and self.input_period is not None else None
        if fit is None or self._suspect is not None or self._repeat_time is not None:
            return False
        slope, intercept = fit
        if self._ticks_since_shift <= TICKS_PER_BEAT or self.input_period > REPEAT_RATIO * slope:
            return False
        jitter = self._interval_jitter(slope)
        if jitter is None:
            return False
        residual = self.last_tick_time - (intercept + self.position * slope)
        return abs(residual) <= max(OUTLIER_SECONDS, jitter) and interval < self._soonest_own_tick(REPEAT_RATIO, slope)

    def _soonest_own_tick(self, share: float, slope: float) -> float:
        """The shortest interval a tick of its own can follow a tick on the line with: `share` of an
        interval, and never more than an interval less two jitters (that one late by a jitter, this
        one early by one)."""
        return min(share * slope, slope - 2 * (self._interval_jitter(slope) or 0.0))

    def _note_gap(self, interval: float) -> None:
        """Count a long interval between ticks of a running clock, whatever it turns out to be (a
        hold-up, a late tick, a pause, a tick lost on the way): the log shows where the clock was
        irregular, which is what a timing problem needs looking at first.  The first tick after a
        transport change (no anchors yet) has no interval to judge."""
        estimate = self.tick_interval if self.running and self._anchors else None
        if estimate is not None and interval >= HOLD_UP_RATIO * estimate:
            self.gaps += 1
            self.last_gap = (self.position + 1, interval / estimate)

    def _judge_phase(self) -> None:
        """Re-anchor the line when the latest ticks sit off it by one and the same offset.

        A clock held up bit by bit (measured in xrun bursts: intervals of 1.14
        and 1.26 ticks, none long enough to judge on its own) ends up later by a
        fraction of a tick at the same tempo.  The fit's outlier rule keeps the
        line on the old phase until half its ticks are on the new one (every
        prediction off by the offset for half a beat, then overshooting); the
        offset of PHASE_TICKS ticks in a row, steady within the period jitter,
        shows it at once.  A tempo change makes offsets that grow instead, and
        bends the line of the ticks before them; should a slight one pass for a
        hold-up, the new line still follows it, six ticks later.
        """
        if len(self._anchors) < MIN_FIT_TICKS + PHASE_TICKS:
            return
        points = list(self._anchors)
        earlier, latest = points[:-PHASE_TICKS], points[-PHASE_TICKS:]
        slope, intercept, kept = _robust_line(earlier)
        jitter = self._hold_up_jitter(slope) if _is_tempo(slope) else None
        if jitter is None:
            return
        threshold = max(OUTLIER_SECONDS, PHASE_JITTERS * jitter)
        if any(abs(time - (intercept + position * slope)) > threshold for position, time in kept):
            return  # the earlier ticks are no straight line (the tempo is changing): nothing to judge against
        offsets = [time - (intercept + position * slope) for position, time in latest]
        spread = max(offsets) - min(offsets)
        same_side = all(offset > threshold for offset in offsets) or all(offset < -threshold for offset in offsets)
        if same_side and spread <= min(2 * jitter + PHASE_SPREAD_SECONDS, abs(sum(offsets)) / (2 * PHASE_TICKS)):
            self._shift_phase(slope)
            self._anchors.extend(latest)

    def _judge_interval(self, interval: float) -> None:
        """Settle a suspected hold-up, suspect a new one, or just add the interval (see the module docstring)."""
        fit = self._fit() if self.running else None
        self._ticks_since_shift += 1
        if fit is None:
            if self.running and self._catching_up(interval):
                return
            if interval > 0:
                self._add_interval(interval)
            return
        if self._suspect is not None:  # judged on the tempo from before the long interval
            long, lateness, tick_interval = self._suspect
            self._settle_suspect(long, lateness, max(interval, 0.0) / tick_interval, tick_interval)
            return
        ratio = max(interval, 0.0) / fit[0]
        if self._long_ratio(fit[0]) <= ratio <= GAP_FACTOR and self._stands_out(ratio, fit[0]):
            self._suspect = (ratio, ratio - 1.0, fit[0])
            return
        if self._catching_up(interval):
            return
        if interval > 0:
            self._add_interval(interval)

    def _settle_suspect(self, long: float, lateness: float, ratio: float, tick_interval: float) -> None:
        """The tick after a long interval tells what it was (`long`: that interval, `lateness`: how
        late its tick is on the old line, `ratio`: this interval; all in tick intervals).

        - A tick less than BATCH_RATIO of an interval later came in one batch
          with the late one: the first tick after them decides.
        - Another long one of another length: held up again; the next tick decides.
        - An interval of the old tempo (within SAME_TEMPO): this tick's distance
          from the old line says it.  Late by SETTLE_JITTERS jitters or more, the
          clock was held up and goes on later (re-anchor at this tick); on the
          line, only the long interval's tick was late.
        - Anything else (another about as long, or neither): the tempo changed
          at the long interval; measure it afresh.
        Measured on JACK (256 frames, 110 BPM, a loaded machine): the bridge's
        stamps showed 2.88 then 2.04 intervals where the clock had 1.53 (the
        server stalled in wall time); restarting the estimate there gave 91.9
        BPM for a beat and notes a tick late.  And 2.49 then 0.28 where the
        clock had 1.77 then 1.0: the ticks after were 0.77 late, a hold-up that
        taking the bunched tick for the verdict missed, and the next notes went
        most of a tick early.
        """
        self._suspect = None
        if ratio < BATCH_RATIO:  # handed over with the late tick: its time says nothing yet, the next one's will
            self._suspect = (long, lateness + ratio - 1.0, tick_interval)
            return
        if ratio >= self._long_ratio(tick_interval) and not SAME_TEMPO[0] <= ratio / long <= SAME_TEMPO[1]:
            self._suspect = (ratio, lateness + ratio - 1.0, tick_interval)
            return
        if not SAME_TEMPO[0] <= ratio <= SAME_TEMPO[1]:
            self._restart_estimate()  # the tempo changed at the long interval
            return
        jitter = self._interval_jitter(tick_interval)
        threshold = max(OUTLIER_SECONDS, SETTLE_JITTERS * jitter) if jitter is not None else tick_interval / 4
        if (lateness + ratio - 1.0) * tick_interval > threshold:
            self._shift_phase(tick_interval)
        self._intervals.append(ratio * tick_interval)

    def _long_ratio(self, tick_interval: float) -> float:
        """How many tick intervals an interval must last to be judged as a possible hold-up.

        HOLD_UP_RATIO where the backend's period is unknown.  Where it is known,
        down to MIN_HOLD_UP_RATIO, but never within what an ordinary interval
        can be: one period of quantization plus OUTLIER_SECONDS of scheduling.
        Measured at 174 BPM and 64 frames: a server stall of 1.46 intervals
        that 1.5 missed (notes 5.7 ms early until three ticks off the line
        re-anchored it); 1.3 everywhere read 256-frame intervals of four
        periods (1.28 at 150 BPM) as hold-ups and stuck the tempo at 156 BPM
        in CI, where this makes 1.44.
        """
        if self.input_period is None:
            return HOLD_UP_RATIO
        ordinary = 1.0 + (self.input_period + OUTLIER_SECONDS) / tick_interval
        return min(HOLD_UP_RATIO, max(MIN_HOLD_UP_RATIO, ordinary))

    def _stands_out(self, ratio: float, tick_interval: float) -> bool:
        """Whether an interval `ratio` tick intervals long is worth judging as a hold-up: any long
        one where the recent intervals jitter little; where they jitter more (256-frame periods at
        110 to 150 BPM: a quarter to a third of a tick), only one too long for jitter and a tempo
        change together (measured there: 2.49, 2.88 and 3.86 intervals, which the line fit alone
        took a beat to absorb, notes most of a tick off meanwhile; while a slowing from 150 to 110
        BPM plus a period makes 1.68).  Audio periods as long as a tick (1024 frames) never qualify."""
        jitter = self._interval_jitter(tick_interval)
        if jitter is None:
            return False
        return (
            jitter < MAX_JITTER_FOR_HOLD_UPS * tick_interval
            or (ratio - 1.0) * tick_interval >= LONG_INTERVAL_JITTERS * jitter
        )

    def _catching_up(self, interval: float) -> bool:
        """A stream held up for a while catches up in one batch: back to the earlier phase,
        which the anchors since the last re-anchoring (all late) would not show for a beat."""
        estimate = self.tick_interval
        if estimate is None or self._ticks_since_shift > TICKS_PER_BEAT or interval >= BATCH_RATIO * estimate:
            return False
        self._reanchor(estimate)
        return True

    def _shift_phase(self, tick_interval: float) -> None:
        """The clock was held up and goes on at the same tempo, later: a new line, same slope.

        The intervals (and so the tempo until the line is refitted) stay; the
        anchors go, since every later tick is off the old line by the delay.
        """
        self.delays += 1
        self._reanchor(tick_interval)

    def _reanchor(self, tick_interval: float | None = None) -> None:
        """Start a new line from the next ticks; until it has enough of them, the tempo of the
        old line (`tick_interval`) stands in, as the clock is known to keep its tempo."""
        self._ticks_since_shift = 0
        self._anchors.clear()
        self._fitted = None
        self._held_interval = tick_interval

    def _restart_estimate(self) -> None:
        self._held_interval = None
        self._intervals.clear()
        self._anchors.clear()
        self._fitted = None

    def _can_tell_hold_ups(self, tick_interval: float) -> bool:
        """Whether a tick held up by about an interval stands out from the jitter of the recent intervals.

        Drivers that hand ticks over once per audio period (1024 frames is 21 ms,
        a tick at 120 BPM is 21 ms) make ordinary intervals of 0, 1 or 2 periods;
        then a hold-up cannot be told from a tick that waited for the next period.
        """
        return self._hold_up_jitter(tick_interval) is not None

    def _hold_up_jitter(self, tick_interval: float) -> float | None:
        """The recent intervals' jitter (_interval_jitter), or None where it is too large (or
        there are too few intervals) to tell a hold-up (_can_tell_hold_ups)."""
        jitter = self._interval_jitter(tick_interval)
        return jitter if jitter is not None and jitter < MAX_JITTER_FOR_HOLD_UPS * tick_interval else None

    def _interval_jitter(self, tick_interval: float) -> float | None:
        """How far the recent intervals stray from `tick_interval`, in seconds; None with too few.

        The third-largest deviation of a full beat of intervals, so that the
        intervals of a hold-up just absorbed (one or two, measured: 1.3 then
        2.55 intervals) do not hide the next one.
        """
        if len(self._intervals) < MIN_FIT_TICKS:
            return None
        deviations = sorted(abs(interval - tick_interval) for interval in self._intervals)
        ignored = HOLD_UP_INTERVALS_IGNORED if len(deviations) == TICKS_PER_BEAT else 0
        return deviations[-ignored - 1]

    def _add_interval(self, interval: float) -> None:
        estimate = self.tick_interval
        if estimate is not None and interval > GAP_FACTOR * estimate:
            self._restart_estimate()  # a pause, not a tempo: start measuring afresh
            return
        self._intervals.append(interval)

    @property
    def tick_interval(self) -> float | None:
        """Seconds per tick, or None before two ticks have arrived or while the ticks so far
        came too bunched to give a tempo of at most MAX_BPM.

        Measured in the engine tests: a clock that began with two ticks 0.02 ms
        apart gave an interval of 0.02 ms, every bar line was predicted at
        once, and the engine cut four bars inside the first one.
        """
        fit = self._fit()
        if fit is not None:
            return fit[0]
        if self._held_interval is not None:
            return self._held_interval
        if not self._intervals:
            return None
        mean = sum(self._intervals) / len(self._intervals)
        return mean if _is_tempo(mean) else None

    def _fit(self) -> tuple[float, float] | None:
        """(slope, intercept) of time against position over the recent ticks; None with too few."""
        if self._fitted is None and len(self._anchors) >= MIN_FIT_TICKS:
            slope, intercept, _kept = _robust_line(list(self._anchors))
            if _is_tempo(slope):
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
        their own tick (which would make them a period or two late).  When it arrived off the line
        by more than the recent jitter (the tempo is changing and the line
        still lags), or where ticks jitter too much to tell (long audio periods),
        only a quarter tick past it: predictions are not trusted.
        """
        position = max(self.position, 0)
        interval = self.tick_interval
        if interval is None or self.last_tick_time is None or not self.running:
            return position + CAUTIOUS_LEAD_TICKS
        residual = abs(self.last_tick_time - (self._origin(interval) + position * interval))
        jitter = max((abs(i - interval) for i in self._intervals), default=0.0)
        # Where ticks jitter by 0.15 tick or more (long audio periods), a tempo
        # change hides in the jitter for a tick or two: predictions are not trusted there.
        on_line = residual <= max(OUTLIER_SECONDS, jitter) and self._can_tell_hold_ups(interval)
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


def _is_tempo(seconds_per_tick: float) -> bool:
    """Whether a tick interval can be a tempo (at most MAX_BPM), not ticks delivered in a bunch."""
    return seconds_per_tick >= MIN_TICK_SECONDS


def _robust_line(points: list[tuple[int, float]]) -> tuple[float, float, list[tuple[int, float]]]:
    """Least-squares line refitted without points far off it (late ticks); returns the points kept."""
    slope, intercept = _least_squares(points)
    residuals = [abs(t - (intercept + p * slope)) for p, t in points]
    limit = max(OUTLIER_SECONDS, 4 * sorted(residuals)[len(residuals) // 2])
    kept = [point for point, residual in zip(points, residuals) if residual <= limit]
    if MIN_FIT_TICKS <= len(kept) < len(points):
        slope, intercept = _least_squares(kept)
        return slope, intercept, kept
    return slope, intercept, points


def _least_squares(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Slope and intercept of time = intercept + slope * position."""
    n = len(points)
    mean_p = sum(p for p, _t in points) / n
    mean_t = sum(t for _p, t in points) / n
    spread = sum((p - mean_p) ** 2 for p, _t in points)
    slope = sum((p - mean_p) * (t - mean_t) for p, t in points) / spread if spread else 0.0
    return slope, mean_t - slope * mean_p
