"""Bars on their way out: what each scheduled bar was shaped from, so a feel control moved
mid-bar re-shapes every note not yet sent.

Mute, lock, velocity, swing, humanize and quantize shape the model's hits into notes
(bridge.settings.controls.shape_pairs).  A bar is scheduled whole, ahead of time, so
a change used to wait for the next bar: a mute CC on beat 2 let the rest of that
bar's kicks play (issue 12).  BarsOut keeps each bar's hits (the parts the worker
handed over) and the notes planned from them; `reshape` takes back what is still
queued and plans it again under the new controls.  A note that has gone out stays
out, and the hit it came from is not played twice.

Part of the engine core: no clock reads, no threads.  Every drop of scheduled notes
(a re-seed, Stop, panic) goes through here so that no forgotten bar comes back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bridge.live.clock import TICKS_PER_BEAT
from bridge.live.note_scheduler import NoteScheduler
from bridge.live.status import TICKS_PER_BAR
from bridge.music.hits import Hit

# (line, hits, part) -> [(source hit, note to send)]: the performance's shaping with the current
# controls; part is "bar", "downbeat" or "rest" (which part of a locked call goes with the hits).
Shaper = Callable[[int, list[Hit], str], list[tuple[Hit, Hit]]]
# A re-shaped note planned before a position already sent goes out at once, this far after it.
JUST_AFTER_TICKS = 1e-6


@dataclass(frozen=True)
class PlannedNote:
    source: Hit  # the hit it was shaped from (the model's, or the call's for a locked drum)
    note: Hit  # as shaped: beats from the bar line
    position: float  # song ticks
    hit_id: int  # the scheduler's id for its note-on and note-off


class BarsOut:
    def __init__(self, scheduler: NoteScheduler) -> None:
        self.scheduler = scheduler
        self.parts: dict[int, list[tuple[list[Hit], str]]] = {}  # line -> what the worker handed over
        self.planned: dict[int, list[PlannedNote]] = {}

    def schedule(self, line: int, hits: list[Hit], part: str, shape: Shaper, notes: tuple[int, ...]) -> list[Hit]:
        """Shape a bar (or a part of one) and queue it; returns the notes as shaped (beats from the bar line)."""
        self._forget_played()
        pairs = shape(line, hits, part)
        self.parts.setdefault(line, []).append((hits, part))
        planned = self.planned.setdefault(line, [])
        for source, note in pairs:
            planned.append(self._queue(line, source, note, notes, clamp=False))
        return [note for _source, note in pairs]

    def notes(self, line: int) -> list[Hit]:
        """The notes of bar `line` as planned now (sent or to come), in time order."""
        return sorted((note.note for note in self.planned.get(line, [])), key=lambda hit: (hit.time, hit.drum))

    def played(self) -> dict[int, list[Hit]]:
        """For each bar still held, the notes that have gone out (before a silence: what was heard)."""
        queued = self.scheduler.queued_hits()
        return {
            line: sorted((n.note for n in planned if n.hit_id not in queued), key=lambda hit: (hit.time, hit.drum))
            for line, planned in self.planned.items()
        }

    def reshape(self, shape: Shaper, notes: tuple[int, ...]) -> list[int]:
        """Plan every note not yet sent again with `shape` (the controls changed); returns the bars
        whose notes may have changed."""
        self._forget_played()
        for line, parts in self.parts.items():
            planned = self.planned[line]
            queued = self.scheduler.unschedule({note.hit_id for note in planned})
            sent = Counter(note.source for note in planned if note.hit_id not in queued)
            taken_back = Counter(note.source for note in planned if note.hit_id in queued)
            kept = [note for note in planned if note.hit_id not in queued]
            start = line * TICKS_PER_BAR
            for source, note in (pair for hits, part in parts for pair in shape(line, hits, part)):
                if sent[source]:  # this hit has sounded already
                    sent[source] -= 1
                    continue
                if start + note.time * TICKS_PER_BEAT <= self.scheduler.released_until:
                    if not taken_back[source]:
                        continue  # a hit newly let through (unmuted) whose moment has passed
                    taken_back[source] -= 1  # it was still to come: it goes now rather than never
                kept.append(self._queue(line, source, note, notes, clamp=True))
            self.planned[line] = kept
        return list(self.parts)

    def drop_from(self, line: int) -> None:
        """Forget the notes of bar `line` on (a re-seed, a mode change): they will not come back."""
        self.scheduler.drop_from(line * TICKS_PER_BAR)
        for old in [old for old in self.parts if old >= line]:
            del self.parts[old], self.planned[old]

    def silence(self) -> list[tuple[int, ...]]:
        self.forget()
        return self.scheduler.silence()

    def panic(self) -> list[tuple[int, ...]]:
        self.forget()
        return self.scheduler.panic()

    def forget(self) -> None:
        self.parts.clear()
        self.planned.clear()

    def _queue(self, line: int, source: Hit, note: Hit, notes: tuple[int, ...], clamp: bool) -> PlannedNote:
        """Queue one note.  clamp: a re-shaped note is never placed before what has gone out (it was
        still to come, so it goes at once); a new bar keeps its true place, so a late one counts late."""
        position = line * TICKS_PER_BAR + note.time * TICKS_PER_BEAT
        if clamp and position <= self.scheduler.released_until:
            position = self.scheduler.released_until + JUST_AFTER_TICKS
        hit_id = self.scheduler.schedule(position, notes[note.drum], note.velocity)
        return PlannedNote(source, note, position, hit_id)

    def _forget_played(self) -> None:
        """Bars wholly before what has been sent cannot change any more."""
        done = [line for line in self.parts if (line + 1) * TICKS_PER_BAR <= self.scheduler.released_until]
        for line in done:
            del self.parts[line], self.planned[line]
