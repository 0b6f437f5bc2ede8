"""The song clock on an Ableton Link timeline: ticks where the timeline puts each 24th of a beat.

LinkClock is a TickSource (transport.py) whose ticks are computed from the
last LinkState, and the core's clock (song_clock.SongClock) while Link is
followed: times come straight from the timeline, so a tempo change moves
every later prediction at once and nothing lost on the way shifts the grid.
A plain object: states, requests and time come in as arguments.

- **Song position.** Tick 0 is the Link bar line (QUANTUM boundary) at or
  before the moment the transport started; peers share the phase, so our bar
  lines are theirs.  Joining a song already playing counts from the bar line
  before its start, as the DAW does.
- **Start/Stop** take effect at the time announced with them
  (`timeForIsPlaying`), not when the message came: Link flips `isPlaying`
  as soon as a peer's message arrives, often ahead of the time.
- **Beat numbers** differ between peers by whole quanta, and a session we
  join renumbers ours: a timeline that moves by whole quanta moves the song's
  origin with it; one that moves the phase by more than a tick is a jump.
- **Leading.** Alone (no peer seen once a join's time has passed) and
  stopped, we start the transport on the next bar line and tell the session,
  so peers that join later find it playing.  Once a peer was seen, the DAW is
  in charge of Start and Stop, even after it left.  A tempo set here (the preset's bpm, the
  UI) is shared with the session; a peer's tempo is followed.
"""

from __future__ import annotations

import math

from bridge.live.clock import TICKS_PER_BEAT, ClockStatus
from bridge.live.events import LinkControl
from bridge.live.link_timeline import QUANTUM, LinkState, LinkTimeline, bar_line_at_or_before

JOIN_WAIT_S = 1.0  # a peer joins a session in about 0.55 s: wait this long for peers before leading
ON_LINE_BEATS = 1e-3  # a start this close to a bar line is on it (Link rounds times to microseconds)
JUMP_BEATS = 1.0 / TICKS_PER_BEAT  # a timeline that moves the song more than a tick is a jump
# How far past the last tick notes may be sent: as for a steady MIDI clock.  The timeline could
# say more, but a peer's Stop can come at any moment and a note sent cannot be called back.
LEAD_TICKS = 1.25
START_AHEAD_S = 0.05  # leading, the transport starts on the first bar line at least this far ahead
SEND_EARLY_S = 0.0002  # as the internal clock: a tick is counted this much before its time
MAX_CATCH_UP_TICKS = 4 * 96  # more ticks due at once than this: the song is placed, not ticked through


