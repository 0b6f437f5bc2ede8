"""The Ableton Link session: the only module that imports Link (LinkPython-extern, the optional [link] extra).

`LinkSession` joins the session with Start Stop Sync on.  A thread of ours
looks at it whenever Link calls back (tempo, Start/Stop, peers) and every
POLL_S besides (a session we join can renumber or move its timeline without
a callback), and posts a LinkState (link_timeline.py) to the engine when
something changed.  Link's callbacks run on Link's own thread: they only wake
ours, so no Python work happens there.

Link's clock is CLOCK_MONOTONIC_RAW in microseconds (as JACK's); the bridge
stamps MIDI with `time.monotonic()`, which measured 250 ms away from it here.
Every time is converted at this edge, with the offset between the two clocks
measured at each look (NTP slews one and not the other, so they drift apart).

Link is GPL-2.0-or-later (or Ableton's proprietary licence); the project is
MIT.  Kept optional, imported only here: see README.md and docs/setup.md.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Callable
from typing import Any

from bridge.live.link_timeline import QUANTUM, LinkState, LinkTimeline

INSTALL_HINT = "Ableton Link is not installed: pip install 'beat-generation[link]' (GPL-2.0-or-later)"
POLL_S = 0.05  # a look at the session at least this often
MOVED_BEATS = 1e-4  # a timeline moved less than this (0.05 ms at 120 BPM) is not news


def link_available() -> bool:
    """Whether the [link] extra is installed (found, not imported)."""
    return importlib.util.find_spec("link") is not None


def _changed(old: LinkState | None, new: LinkState) -> bool:
    if old is None:
        return True
    if (old.playing, old.peers, old.timeline.tempo) != (new.playing, new.peers, new.timeline.tempo):
        return True
    if abs(old.play_time - new.play_time) > 1e-6:
        return True
    return abs(old.timeline.beat_at(new.timeline.time) - new.timeline.beat) > MOVED_BEATS


class LinkSession:
    """One Link instance, its watching thread, and our tempo and Start/Stop committed to it."""

    def __init__(self, post: Callable[[LinkState], None], bpm: float) -> None:
        """Raises ImportError (with INSTALL_HINT) where the extra is not installed."""
        try:
            import link  # the [link] extra: here and nowhere else
        except ImportError as error:
            raise ImportError(INSTALL_HINT) from error
        self._link: Any = link.Link(bpm)
        self._link.startStopSyncEnabled = True
        self._post = post
        self._wake, self._stop = threading.Event(), threading.Event()
        self._last: LinkState | None = None
        for register in (self._link.setTempoCallback, self._link.setStartStopCallback, self._link.setNumPeersCallback):
            register(lambda _value: self._wake.set())
        self._thread = threading.Thread(target=self._watch, name="beatgen-link", daemon=True)

    def start(self) -> LinkSession:
        self._link.enabled = True
        self._thread.start()
        return self

    def enable(self, on: bool) -> None:
        """Join (True) or leave (False) the session; the thread goes on looking (a left session has no peers)."""
        self._link.enabled = on
        self._wake.set()

    def set_tempo(self, bpm: float) -> None:
        """Share our tempo with the peers from now on (the beat now is kept)."""
        state = self._link.captureAppSessionState()
        state.setTempo(bpm, self._link.clock().micros())
        self._link.commitAppSessionState(state)
        self._wake.set()

    def set_playing(self, playing: bool, at: float) -> None:
        """Start or stop the session's transport at `at` (monotonic seconds)."""
        state = self._link.captureAppSessionState()
        state.setIsPlaying(playing, round((at + self._offset()) * 1e6))
        self._link.commitAppSessionState(state)
        self._wake.set()

    def look(self) -> LinkState:
        """The session now, every time in monotonic seconds."""
        offset = self._offset()
        state = self._link.captureAppSessionState()
        now = self._link.clock().micros()
        timeline = LinkTimeline(state.tempo(), state.beatAtTime(now, QUANTUM), now / 1e6 - offset)
        played = state.timeForIsPlaying() / 1e6 - offset
        return LinkState(timeline, state.isPlaying(), played, self._link.numPeers())

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(1.0)
        self._link.enabled = False

    def _offset(self) -> float:
        """Link's clock minus time.monotonic(), in seconds: Link's reading between two of ours."""
        before = time.monotonic()
        link_now = self._link.clock().micros()
        after = time.monotonic()
        return link_now / 1e6 - (before + after) / 2

    def _watch(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            state = self.look()
            if _changed(self._last, state):
                self._last = state
                self._post(state)
            self._wake.wait(POLL_S)
