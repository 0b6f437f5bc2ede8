"""MIDI 1.0 transport: Start, Stop, Continue and Song Position Pointer make the running state and song position."""

from __future__ import annotations

TICKS_PER_BEAT = 24  # MIDI clock: 24 ticks per quarter note
TICKS_PER_SIXTEENTH = 6  # Song Position Pointer counts 16th notes ("MIDI beats")
CLOCK, START, CONTINUE, STOP, SONG_POSITION = 0xF8, 0xFA, 0xFB, 0xFC, 0xF2

# The change each transport message makes, as ClockTracker.feed reports it.
CHANGES = {START: "start", CONTINUE: "continue", STOP: "stop", SONG_POSITION: "position"}


class MidiTransport:
    """The song position in ticks, as the MIDI 1.0 spec defines it.

    - Start: the song restarts; the next clock tick is tick 0.
    - Song Position Pointer: position in 16ths (6 ticks each); the next tick is
      that position (Ableton Live's "Song" clock sends SPP + Continue).
    - Continue: resume from the current position.
    - Stop: halt; the position is kept for Continue.
    - Clock: advances the position by one tick, only while running.
    """

    def __init__(self) -> None:
        self.running = False
        self.position = -1  # the last tick counted; -1: the next tick is tick 0

    def apply(self, message: bytes | list[int] | tuple[int, ...]) -> str | None:
        """Apply a transport message; returns its change ("start", "stop", "continue", "position") or None."""
        status = message[0]
        if status == START:
            self.running, self.position = True, -1
        elif status == CONTINUE:
            self.running = True
        elif status == STOP:
            self.running = False
        elif status == SONG_POSITION and len(message) >= 3:
            sixteenths = (message[1] & 0x7F) | ((message[2] & 0x7F) << 7)
            self.position = sixteenths * TICKS_PER_SIXTEENTH - 1
        else:
            return None  # clock, other system messages, a truncated SPP: no transport change
        return CHANGES[status]

    def count_tick(self) -> bool:
        """Count one clock tick; returns whether it moved the song (only while running)."""
        if self.running:
            self.position += 1
        return self.running
