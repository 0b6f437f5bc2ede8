"""What the bridge heard and played, bar by bar: for the TUI's pattern view and for MIDI export.

The engine thread records each bar the model heard (source "seed") and each
bar it scheduled, as shaped on its way out (source "generated"), keyed by
song bar.  A bar recorded again under the same key replaces the earlier one:
continuous mode regenerates bars it had planned when the producer plays
over them, and those planned-but-replaced notes were never sent.

The engine's status snapshot is published on every loop iteration, so the
recent-bars tuple is rebuilt only when a bar changed; readers on other
threads (history()) copy under a lock the engine thread holds only while
it inserts.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass

from bridge.music.hits import Hit

SEED, GENERATED = "seed", "generated"
SOURCE_ORDER = {SEED: 0, GENERATED: 1}  # a seed bar sorts before the generated bar of the same song bar
RECENT_BARS = 16
KEEP_BARS = 4096  # about two hours at 120 BPM; older bars are forgotten first


@dataclass(frozen=True)
class BarView:
    """One bar as heard or sent: song bar (0-based), "seed" or "generated", hits in beats 0..4."""

    bar: int
    source: str
    hits: tuple[Hit, ...]


class BarHistory:
    """Bars in song order; written by the engine thread only, copied by anyone."""

    def __init__(self, keep: int = KEEP_BARS, recent: int = RECENT_BARS) -> None:
        self.keep, self.recent_count = keep, recent
        self._keys: list[tuple[int, int]] = []  # (bar, source order), sorted, parallel to _views
        self._views: list[BarView] = []
        self._lock = threading.Lock()
        self._recent: tuple[BarView, ...] = ()
        self._changed = False

    def put(self, bar: int, source: str, hits) -> None:
        """Record a bar; it replaces the bar recorded before under the same song bar and source."""
        view = BarView(bar, source, tuple(hits))
        key = (bar, SOURCE_ORDER[source])
        with self._lock:
            index = bisect.bisect_left(self._keys, key)
            if index < len(self._keys) and self._keys[index] == key:
                self._views[index] = view
            else:
                self._keys.insert(index, key)
                self._views.insert(index, view)
                if len(self._views) > self.keep:
                    del self._keys[0], self._views[0]
            self._changed = True

    def drop_generated_from(self, bar: int) -> None:
        """Forget generated bars from `bar` on: they were planned but will not be sent."""
        with self._lock:
            start = bisect.bisect_left(
                self._keys, (bar, 0)
            )  # bars are sorted: only the tail can go (cheap on the engine thread)
            kept = [(k, v) for k, v in zip(self._keys[start:], self._views[start:]) if v.source != GENERATED]
            if len(kept) != len(self._keys) - start:
                self._keys[start:], self._views[start:] = [k for k, _v in kept], [v for _k, v in kept]
                self._changed = True

    def clear(self) -> None:
        with self._lock:
            self._keys, self._views = [], []
            self._changed = True

    def recent(self) -> tuple[BarView, ...]:
        """The last `recent` bars, oldest first; for the engine thread (rebuilt only after a change)."""
        if self._changed:
            self._recent = tuple(self._views[-self.recent_count :])
            self._changed = False
        return self._recent

    def copy(self, limit: int = 256) -> list[BarView]:
        """The last `limit` bars, oldest first; safe from any thread."""
        with self._lock:
            return self._views[-limit:] if limit > 0 else []