class LinkClock:
    """Song ticks on a Link timeline; see the module docstring for the rules."""

    def __init__(self, bpm: float, now: float) -> None:
        self.bpm = bpm  # the session's tempo once a state came; the preset's until then
        self.state: LinkState | None = None
        self.input_period: float | None = None  # Link hands over no batches of ticks
        self.exact_times = True  # read off the timeline: Link time exactly
        self.running = False
        self.position = -1  # the last tick counted
        self.last_tick_time: float | None = None
        self.origin = 0.0  # the Link beat of song tick 0
        self.requests: list[LinkControl] = []  # for the Link session, taken by the transport
        self.led = False
        self.had_peers = False  # a DAW was here: it is in charge of the transport, not us
        self.now = now
        self._lead_after = now + JOIN_WAIT_S
        self._pending: tuple[bool, float] | None = None  # (playing, at): an announced Start or Stop
        self._jumped = False

    # -- from the session -----------------------------------------------------------------------

    def update(self, state: LinkState, now: float) -> list[str]:
        """A new look at the session; returns the log lines it is worth (peers, tempo)."""
        old, self.state, self.bpm = self.state, state, state.timeline.tempo
        self.had_peers = self.had_peers or state.peers > 0
        lines = []
        if old is None:
            lines.append(f"Link: {state.timeline.tempo:.2f} BPM, {_peers(state.peers)}")
        else:
            if state.peers != old.peers:
                keeping = f": keeping time at {state.timeline.tempo:.2f} BPM" if state.peers < old.peers else ""
                lines.append(f"Link: {_peers(state.peers)}{keeping}")
            if abs(state.timeline.tempo - old.timeline.tempo) >= 0.005:
                lines.append(f"Link: tempo {state.timeline.tempo:.2f} BPM")
            if self.running:
                self._follow_timeline(old.timeline, state.timeline, now)
        self._take_transport(state)
        return lines

    def _follow_timeline(self, old: LinkTimeline, new: LinkTimeline, now: float) -> None:
        """Whole quanta are another numbering of the same bar lines; a moved phase moves the song."""
        moved = new.beat_at(now) - old.beat_at(now)
        quanta = QUANTUM * round(moved / QUANTUM)
        self.origin += quanta
        if abs(moved - quanta) > JUMP_BEATS:
            self._jumped = True

    def _take_transport(self, state: LinkState) -> None:
        """The latest announcement wins: a Stop announced before a pending Start took effect cancels it."""
        self._pending = None if state.playing == self.running else (state.playing, state.play_time)

    # -- from the engine ------------------------------------------------------------------------

    def set_bpm(self, bpm: float) -> None:
        """We lead the tempo: ours at once (beat kept at the last step's time), then the session's."""
        self.bpm = bpm
        if self.state is not None:
            timeline = self.state.timeline.with_tempo(bpm, self.now)
            self.state = LinkState(timeline, self.state.playing, self.state.play_time, self.state.peers)
        self.requests.append(LinkControl(tempo=bpm))

    def advance(self, now: float) -> list[str]:
        """Apply what is due by `now`: a jump, an announced Start or Stop, the ticks; returns the
        transport changes in order ("start", "continue", "stop", "jump"), as ClockTracker.feed names them."""
        self.now = now
        changes = []
        self._lead(now)
        if self._jumped and self.running:
            self._place(now)
            changes.append("jump")
        self._jumped = False
        if self._pending is not None and self._pending[1] <= now + SEND_EARLY_S:
            playing, at = self._pending
            self._pending = None
            if playing:
                changes.append(self._start(at, now))
            else:
                self._tick_until(at, before=True)
                self.running = False
                changes.append("stop")
        if self.running:
            self.ticks_due(now)
        return changes

    def _lead(self, now: float) -> None:
        """Alone and stopped once a join's time has passed: start on the next bar line, and say so."""
        if not self._may_lead() or now < self._lead_after:
            return
        state = self.state
        assert state is not None  # _may_lead
        self.led = True
        bar = bar_line_at_or_before(state.timeline.beat_at(now + START_AHEAD_S), 0.0) + QUANTUM
        at = state.timeline.time_at(bar)
        self._pending = (True, at)
        self.requests.append(LinkControl(playing=True, at=at))

    def _may_lead(self) -> bool:
        state = self.state
        if self.led or self.had_peers or state is None or state.playing:
            return False
        return not self.running and self._pending is None

    def _start(self, at: float, now: float) -> str:
        assert self.state is not None  # a Start is pending only once a state came
        beat = self.state.timeline.beat_at(at)
        self.origin = bar_line_at_or_before(beat, ON_LINE_BEATS)
        self.running = True
        if now - at > self._interval():  # the song started a while ago (we joined it): count from now
            self._place(now)
            return "continue"
        first = max(0, math.ceil((beat - self.origin - ON_LINE_BEATS) * TICKS_PER_BEAT))
        self.position, self.last_tick_time = first - 1, None
        return "start" if first == 0 else "continue"

    def _place(self, now: float) -> None:
        """The song where the timeline says it is at `now`: the last tick at or before it counted."""
        assert self.state is not None
        self.position = math.floor((self.state.timeline.beat_at(now) - self.origin) * TICKS_PER_BEAT + 1e-9)
        self.last_tick_time = self.time_of(self.position)

    def _interval(self) -> float:
        return 60.0 / (self.bpm * TICKS_PER_BEAT)

    # -- TickSource -----------------------------------------------------------------------------

    def next_tick(self) -> float | None:
        """When the next tick, Start or Stop is due (None while nothing is)."""
        due = [] if self._pending is None else [self._pending[1]]
        if self.running and self.state is not None:
            due.append(self.state.timeline.time_at(self.origin + (self.position + 1) / TICKS_PER_BEAT))
        if self._may_lead():
            due.append(self._lead_after)
        return min(due, default=None)

    def ticks_due(self, now: float) -> list[float]:
        """Count the ticks due by `now` (SEND_EARLY_S ahead); returns their times."""
        return self._tick_until(now + SEND_EARLY_S, before=False)

    def _tick_until(self, until: float, before: bool) -> list[float]:
        times: list[float] = []
        if not self.running or self.state is None:
            return times
        timeline = self.state.timeline
        if (timeline.beat_at(until) - self.origin) * TICKS_PER_BEAT - self.position > MAX_CATCH_UP_TICKS:
            self._place(until)  # the engine was held up for bars: no burst of ticks
            return times
        while True:
            when = timeline.time_at(self.origin + (self.position + 1) / TICKS_PER_BEAT)
            if when > until or (before and when >= until):
                return times
            self.position += 1
            self.last_tick_time = when
            times.append(when)

    # -- the SongClock interface ----------------------------------------------------------------

    @property
    def tick_interval(self) -> float | None:
        return None if self.state is None else self._interval()

    @property
    def ahead(self) -> float:
        return 0.0  # ticks are computed, never bunched

    @property
    def jumping(self) -> bool:
        return False

    @property
    def peers(self) -> int:
        return 0 if self.state is None else self.state.peers

    def stalled(self, now: float) -> bool:
        return False  # the timeline goes on without anyone; a peer that leaves leaves its tempo

    def time_of(self, position: float) -> float | None:
        if self.state is None:
            return None
        return self.state.timeline.time_at(self.origin + position / TICKS_PER_BEAT)

    def position_estimate(self, time: float) -> float:
        if self.state is None:
            return float(max(self.position, 0))
        return (self.state.timeline.beat_at(time) - self.origin) * TICKS_PER_BEAT

    def position_at(self, time: float) -> float:
        """A hit's song position from its arrival stamp, on the timeline; kept within a tick of the
        ticks counted (as ClockTracker.position_at), so a hit is never placed in a bar already cut."""
        base = max(self.position, 0)
        if not self.running or self.state is None:
            return float(base)
        return min(max(self.position_estimate(time), base - 1.0), base + 0.999)

    def sending_limit(self) -> float:
        return max(self.position, 0) + LEAD_TICKS

    def stop_position(self) -> float | None:
        """The song position of a Stop announced ahead, while it is pending: the core sends nothing
        due at or after it, however early it hands notes over (a negative offset, the JACK lead)."""
        if self._pending is None or self._pending[0] or self.state is None:
            return None
        return self.position_estimate(self._pending[1])

    def status(self, now: float) -> ClockStatus:
        return ClockStatus(self.running, False, max(self.position, 0), self.bpm if self.state else None)


def _peers(count: int) -> str:
    return "no peers" if count == 0 else f"{count} peer{'s' if count > 1 else ''}"
