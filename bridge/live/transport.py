"""Which clock the engine follows, and the song position it gives: MIDI clock, our own, or Ableton Link.

The MIDI clock follower and the internal clock write into one
`ClockTracker` (bridge/live/clock.py): the follower feeds it the DAW's
messages with their arrival stamps; the internal clock feeds it ticks at
their ideal times `start + n * interval`, computed from the tick count so it
never drifts.  Ableton Link is a `TickSource` too, but its ticks need no
measuring: while it is followed, `LinkClock` (link_clock.py) is the clock
itself, its times read off the Link timeline.  The core reads positions and
times from `transport.clock` (song_clock.SongClock) and never asks which
source it is.

Source choice: "external" follows only MIDI clock; "internal" only ours;
"link" only Link; "auto" runs ours, follows Link once the session has peers,
and follows the DAW's MIDI clock for good once it arrives (docs/live.md says
why).  A `--clock` given at start wins over every preset's source.
"""

from __future__ import annotations

from typing import Protocol

from bridge.live.clock import CLOCK, START, TICKS_PER_BEAT, ClockTracker
from bridge.live.clock_health import ClockHealth
from bridge.live.events import LinkControl, Outbox
from bridge.live.link_clock import LinkClock
from bridge.live.link_timeline import LinkState
from bridge.live.song_clock import SongClock

SEND_EARLY_S = 0.0002  # wake-up latency: an internal tick is fed this much before its time, not after


