"""The input edge's rules, as plain objects: which messages the bridge drops, how polled messages
are stamped, and when a silent JACK input means the server is gone.

ports.py wires them to python-rtmidi; here they take numbers, so tests need no MIDI system.

Why the input asks rtmidi to drop nothing: rtmidi's JACK input stamps each
message with the time since the previous *event*, dropped ones included, so
a dropped Active Sensing byte or sysex took its gap out of the sum of deltas
our stamps are built from, and every later stamp slipped early by it
(issue 14: one FE byte silenced the bridge for good).  The bridge now takes
every message, sums every delta, and drops what it does not use itself.

One limit stays in rtmidi: a sysex start without its end (F0 ...) makes its
JACK input append every later event to the sysex until a packet ends in F7,
delivering nothing (clock, notes) meanwhile, and it keeps no delta for what
it merged.  So on JACK a keepalive client of ours sends a lone F7 into our
own input every KEEPALIVE_INTERVAL_S: it ends any such sysex within that
time (the ticks it swallowed count as lost ticks), and its arrival shows the
server is alive.  A sysex that swallowed other messages holds status bytes
between its F0 and F7; after one, the stamps start a fresh anchor.
"""

from __future__ import annotations

SYSEX_START = 0xF0
SYSEX_END = 0xF7
ACTIVE_SENSING = 0xFE
# The keepalive message: a lone end-of-sysex, which no device sends on its own and which ends a
# sysex left open upstream.
KEEPALIVE_MESSAGE = (SYSEX_END,)
KEEPALIVE_INTERVAL_S = 0.05  # at most this much input (2-3 clock ticks at 120 BPM) is lost to an open sysex
# No message at all, not even our own keepalive, for this long: the JACK server is gone (or dropped
# our clients).  Far longer than any stall of a live server, far shorter than it takes rtmidi's
# output buffer (16 KB) to fill with the bridge's sends, after which sending would block forever.
SILENT_SERVER_S = 3.0
# The anchor may move later by this much per second (drift between JACK's clock and ours).
ANCHOR_RELAX_PER_S = 1e-5


def is_dropped(message: list[int] | tuple[int, ...]) -> bool:
    """True for what the bridge never uses: empty lists, sysex (and our keepalive) and Active Sensing."""
    return not message or message[0] in (SYSEX_START, SYSEX_END, ACTIVE_SENSING)


def swallowed_messages(message: list[int] | tuple[int, ...]) -> bool:
    """A sysex that rtmidi merged other messages into: a status byte between its F0 and its end."""
    return bool(message) and message[0] == SYSEX_START and any(byte >= 0x80 for byte in message[1:-1])


class ArrivalStamps:
    """Stamps for polled messages: the sum of rtmidi's deltas plus an anchor on our monotonic clock.

    The anchor is the smallest (poll time - sum) seen: a message is polled
    after it arrived, so that difference is never below the true anchor, and
    its minimum converges on it within a few polls.  It may move later only
    by ANCHOR_RELAX_PER_S (clock drift), except after `restart()`.
    """

    def __init__(self) -> None:
        self.elapsed = 0.0  # sum of rtmidi's deltas since the first message
        self.anchor: float | None = None
        self.last_poll = 0.0

    def batch(self, deltas: list[float], polled: float, restart_at: int | None = None) -> list[float]:
        """Stamps of the messages one poll found (their rtmidi deltas), polled at `polled`.

        `restart_at`: the index of a sysex that swallowed messages; the ones
        before it keep the old anchor, it and the rest start a fresh one.
        """
        if restart_at is None or self.anchor is None:
            return self._stamp(deltas, polled)
        before = [self.anchor + self._add(delta) for delta in deltas[:restart_at]]
        self.anchor, self.elapsed = None, 0.0
        return before + self._stamp(deltas[restart_at:], polled)

    def _stamp(self, deltas: list[float], polled: float) -> list[float]:
        # rtmidi's first delta ever (and the first after a restart) counts from nothing: the anchor starts there.
        offsets = [
            self._add(delta) if self.anchor is not None or index else self.elapsed for index, delta in enumerate(deltas)
        ]
        candidate = polled - self.elapsed
        if self.anchor is None or candidate < self.anchor:
            self.anchor = candidate
        else:
            self.anchor = min(self.anchor + ANCHOR_RELAX_PER_S * (polled - self.last_poll), candidate)
        self.last_poll = polled
        return [self.anchor + offset for offset in offsets]

    def _add(self, delta: float) -> float:
        self.elapsed += delta
        return self.elapsed


class ServerWatch:
    """Tells when the JACK input has been silent for SILENT_SERVER_S although our keepalive keeps sending."""

    def __init__(self, started: float) -> None:
        self.last_heard = started
        self.last_keepalive = started - KEEPALIVE_INTERVAL_S

    def heard(self, now: float) -> None:
        self.last_heard = now

    def keepalive_due(self, now: float) -> bool:
        if now - self.last_keepalive < KEEPALIVE_INTERVAL_S:
            return False
        self.last_keepalive = now
        return True

    def silent(self, now: float) -> bool:
        return now - self.last_heard >= SILENT_SERVER_S
