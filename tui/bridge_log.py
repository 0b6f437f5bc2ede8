"""The bridge's log lines: the last few for the screen and, with --log, every line appended to a file."""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path


class BridgeLog:
    """The bridge's log lines: kept for the screen (last few) and, with --log, appended to a file.

    Called from the bridge's threads, so it only appends; the poll timer shows them.
    """

    def __init__(self, path: str | None) -> None:
        self.lines: deque[str] = deque(maxlen=200)
        self._lock = threading.Lock()
        self._file = open(Path(path), "a", encoding="utf-8", buffering=1) if path else None  # noqa: SIM115
        self.count = 0

    def __call__(self, line: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        with self._lock:
            self.lines.append(f"{stamp} {line}")
            self.count += 1
            if self._file:
                self._file.write(f"{stamp} {line}\n")

    def last(self) -> str:
        with self._lock:
            return self.lines[-1] if self.lines else ""

    def close(self) -> None:
        if self._file:
            self._file.close()
            self._file = None
