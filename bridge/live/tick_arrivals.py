"""The policy for irregular tick arrivals: copies, hold-ups, catch-up batches, gaps and pauses."""

from __future__ import annotations

from bridge.live.midi_transport import TICKS_PER_BEAT, TICKS_PER_SIXTEENTH, MidiTransport
from bridge.live.tempo_line import (
    GAP_FACTOR,
    MIN_FIT_TICKS,
    MIN_TICK_SECONDS,
    OUTLIER_SECONDS,
    TempoLine,
    is_tempo,
    robust_line,
)

# An interval this many tick intervals long (up to the line's GAP_FACTOR, a pause) may be a
# hold-up; the ticks after it decide.  Where the backend's period is known, less (_long_ratio).
# 1.3 takes 256-frame intervals of four periods for hold-ups; 2.0 misses 1.6-interval ones.
HOLD_UP_RATIO = 1.5
MIN_HOLD_UP_RATIO = 1.3  # the least, where the period is known: catches a 1.46-interval server stall
# Where intervals jitter too much to tell hold-ups, one longer than 1 + this many jitters is still
# judged: 256-frame hold-ups of 2-4 intervals (replay server_stall_256_110).
LONG_INTERVAL_JITTERS = 4.0
# The tick after a long interval this many jitters off the old line: held up.  4 misses a
# 256-frame hold-up behind a batch; nothing shows a lower bound (0 and 1 pass).
SETTLE_JITTERS = 2.0
# PHASE_TICKS ticks in a row off the line on one side by more than PHASE_JITTERS jitters, spread by
# at most 2 jitters + PHASE_SPREAD_SECONDS: the clock was held up bit by bit (_judge_phase).  Off:
# bit-by-bit hold-ups are missed; 6 jitters miss one at 174 BPM; no spread floor misses the 1.46 stall.
PHASE_TICKS, PHASE_JITTERS, PHASE_SPREAD_SECONDS = 3, 3.0, 0.0005
# A tick less than this many tick intervals after the last came in one batch with it (0: catch-ups
# and bunched ticks after a long interval are misjudged; 0.8: the 150 BPM change, 0.8 intervals).
BATCH_RATIO = 0.5
# The interval after a long one, in tick intervals, that keeps the old tempo: (0.9, 1.1) misses
# hold-ups behind jitter; (0.5, 2) takes sudden tempo changes for hold-ups.  It also takes a
# change to 150 BPM (0.8) for a hold-up (replay tempo_change_64_120).
SAME_TEMPO = (0.75, 1.25)
# A tick this soon (in tick intervals) after one on the line is a second delivery of it (_is_repeat):
# JACK's come within a period, 0.37 of a tick at 256 frames and 174 BPM; a tempo doubled at once makes 0.5
# (0: copies are counted; 0.6: a jump to 280 BPM passes for copies).
REPEAT_RATIO = 0.4
# A run of ticks faster than MAX_BPM (each under MIN_TICK_SECONDS after the last) is `ahead` by the
# ticks it counted beyond the time passed since the tick before it was due (a tick after a long
# interval is due an interval after the one before), at the tempo then (MAX_BPM without one).  A
# clock held up less than a beat (the stall limit) catches up to 0 at most.  More than a 16th
# ahead, the run is not played time: its ticks stay off the line and its notes are dropped
# (EngineCore); more than a beat, the song is being moved: a jump (a DAW chasing a position).
DROP_AHEAD_TICKS, JUMP_AHEAD_TICKS = TICKS_PER_SIXTEENTH, TICKS_PER_BEAT


