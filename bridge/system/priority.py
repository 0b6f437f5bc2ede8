"""Thread priorities: the bridge above ordinary work, the UI's drawing below it.

A DAW runs its audio threads at real-time priority and its GUI at normal
priority; JACK makes every client's process thread real-time.  The bridge
does the same for its own threads (engine, port poller, inference worker,
and in a BridgeProcess child every thread) where the OS permits: SCHED_RR
at the lowest real-time levels, below jackd and JACK's process threads.
Where it does not (no root, no rtprio limit such as the "audio" group's
`@audio - rtprio 95` in /etc/security/limits.conf), a nice value of -10
if permitted, else nothing; the engine logs which.

All of the bridge's threads are raised together, because they share one
GIL: a timing thread raised alone waits on the GIL held by a preempted
ordinary thread (tried: the engine thread alone at SCHED_FIFO measured
worse).  The timing threads sit one level above the inference worker, so
the worker never delays a note, and the worker above ordinary work, so it
releases the GIL promptly when asked.

Measured on 2 cores with two busy loops at normal priority (stress): at
normal priority notes of the JACK tests came 13-31 ms late, at nice -10
13-16 ms, with SCHED_RR none over 12 ms (docs/live.md).

On Linux priorities belong to a thread (tid 0 = the calling one), and new
threads inherit their creator's: call these before starting the threads
they should cover.  Elsewhere they change nothing and say so.
"""

from __future__ import annotations

import os
import threading

BRIDGE_NICENESS = -10
UI_NICENESS = 10
# Real-time priorities for the bridge's threads: the lowest SCHED_RR levels, so
# jackd and every JACK client's process thread (FIFO 10 and 5 with jackd -R's defaults)
# still come first.  Timing threads above the inference worker, so that a
# note never waits for inference; the worker still above all ordinary work,
# so that it releases the GIL promptly when a timing thread asks for it.
TIMING_PRIORITY = 2
WORKER_PRIORITY = 1
PRIORITY_VARIABLE = "BEATGEN_PRIORITY"
PRIORITY_CHOICES = ("realtime", "nice", "normal")


def set_thread_niceness(niceness: int) -> str:
    """Set this thread's nice value; returns a line saying what happened (for the log)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except AttributeError:
        return "priority: unchanged (no thread priorities on this OS)"
    except OSError as error:
        return f"priority: normal (nice {niceness} not permitted: {error.strerror}; see docs/live.md)"
    return f"priority: nice {niceness}"


def raise_bridge_priority(realtime_priority: int = TIMING_PRIORITY) -> str:
    """This thread (and threads it starts later) above ordinary work: SCHED_RR where
    permitted, else nice BRIDGE_NICENESS.  Returns the line for the log.

    The environment variable BEATGEN_PRIORITY=nice or =normal asks for less
    (to compare, or where real-time threads are unwelcome)."""
    wanted = os.environ.get(PRIORITY_VARIABLE, "realtime")
    if wanted not in PRIORITY_CHOICES:
        return f"priority: normal ({PRIORITY_VARIABLE}={wanted!r} is not one of {', '.join(PRIORITY_CHOICES)})"
    if wanted == "normal":
        return f"priority: normal ({PRIORITY_VARIABLE}=normal)"
    if wanted == "nice":
        return set_thread_niceness(BRIDGE_NICENESS)
    try:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(realtime_priority))  # 0: this thread, on Linux
    except (AttributeError, OSError):
        return set_thread_niceness(BRIDGE_NICENESS)
    return f"priority: real-time (SCHED_RR {realtime_priority})"


def lower_drawing_priority() -> str:
    """The UI's drawing thread below the bridge (and below ordinary work)."""
    return set_thread_niceness(UI_NICENESS)
