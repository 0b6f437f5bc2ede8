"""The engine core's transport events: MIDI clock messages, Link's session, and what a song (re)start does.

A part of EngineCore (core.py), kept here so each module stays readable: a
Start, Continue, jump or Stop silences the performance and restarts it from
the right bar line, whichever clock said so (a MIDI clock message, a Link
timeline, the internal clock, a switch of source).  Only the core's state is
touched; nothing here reads a clock or sends by itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.live.link_timeline import LinkState
from bridge.live.status import TICKS_PER_BAR

if TYPE_CHECKING:
    from bridge.live.events import Outbox
    from bridge.live.performance import Performance
    from bridge.live.seed_recorder import SeedRecorder
    from bridge.live.song_clock import SongClock
    from bridge.live.transport import Transport


class TransportEvents:
    """Mixed into EngineCore: the transport's changes carried out on the performance."""

    out: Outbox
    transport: Transport
    performance: Performance
    recorder: SeedRecorder
    next_line: int | None
    previewed: tuple[int, int]
    last_hit_tick: float | None

    @property
    def clock(self) -> SongClock:
        return self.transport.clock

    def _on_link_update(self, state: LinkState, now: float) -> None:
        if self.transport.link_update(state, now) is not None:  # auto: Link's peers came
            self._reset_performance(self.clock.position)

    def _on_link_missing(self, reason: str, now: float) -> None:
        if self.transport.link_missing(reason, now) is not None:  # back on the internal clock
            self._reset_performance(None)
            self._song_started()

    def _on_clock_message(self, message: list[int], stamp: float) -> None:
        transport = self.transport
        if not transport.following_external:
            if transport.source == "internal":
                return
            self._reset_performance(self.clock.position)
            transport.follow_external()
        transport.heard_external = True
        was_running, was_position = self.clock.running, self.clock.position
        change = transport.feed_external(message, stamp)
        if change == "back" and self.next_line is None:  # not restarted by an SPP while stalled
            self._restart_at(max(self.clock.position, 0))  # the tick just counted plays first
        if change == "burst":  # the song is being moved (TickArrivals._follow_run): silence now
            self._reset_performance(was_position)
            self.out.log("clock: a burst of ticks far faster than any tempo: a jump, not played; silenced")
        elif change is not None:
            self._transport_changed(change, was_running, was_position)

    def _transport_changed(self, change: str, was_running: bool, was_position: int) -> None:
        """Start, Continue, a jump or an SPP while running: silence, then play from there; Stop: silence."""
        if change in ("start", "continue", "jump") or (change == "position" and was_running):
            self._reset_performance(was_position if was_running else None)
            if change == "start":
                self.performance.history.clear()
            self._restart_at({"start": 0, "jump": self.clock.position}.get(change, self.clock.position + 1))
            self.out.log(f"transport {change} at bar {max(self.clock.position + 1, 0) // TICKS_PER_BAR + 1}")
        elif change == "stop":
            self._reset_performance(was_position)
            # The count lets a recording of the clock show ticks lost on the way (live_analysis.input_losses).
            self.out.log(f"transport stop at tick {self.clock.position + 1}: silenced")

    def _song_started(self) -> None:
        """Our own clock starts the song at tick 0."""
        self.performance.history.clear()
        self._restart_at(0)

    def _reset_performance(self, sent_until_tick: int | None) -> None:
        """Stop, jump, stall: silence now, forget planned notes and the seed being recorded."""
        self.performance.reset(sent_until_tick)
        self.previewed = (-1, 0)
        self.recorder.clear()
        self.last_hit_tick = None
        self.next_line = None

    def _restart_at(self, first_tick: int) -> None:
        """The song (re)starts at `first_tick`: the first cut is the next bar line after it."""
        self.next_line = first_tick // TICKS_PER_BAR + 1
        self.previewed = (-1, 0)
        self.performance.resume(-(-first_tick // TICKS_PER_BAR))