class TickSource(Protocol):
    """A clock that makes its own ticks: their times are computed, never measured."""

    bpm: float

    def next_tick(self) -> float | None:
        """When the next tick is due (None while none is: a Link transport that is stopped)."""
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
    """The clock source in force, the clock it gives, and whether the song is playing."""

    def __init__(self, source: str, override: str | None, bpm: float, out: Outbox, auto_link: bool = False) -> None:
        self.override = override  # a --clock given at start wins over every preset's clock source
        self.source = override or source
        self.bpm = bpm
        self.out = out
        self.tracker = ClockTracker()  # MIDI clock, ours or the DAW's
        self.internal: TickSource | None = None  # our own clock while it runs
        self.link: LinkClock | None = None  # the Link timeline while it is followed
        self.link_peers: int | None = None  # the Link session's peers, once it was seen
        self.following_external = self.source == "external"
        self.heard_external = False  # auto: once the DAW's clock came, it is followed for good
        self.stalled = False
        self.health = ClockHealth()
        self.auto_link = auto_link  # auto watches the Link session for peers (the extra is there, not switched off)
        # hold-ups, long intervals and repeated ticks of the clock already logged
        self._logged_delays = self._logged_gaps = self._logged_repeats = 0

    @property
    def clock(self) -> SongClock:
        return self.link if self.link is not None else self.tracker

    @property
    def playing(self) -> bool:
        """The song is running and its clock alive, not being moved by a burst of ticks: notes may be
        sent, bars cut."""
        clock = self.clock
        return clock.running and not self.stalled and not clock.jumping

    @property
    def kind(self) -> str:
        """For the status bar: "external", "link", "internal", or "waiting" (for the DAW's clock)."""
        if self.following_external:
            return "external"
        if self.link is not None:
            return "link"
        return "internal" if self.internal is not None else "waiting"

    def start(self, now: float) -> bool:
        """The engine starts; True when our own clock starts with it (the song begins at tick 0)."""
        if self._uses_link(self.source):
            self.out.link(LinkControl(enable=True))  # auto: to see whether the session has peers
        if self.source == "link":
            self._follow_link(now)
            return False
        if self.source in ("internal", "auto"):
            self._start_internal(now)
            return True
        return False

    def _start_internal(self, now: float) -> None:
        self.tracker.feed([START], now)
        self.internal = InternalClock(self.bpm, now)
        self.out.log(f"internal clock at {self.bpm:g} BPM")

    def _follow_link(self, now: float) -> None:
        self.link = LinkClock(self.bpm, now)
        self.out.log("following Ableton Link: bar lines on the session's phase, Start/Stop from its peers")

    def advance(self, now: float) -> list[str]:
        """Feed our own ticks due by `now`; with Link, also its Start, Stop and jumps, returned in order."""
        if self.link is not None:
            changes = self.link.advance(now)
            self._pass_link_requests()
            return changes
        if self.following_external or self.internal is None:
            return []
        for when in self.internal.ticks_due(now):
            self.tracker.feed([CLOCK], when)
        return []

    def next_tick(self) -> float | None:
        if self.link is not None:
            return self.link.next_tick()
        if self.following_external or self.internal is None:
            return None
        return self.internal.next_tick()

    def set_bpm(self, bpm: float) -> None:
        """Our tempo: the internal clock's; on Link, shared with the session when it changed (a preset
        applied again with the same bpm must not override a peer's tempo)."""
        changed, self.bpm = bpm != self.bpm, bpm
        if self.internal is not None:
            self.internal.set_bpm(bpm)
        if self.link is not None and changed:
            self.link.set_bpm(bpm)
            self._pass_link_requests()

    # -- Ableton Link ---------------------------------------------------------------------------

    def link_update(self, state: LinkState, now: float) -> str | None:
        """A look at the Link session; returns "link" when auto starts following it now (peers came)."""
        self.link_peers = state.peers
        if self.link is not None:
            for line in self.link.update(state, now):
                self.out.log(line)
            return None
        if self.source != "auto" or self.following_external or state.peers == 0:
            return None
        self.out.log("Link peers found: following Ableton Link instead of the internal clock")
        self.internal = None
        self.fresh_clock()
        self._follow_link(now)
        assert self.link is not None  # just made
        for line in self.link.update(state, now):
            self.out.log(line)
        return "link"

    def link_missing(self, reason: str, now: float) -> str | None:
        """The Link session could not be opened: say so; "link" falls back to the internal clock
        (returns "internal"), auto goes on without Link."""
        self.out.log(reason)
        if self.link is None:
            return None
        self.link = None
        self.out.log("clock source link: the internal clock plays instead")
        self._start_internal(now)
        return "internal"

    def _uses_link(self, source: str) -> bool:
        return source == "link" or (source == "auto" and self.auto_link)

    def _pass_link_requests(self) -> None:
        assert self.link is not None
        for control in self.link.requests:
            self.out.link(control)
        self.link.requests.clear()

    # -- MIDI clock -----------------------------------------------------------------------------

    def follow_external(self) -> None:
        """The DAW's clock arrived while ours or Link runs (auto): follow it from now on, on a fresh tracker."""
        self.out.log("MIDI clock arrived: following it instead of the internal clock")
        self.following_external, self.internal, self.link = True, None, None
        self.fresh_clock()

    def feed_external(self, message: list[int], stamp: float) -> str | None:
        """A DAW's clock message; returns what ClockTracker.feed says changed, "back" when ticks
        return to a stalled clock.  Start, Continue and Stop end a stall: the clock is alive."""
        change = self.tracker.feed(message, stamp)
        if change in ("start", "continue", "stop"):
            self.stalled = False
        self._log_anomalies(stamp)
        if message[0] == CLOCK and self.stalled and self.tracker.running:
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
        """A preset's clock source (a --clock given at start wins).  Returns "internal", "external" or
        "link" when the clock actually followed changes (the performance restarts), else None."""
        source = self.override or source
        if source == self.source:
            return None
        used_link, self.source = self._uses_link(self.source), source
        if self._uses_link(source) != used_link:
            self.out.link(LinkControl(enable=not used_link))
        current = "external" if self.following_external else "link" if self.link is not None else "internal"
        if source == "auto":  # ours until Link's peers or the DAW's clock come; whichever came stays
            wanted = current if current == "link" or (current == "external" and self.heard_external) else "internal"
        else:
            wanted = source
        if wanted == current:
            self.out.log(f"clock source {source}")
            return None
        self.fresh_clock()
        self.following_external, self.internal, self.link = wanted == "external", None, None
        if wanted == "internal":
            self.out.log(f"clock source {source}: the internal clock")
            self._start_internal(now)
        elif wanted == "link":
            self._follow_link(now)
        else:
            self.out.log("clock source external: waiting for MIDI clock")
        return wanted

    def fresh_clock(self) -> None:
        """A new ClockTracker, with nothing of it logged yet."""
        self.tracker = ClockTracker(self.tracker.input_period)
        self.stalled = False
        self._logged_delays = self._logged_gaps = self._logged_repeats = 0

    def _log_anomalies(self, now: float) -> None:
        """Long intervals between ticks, and a clock held up as a whole (a stalled machine or audio
        server): worth knowing when the timing is off, and a sign the MIDI clock is unreliable."""
        clock = self.tracker
        if clock.gaps != self._logged_gaps and clock.last_gap is not None:
            position, length = clock.last_gap
            self.out.log(f"clock: a gap of {length:.2f} tick intervals before tick {position}")
            self._warn_irregular("a long gap between ticks", now)
        self._logged_gaps = clock.gaps
        if clock.delays != self._logged_delays:
            self.out.log(f"clock: held up before tick {clock.position} and went on later at the same tempo")
            self._warn_irregular("the tick count disagrees with the tempo line", now)
        self._logged_delays = clock.delays
        if clock.repeats > self._logged_repeats:
            self.out.log(
                f"clock: tick {clock.position} came twice (a late JACK client gets a cycle twice): counted once"
            )
            self._warn_irregular("a tick came twice", now)
        self._logged_repeats = clock.repeats

    def _warn_irregular(self, what: str, now: float) -> None:
        warning = self.health.irregular(what, now)
        if warning is not None:
            self.out.log(warning)
