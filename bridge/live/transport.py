"""Which clock the engine follows, and the song position it gives: the DAW's MIDI clock or our own.

Every clock source writes into one `ClockTracker` (bridge/live/clock.py):
the MIDI clock follower feeds it the DAW's messages with their arrival
stamps; the internal clock feeds it ticks at their ideal times
`start + n * interval`, computed from the tick count so it never drifts.
The core reads positions and times from `transport.clock` and never asks
which source it is.  A source that makes its own ticks is a `TickSource`;
Ableton Link (a later issue) is one more: its ticks fall where the Link
timeline puts each 24th of a beat.

Source choice: "external" follows only MIDI clock; "internal" only ours;
"auto" runs ours until the DAW's clock arrives and follows the DAW's for good
from then on.  A `--clock` given at start wins over every preset's source.
"""

from __future__ import annotations

from typing import Protocol

from bridge.live.clock import CLOCK, START, TICKS_PER_BEAT, ClockTracker
from bridge.live.events import Outbox

SEND_EARLY_S = 0.0002  # wake-up latency: an internal tick is fed this much before its time, not after


class TickSource(Protocol):
    """A clock that makes its own ticks: their times are computed, never measured."""

    bpm: float

    def next_tick(self) -> float:
        """When the next tick is due."""
        ...

    def ticks_due(self, now: float) -> list[float]:
        """The times of the ticks due by `now`, in order; they are then counted as given."""
        ...

    def set_bpm(self, bpm: float) -> None:
        """A new tempo from the next tick on."""
        ...


class InternalClock:
    """Our own tempo: tick n is due at start + n * interval (a tempo change starts a new count)."""

    def __init__(self, bpm: float, start: float) -> None:
        self.bpm = bpm
        self._start, self._count = start, 0

    @property
    def interval(self) -> float:
        return 60.0 / (self.bpm * TICKS_PER_BEAT)

    def next_tick(self) -> float:
        return self._start + self._count * self.interval

    def ticks_due(self, now: float) -> list[float]:
        """The ideal times of the ticks due by `now` (the internal clock has no jitter)."""
        due = []
        while (when := self.next_tick()) <= now + SEND_EARLY_S:
            due.append(when)
            self._count += 1
        return due

    def set_bpm(self, bpm: float) -> None:
        """The next tick stays where it was due; the ones after follow the new tempo."""
        if bpm != self.bpm:
            self._start, self._count, self.bpm = self.next_tick(), 0, bpm


class Transport:
    """The clock source in force, the shared ClockTracker, and whether the song is playing."""

    def __init__(self, source: str, override: str | None, bpm: float, out: Outbox) -> None:
        self.override = override  # a --clock given at start wins over every preset's clock source
        self.source = override or source
        self.bpm = bpm
        self.out = out
        self.clock = ClockTracker()
        self.internal: TickSource | None = None  # our own clock while it runs
        self.following_external = self.source == "external"
        self.heard_external = False  # auto: once the DAW's clock came, it is followed for good
        self.stalled = False
        # hold-ups, long intervals and repeated ticks of the clock already logged
        self._logged_delays = self._logged_gaps = self._logged_repeats = 0

    @property
    def playing(self) -> bool:
        """The song is running and its clock alive, not being moved by a burst of ticks: notes may be
        sent, bars cut."""
        return self.clock.running and not self.stalled and not self.clock.jumping

    @property
    def kind(self) -> str:
        """For the status bar: "external", "internal", or "waiting" (for the DAW's clock)."""
        if self.following_external:
            return "external"
        return "internal" if self.internal is not None else "waiting"

    def start(self, now: float) -> bool:
        """The engine starts; True when our own clock starts with it (the song begins at tick 0)."""
        if self.source in ("internal", "auto"):
            self._start_internal(now)
            return True
        return False

    def _start_internal(self, now: float) -> None:
        self.clock.feed([START], now)
        self.internal = InternalClock(self.bpm, now)
        self.out.log(f"internal clock at {self.bpm:g} BPM")

    def advance(self, now: float) -> None:
        """Feed our own ticks due by `now`."""
        if self.following_external or self.internal is None:
            return
        for when in self.internal.ticks_due(now):
            self.clock.feed([CLOCK], when)

    def next_tick(self) -> float | None:
        if self.following_external or self.internal is None:
            return None
        return self.internal.next_tick()

    def set_bpm(self, bpm: float) -> None:
        self.bpm = bpm
        if self.internal is not None:
            self.internal.set_bpm(bpm)

    def follow_external(self) -> None:
        """The DAW's clock arrived while ours runs (auto): follow it from now on, on a fresh tracker."""
        self.out.log("MIDI clock arrived: following it instead of the internal clock")
        self.following_external, self.internal = True, None
        self.fresh_clock()

    def feed_external(self, message: list[int], stamp: float) -> str | None:
        """A DAW's clock message; returns what ClockTracker.feed says changed, "back" when ticks
        return to a stalled clock.  Start, Continue and Stop end a stall: the clock is alive."""
        change = self.clock.feed(message, stamp)
        if change in ("start", "continue", "stop"):
            self.stalled = False
        self._log_anomalies()
        if message[0] == CLOCK and self.stalled and self.clock.running:
            self.stalled = False
            self.out.log("clock back")
            return change or "back"
        return change

    def check_stall(self, now: float) -> bool:
        """True once, when a running clock stops ticking without Stop."""
        if self.clock.running and not self.stalled and self.clock.stalled(now):
            self.stalled = True
            self.out.log("clock stalled (no ticks for a beat without Stop): silenced, waiting for the clock")
            return True
        return False

    def switch(self, source: str, now: float) -> str | None:
        """A preset's clock source (a --clock given at start wins).  Returns "internal" or "external"
        when the clock actually followed changes (the performance restarts), else None."""
        source = self.override or source
        if source == self.source:
            return None
        self.source = source
        if source == "auto":  # our clock until the DAW's comes; the DAW's once it has
            internal_wanted = not self.following_external or not self.heard_external
        else:
            internal_wanted = source == "internal"
        if internal_wanted == (not self.following_external):
            self.out.log(f"clock source {source}")
            return None
        self.fresh_clock()
        self.following_external, self.internal = not internal_wanted, None
        if internal_wanted:
            self.out.log(f"clock source {source}: the internal clock")
            self._start_internal(now)
            return "internal"
        self.out.log("clock source external: waiting for MIDI clock")
        return "external"

    def fresh_clock(self) -> None:
        """A new ClockTracker, with nothing of it logged yet."""
        self.clock = ClockTracker(self.clock.input_period)
        self.stalled = False
        self._logged_delays = self._logged_gaps = self._logged_repeats = 0

    def _log_anomalies(self) -> None:
        """Long intervals between ticks, and a clock held up as a whole (a stalled machine or audio
        server): worth knowing when the timing is off."""
        clock = self.clock
        if clock.gaps != self._logged_gaps and clock.last_gap is not None:
            position, length = clock.last_gap
            self.out.log(f"clock: a gap of {length:.2f} tick intervals before tick {position}")
        self._logged_gaps = clock.gaps
        if clock.delays != self._logged_delays:
            self.out.log(f"clock: held up before tick {clock.position} and went on later at the same tempo")
        self._logged_delays = clock.delays
        if clock.repeats > self._logged_repeats:
            self.out.log(
                f"clock: tick {clock.position} came twice (a late JACK client gets a cycle twice): counted once"
            )
        self._logged_repeats = clock.repeats
