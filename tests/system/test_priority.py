"""bridge/priority.py: the bridge's threads raised, the UI's drawing thread lowered, each in its own thread only."""

from __future__ import annotations

import os
import sys
import threading

import pytest

import bridge.system.priority as priority

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities are Linux's")


def in_a_thread(function):
    """Run `function` in a fresh thread (its priority dies with it); returns (its result, the thread's policy, nice)."""
    seen = {}

    def body():
        seen["line"] = function()
        seen["policy"] = os.sched_getscheduler(0)
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    return seen["line"], seen["policy"], seen["nice"]


def test_the_bridge_thread_is_real_time_where_permitted_and_the_caller_is_untouched():
    before = os.sched_getscheduler(0), own_nice()
    line, policy, _nice = in_a_thread(priority.raise_bridge_priority)
    if line.startswith("priority: real-time"):
        assert policy == os.SCHED_RR and line == f"priority: real-time (SCHED_RR {priority.TIMING_PRIORITY})"
    else:  # an unprivileged run: the fallbacks are tested below
        assert policy == os.SCHED_OTHER
    assert (os.sched_getscheduler(0), own_nice()) == before


def own_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_without_real_time_the_bridge_falls_back_to_a_negative_nice_then_to_normal(monkeypatch):
    caller = own_nice()

    def refused(*_args):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "sched_setscheduler", refused)
    line, policy, nice = in_a_thread(priority.raise_bridge_priority)
    if line == f"priority: nice {priority.BRIDGE_NICENESS}":
        assert policy == os.SCHED_OTHER and nice == priority.BRIDGE_NICENESS
    else:
        assert line.startswith("priority: normal (nice -10 not permitted") and nice == caller
    monkeypatch.setattr(os, "setpriority", refused)
    line, policy, nice = in_a_thread(priority.raise_bridge_priority)
    assert line == "priority: normal (nice -10 not permitted: Operation not permitted; see docs/live.md)"
    assert (policy, nice) == (os.SCHED_OTHER, caller)


def test_the_drawing_thread_is_lowered_and_only_it():
    caller = own_nice()
    line, policy, nice = in_a_thread(priority.lower_drawing_priority)
    assert (line, policy, nice) == (f"priority: nice {priority.UI_NICENESS}", os.SCHED_OTHER, priority.UI_NICENESS)
    assert own_nice() == caller


def test_threads_started_by_a_raised_thread_inherit_its_priority():
    def raise_then_start():
        priority.raise_bridge_priority()
        _line, policy, nice = in_a_thread(lambda: "child")
        return policy, nice, os.sched_getscheduler(0), own_nice()

    (child_policy, child_nice, parent_policy, parent_nice), _policy, _nice = in_a_thread(raise_then_start)
    assert (child_policy, child_nice) == (parent_policy, parent_nice)


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        ("normal", "priority: normal (BEATGEN_PRIORITY=normal)"),
        ("realtme", "priority: normal (BEATGEN_PRIORITY='realtme' is not one of realtime, nice, normal)"),
    ],
)
def test_beatgen_priority_asks_for_less(monkeypatch, wanted, expected):
    caller = own_nice()
    monkeypatch.setenv("BEATGEN_PRIORITY", wanted)
    line, policy, nice = in_a_thread(priority.raise_bridge_priority)
    assert (line, policy, nice) == (expected, os.SCHED_OTHER, caller)


def test_beatgen_priority_nice_skips_real_time(monkeypatch):
    monkeypatch.setenv("BEATGEN_PRIORITY", "nice")
    line, policy, nice = in_a_thread(priority.raise_bridge_priority)
    assert policy == os.SCHED_OTHER
    assert (
        line == f"priority: nice {priority.BRIDGE_NICENESS}"
        and nice == priority.BRIDGE_NICENESS
        or line.startswith("priority: normal")
    )
