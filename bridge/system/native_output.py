"""Keep native libraries (LiteRT, libjack, ALSA) from printing on our stderr."""

from __future__ import annotations

import contextlib
import os


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
