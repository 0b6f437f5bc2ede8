"""Peak memory of this process, for the runtime-cost probe of `beatgen bench`."""

import resource
import sys


def peak_rss_mb() -> float:
    """Peak resident set size in MB.

    On Linux VmHWM is read because getrusage's ru_maxrss survives exec and
    would report the parent's peak in a freshly spawned probe.
    """
    if sys.platform.startswith("linux"):
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
