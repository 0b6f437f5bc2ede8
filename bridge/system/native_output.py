"""Native libraries (LiteRT, libjack, ALSA) and our stderr: silence them, or forward them to the log."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable


@contextlib.contextmanager
def native_stderr_silenced():
    """Point file descriptor 2 at /dev/null for the duration: C++ loggers write there directly.

    Python-level errors are raised, not printed, inside these blocks, so the
    user still sees our own one-line messages.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr descriptor (embedded use): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def forward_native_stderr(log: Callable[[str], None]) -> Callable[[], None]:
    """Lines native libraries write on descriptor 2 (libjack's errors) go to `log`, as "native: ...".

    Descriptor 2 becomes a pipe that a thread of ours reads; Python's own
    sys.stderr is pointed at the original descriptor, so what `log` prints
    there does not come back round.  The reader never stops reading (a
    native library blocked on a full pipe could be JACK's realtime thread).
    Returns a function that puts descriptor 2 back.
    """
    original = os.dup(2)
    reading, writing = os.pipe()
    os.dup2(writing, 2)
    os.close(writing)
    previous = sys.stderr
    sys.stderr = open(original, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115

    def forward() -> None:
        with open(reading, encoding="utf-8", errors="replace") as pipe:
            for line in pipe:
                if line.strip():
                    log(f"native: {line.rstrip()}")

    threading.Thread(target=forward, name="beatgen-native-stderr", daemon=True).start()

    def restore() -> None:
        os.dup2(original, 2)  # the pipe's last writer goes: the reader sees its end and stops
        sys.stderr = previous

    return restore
