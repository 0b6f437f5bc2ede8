"""Turn generated hits into timed note-on/note-off messages; never leave a note sounding.

Positions are song ticks (24 per quarter note, fractional allowed).  The
engine asks `due(position)` as the clock advances and sends what comes back.
Every note-on the scheduler releases is remembered until its note-off has been
released too, so `silence()` (Stop, exit, port error) and `panic()` can always
switch off exactly what is sounding.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

NOTE_ON, NOTE_OFF, CONTROL_CHANGE = 0x90, 0x80, 0xB0
ALL_SOUND_OFF = 120
ALL_NOTES_OFF = 123
DEFAULT_NOTE_TICKS = 3.0  # a 32nd note: drums are one-shots, long enough for any sampler


@dataclass(order=True)
class _Event:
    position: float
    order: int  # note-offs (0) before note-ons (1) at the same position
    sequence: int
    message: tuple[int, ...] = field(compare=False)
    hit: int = field(default=0, compare=False)  # the hit a note-on and its note-off belong to


class NoteScheduler:
    def __init__(self, channel: int = 9, note_ticks: float = DEFAULT_NOTE_TICKS) -> None:
        self.channel = channel
        self.note_ticks = note_ticks
        self._queue: list[_Event] = []
        self._sequence = 0
        self.sounding: set[tuple[int, int]] = set()  # (channel, note) switched on and not yet off
        self.released_note_ons: list[float] = []  # positions of the note-ons the last due() released
        self.released_until = float("-inf")  # everything at or before this position has gone out

    def schedule(self, position: float, note: int, velocity: int) -> int:
        """Queue one hit; its note-off follows after note_ticks.  Returns the hit's id (for unschedule)."""
        hit = self._sequence + 1
        self._push(position, 1, (NOTE_ON | self.channel, note, max(1, min(127, velocity))), hit)
        self._push(position + self.note_ticks, 0, (NOTE_OFF | self.channel, note, 0), hit)
        return hit

    def _push(self, position: float, order: int, message: tuple[int, ...], hit: int) -> None:
        self._sequence += 1
        heapq.heappush(self._queue, _Event(position, order, self._sequence, message, hit))

    def due(self, position: float) -> list[tuple[int, ...]]:
        """Messages whose time has come at `position`, in order.

        A note-on for a note that is still sounding is preceded by its note-off
        (a retrigger), so the receiver never sees two note-ons without an off.
        """
        messages: list[tuple[int, ...]] = []
        self.released_note_ons = []
        self.released_until = max(self.released_until, position)
        while self._queue and self._queue[0].position <= position:
            event = heapq.heappop(self._queue)
            if event.order:
                self.released_note_ons.append(event.position)
            messages.extend(self._release(event.message))
        return messages

    def skip(self, position: float) -> tuple[list[tuple[int, ...]], int]:
        """Take what is due at `position` without playing it: the note-offs of sounding notes still
        go; returns them and the number of note-ons dropped (a song moved on faster than it plays)."""
        messages: list[tuple[int, ...]] = []
        dropped = 0
        self.released_note_ons = []
        self.released_until = max(self.released_until, position)
        while self._queue and self._queue[0].position <= position:
            event = heapq.heappop(self._queue)
            if event.order:
                dropped += 1
            else:
                messages.extend(self._release(event.message))
        return messages, dropped

    def next_position(self) -> float | None:
        """Position of the next queued message, None when nothing is queued."""
        return self._queue[0].position if self._queue else None

    def drop_from(self, position: float) -> None:
        """Forget note-ons queued at or after `position` (a re-seed replaces them).

        Note-offs stay: those of sounding notes must still come; the others
        are skipped when due because their note is not sounding.
        """
        self._queue = [e for e in self._queue if not (e.order and e.position >= position)]
        heapq.heapify(self._queue)

    def unschedule(self, hits: set[int]) -> set[int]:
        """Take back those of `hits` whose note-on is still queued, note-offs with them (the engine
        re-shapes those notes); returns their ids.  A hit that has gone out keeps its note-off."""
        taken = {e.hit for e in self._queue if e.order and e.hit in hits}
        if taken:
            self._queue = [e for e in self._queue if e.hit not in taken]
            heapq.heapify(self._queue)
        return taken

    def pass_through(self, message: tuple[int, ...]) -> list[tuple[int, ...]]:
        """An input note echoed to the output (thru), tracked so silence() can switch it off too."""
        if message[0] & 0xF0 == NOTE_ON and message[2] > 0:
            return self._release(message)  # tracked, with a note-off first if it was still sounding
        self.sounding.discard((message[0] & 0x0F, message[1]))
        return [message]  # the producer's note-off always goes through

    def _release(self, message: tuple[int, ...]) -> list[tuple[int, ...]]:
        key = (message[0] & 0x0F, message[1])
        if message[0] & 0xF0 == NOTE_ON:
            released = [(NOTE_OFF | key[0], key[1], 0)] if key in self.sounding else []
            self.sounding.add(key)
            return released + [message]
        if key not in self.sounding:
            return []  # already switched off by a retrigger or silence()
        self.sounding.discard(key)
        return [message]

    def queued_hits(self) -> set[int]:
        """Ids of the hits whose note-on has not gone out yet."""
        return {event.hit for event in self._queue if event.order}

    def pending(self) -> int:
        return len(self._queue)

    def clear(self) -> None:
        """Forget what has not been sent yet (sounding notes stay tracked)."""
        self._queue.clear()

    def silence(self) -> list[tuple[int, ...]]:
        """Note-offs for every sounding note, then All Notes Off on each channel used; clears the queue.
        Stop, a jump or a stall come before it: the song's positions may come round again."""
        self.clear()
        self.released_until = float("-inf")
        return self._all_off()

    def change_channel(self, channel: int) -> list[tuple[int, ...]]:
        """Send on `channel` (0-15) from now on, queued notes included; returns the messages that
        switch off what sounds now (as silence(), but the queue is kept and moved to the new channel)."""
        messages = self._all_off()
        for event in self._queue:  # position and order are untouched, so the heap stays valid
            if event.message[0] & 0x0F == self.channel:
                event.message = (event.message[0] & 0xF0 | channel, *event.message[1:])
        self.channel = channel
        return messages

    def _all_off(self) -> list[tuple[int, ...]]:
        channels = {channel for channel, _note in self.sounding} | {self.channel}
        messages: list[tuple[int, ...]] = [(NOTE_OFF | channel, note, 0) for channel, note in sorted(self.sounding)]
        self.sounding.clear()
        return messages + [(CONTROL_CHANGE | channel, ALL_NOTES_OFF, 0) for channel in sorted(channels)]

    def panic(self) -> list[tuple[int, ...]]:
        """silence() plus All Sound Off, for hung notes the receiver may hold from elsewhere."""
        messages = self.silence()
        channels = sorted({m[0] & 0x0F for m in messages if m[0] & 0xF0 == CONTROL_CHANGE})
        return messages + [(CONTROL_CHANGE | channel, ALL_SOUND_OFF, 0) for channel in channels]