class TickArrivals:
    """Counts the ticks that arrive and keeps the tempo line on them, whatever their timing.

    - Every tick that arrives is counted and none is invented: a lost tick and
      a hold-up of one whole interval look the same, and hold-ups are by far
      the more common (see docs/live.md, "Irregular ticks").
    - A tick JACK delivers twice (within a period of a tick on the line) is
      counted once, where the backend's period is known (_is_repeat).
    - A long interval is judged by the first tick after it that is neither
      bunched with it nor long itself (_settle_suspect): at the old tempo and
      off the old line, the clock was held up (re-anchor the line, `delays`);
      on it, one tick was late; at another tempo, the tempo changed.
    - Three ticks off the line by one offset: held up bit by bit (_judge_phase).
    - A batch soon after a re-anchoring is a catch-up: back to the old phase.
    - Every long interval of a running clock is counted in `gaps` for the log.
    - A run of bunched ticks more than a 16th ahead of the time passed is not
      played time (_follow_run): its ticks are counted but kept off the line,
      which restarts after it at the tempo from before; more than a beat, a jump.
    """

    def __init__(self, transport: MidiTransport, line: TempoLine, input_period: float | None = None) -> None:
        self.transport, self.line = transport, line
        # Seconds between the batches the backend hands ticks over in (JACK's period), where
        # known: only then can a tick delivered twice be told from two ticks of one batch.
        self.input_period = input_period
        self.last_time: float | None = None  # arrival of the last tick counted
        self._time_before: float | None = None  # and of the one before it
        # (length of a long interval, how late its tick is on the old line, both in tick intervals;
        # the tick interval before it) until the ticks after it decide what it was.
        self._suspect: tuple[float, float, float] | None = None
        self._ticks_since_shift = TICKS_PER_BEAT  # ticks since the line was last re-anchored
        self._repeat_time: float | None = None  # a tick left uncounted as a copy, until the next confirms it
        self.delays = 0  # times the clock was held up and went on later at the same tempo
        self.gaps = 0  # long intervals of a running clock (_note_gap)
        self.last_gap: tuple[int, float] | None = None  # (position of the tick after it, its length in intervals)
        self.repeats = 0  # ticks taken for a second delivery of the tick before
        # (position and time of the tick before a run of bunched ticks, the tick interval then)
        self._run: tuple[int, float, float | None] | None = None
        self.ahead = 0.0  # ticks the current run counted beyond the time passed (_follow_run)
        self.jumping = False  # in a run more than JUMP_AHEAD_TICKS ahead: the song is being moved
        self.jumps = 0
        self._change: str | None = None  # "burst" or "jump", for the tick that made it

    def interrupt(self) -> None:
        """A transport message: what was pending about the ticks before it no longer applies."""
        self._suspect = None
        self._repeat_time = None
        self.line.held_interval = None
        self._run, self.ahead, self.jumping = None, 0.0, False

    def tick(self, time: float) -> str | None:
        """One clock tick arrived at `time`; returns "burst" when it makes a run of bunched ticks a
        jump, "jump" for the first tick after that run (the song goes on from there)."""
        self._change = None
        if self.last_time is not None and self._is_repeat(time - self.last_time):
            self.repeats += 1
            self._repeat_time = time
            return None
        if self._repeat_time is not None:
            # The tick after a copy comes an interval after the tick copied; sooner, the clock
            # sped up at once and the tick left out was a tick of its own, counted after all.
            repeat, self._repeat_time = self._repeat_time, None
            slope = self.line.tick_interval or 0.0
            assert self.last_time is not None  # a copy is only noted after a tick was counted
            if time - self.last_time < self._soonest_own_tick(SAME_TEMPO[0], slope):
                self.repeats -= 1
                self._count(repeat)
        self._count(time)
        return self._change

    def _count(self, time: float) -> None:
        was_ahead, was_jumping = self.ahead > DROP_AHEAD_TICKS, self.jumping
        self._follow_run(time)
        ahead = self.ahead > DROP_AHEAD_TICKS
        if was_jumping and not self.jumping:
            self._change = "jump"
        if self.last_time is not None and not ahead and not was_ahead:
            # (the interval from the last tick of a run ahead says nothing of the tempo: not judged)
            self._note_gap(time - self.last_time)
            self._judge_interval(time - self.last_time)
        self._time_before, self.last_time = self.last_time, time
        if self.transport.count_tick() and not ahead:
            self.line.add_anchor(self.transport.position, time)
            self._judge_phase()

    def _follow_run(self, time: float) -> None:
        """Measure how far a run of bunched ticks is ahead of the time passed, before the tick at
        `time` is counted: past DROP_AHEAD_TICKS its ticks are kept off the line, which restarts at
        the tempo from before; past JUMP_AHEAD_TICKS it is a jump."""
        if not self.transport.running or self.last_time is None or time - self.last_time >= MIN_TICK_SECONDS:
            self._run, self.ahead, self.jumping = None, 0.0, False
            return
        if self._run is None:  # from the tick before the run, or when it was due if it came late
            interval = self.line.tick_interval
            due = self.last_time if self._time_before is None else self._time_before + (interval or MIN_TICK_SECONDS)
            self._run = (self.transport.position, min(self.last_time, due), interval)
        position, start, interval = self._run
        was_ahead = self.ahead > DROP_AHEAD_TICKS
        self.ahead = self.transport.position + 1 - position - (time - start) / (interval or MIN_TICK_SECONDS)
        if self.ahead > DROP_AHEAD_TICKS and not was_ahead:
            self._suspect = self._repeat_time = None
            self.line.restart()  # the run's ticks are no tempo; the one from before holds after it
            self.line.held_interval = interval
        if self.ahead > JUMP_AHEAD_TICKS and not self.jumping:
            self.jumping, self._change = True, "burst"
            self.jumps += 1

    def _is_repeat(self, interval: float) -> bool:
        """Whether a tick is the tick before delivered a second time, not a tick of its own.

        JACK hands a client that ran late one cycle's events twice, one period
        apart.  A copy follows a tick that sat on the line by less than
        REPEAT_RATIO of an interval (and than an interval less two jitters); a
        clock's own tick would have to come most of an interval early.  Only
        where the period is known and shorter than REPEAT_RATIO of a tick (so
        two ticks never share a period), and not within a beat of a
        re-anchoring, where a bunched tick is a catch-up.
        """
        running = self.transport.running
        fit = self.line.fit() if running and self.input_period is not None else None
        if fit is None or self._suspect is not None or self._repeat_time is not None:
            return False
        slope, intercept = fit
        assert self.input_period is not None and self.last_time is not None  # fit needs the first, tick() the second
        if self._ticks_since_shift <= TICKS_PER_BEAT or self.input_period > REPEAT_RATIO * slope:
            return False
        jitter = self.line.jitter(slope)
        if jitter is None:
            return False
        residual = self.last_time - (intercept + self.transport.position * slope)
        return abs(residual) <= max(OUTLIER_SECONDS, jitter) and interval < self._soonest_own_tick(REPEAT_RATIO, slope)

    def _soonest_own_tick(self, share: float, slope: float) -> float:
        """The shortest interval after a tick on the line for a tick of its own: `share` of an
        interval, and never more than an interval less two jitters (one late, one early)."""
        return min(share * slope, slope - 2 * (self.line.jitter(slope) or 0.0))

    def _note_gap(self, interval: float) -> None:
        """Count a long interval of a running clock, whatever it turns out to be, for the log;
        the first tick after a transport change (no anchors yet) has no interval to judge."""
        estimate = self.line.tick_interval if self.transport.running and self.line.anchors else None
        if estimate is not None and interval >= HOLD_UP_RATIO * estimate:
            self.gaps += 1
            self.last_gap = (self.transport.position + 1, interval / estimate)

    def _judge_phase(self) -> None:
        """Re-anchor the line when the latest PHASE_TICKS ticks sit off it by one and the same offset.

        A clock held up bit by bit (intervals each too short to judge) goes on
        later at the same tempo: the offset shows it at once, where the fit's
        outlier rule would keep the old phase for half a beat.  Judged only
        against a straight line of the ticks before (a tempo change bends it
        and makes offsets that grow).
        """
        anchors = self.line.anchors
        if len(anchors) < MIN_FIT_TICKS + PHASE_TICKS:
            return
        points = list(anchors)
        earlier, latest = points[:-PHASE_TICKS], points[-PHASE_TICKS:]
        slope, intercept, kept = robust_line(earlier)
        jitter = self.line.steady_jitter(slope) if is_tempo(slope) else None
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
            self.line.extend_anchors(latest)

    def _judge_interval(self, interval: float) -> None:
        """Settle a suspected hold-up, suspect a new one, or add the interval to the tempo estimate."""
        fit = self.line.fit() if self.transport.running else None
        self._ticks_since_shift += 1
        if fit is None:
            if self.transport.running and self._catching_up(interval):
                return
            if interval > 0:
                self.line.add_interval(interval)
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
            self.line.add_interval(interval)

    def _settle_suspect(self, long: float, lateness: float, ratio: float, tick_interval: float) -> None:
        """Decide what a long interval was from the tick after it (`long`: that interval, `lateness`:
        how late its tick is on the old line, `ratio`: this interval; all in tick intervals).

        - Less than BATCH_RATIO after the late tick: one batch with it; the next tick decides.
        - Long again, at another length: held up again; the next tick decides.
        - At the old tempo (SAME_TEMPO): off the old line by SETTLE_JITTERS jitters
          or more, the clock was held up (re-anchor); on it, one tick was late.
        - Anything else: the tempo changed at the long interval; measure it afresh.
        """
        self._suspect = None
        if ratio < BATCH_RATIO:
            self._suspect = (long, lateness + ratio - 1.0, tick_interval)
            return
        if ratio >= self._long_ratio(tick_interval) and not SAME_TEMPO[0] <= ratio / long <= SAME_TEMPO[1]:
            self._suspect = (ratio, lateness + ratio - 1.0, tick_interval)
            return
        if not SAME_TEMPO[0] <= ratio <= SAME_TEMPO[1]:
            self.line.restart()
            return
        jitter = self.line.jitter(tick_interval)
        threshold = max(OUTLIER_SECONDS, SETTLE_JITTERS * jitter) if jitter is not None else tick_interval / 4
        if (lateness + ratio - 1.0) * tick_interval > threshold:
            self._shift_phase(tick_interval)
        self.line.intervals.append(ratio * tick_interval)

    def _long_ratio(self, tick_interval: float) -> float:
        """How many tick intervals an interval must last to be judged as a possible hold-up:
        HOLD_UP_RATIO, or where the period is known down to MIN_HOLD_UP_RATIO but never within
        what an ordinary interval can be (one period of quantization plus OUTLIER_SECONDS)."""
        if self.input_period is None:
            return HOLD_UP_RATIO
        ordinary = 1.0 + (self.input_period + OUTLIER_SECONDS) / tick_interval
        return min(HOLD_UP_RATIO, max(MIN_HOLD_UP_RATIO, ordinary))

    def _stands_out(self, ratio: float, tick_interval: float) -> bool:
        """Whether an interval `ratio` tick intervals long is worth judging as a hold-up: any, where
        the intervals jitter little (MAX_JITTER_FOR_HOLD_UPS); else only one longer than jitter
        and a tempo change together (LONG_INTERVAL_JITTERS)."""
        jitter = self.line.jitter(tick_interval)
        if jitter is None:
            return False
        return (
            self.line.steady_jitter(tick_interval) is not None
            or (ratio - 1.0) * tick_interval >= LONG_INTERVAL_JITTERS * jitter
        )

    def _catching_up(self, interval: float) -> bool:
        """A batch (under BATCH_RATIO of an interval) within a beat of a re-anchoring is a stream
        catching up after a hold-up: back to the earlier phase."""
        estimate = self.line.tick_interval
        if estimate is None or self._ticks_since_shift > TICKS_PER_BEAT or interval >= BATCH_RATIO * estimate:
            return False
        self._reanchor(estimate)
        return True

    def _shift_phase(self, tick_interval: float) -> None:
        """The clock was held up and goes on later at the same tempo: a new line, same slope."""
        self.delays += 1
        self._reanchor(tick_interval)

    def _reanchor(self, tick_interval: float) -> None:
        self._ticks_since_shift = 0
        self.line.reanchor(tick_interval)
