"""Bar history (what was heard and sent, per song bar) and takes (undo/redo of loops and answers)."""

from __future__ import annotations

import threading

from bridge.live.bar_history import GENERATED, SEED, BarHistory, BarView
from bridge.live.takes import Takes
from bridge.music.hits import Hit

KICK = [Hit(0.0, 0, 100)]
SNARE = [Hit(1.0, 1, 90)]


def test_bars_are_kept_in_song_order_seed_before_generated():
    history = BarHistory()
    history.put(3, GENERATED, SNARE)
    history.put(1, SEED, KICK)
    history.put(3, SEED, KICK)
    history.put(2, GENERATED, KICK)
    assert [(v.bar, v.source) for v in history.copy()] == [(1, SEED), (2, GENERATED), (3, SEED), (3, GENERATED)]
    assert history.copy()[0] == BarView(1, SEED, tuple(KICK))


def test_a_bar_recorded_again_replaces_the_earlier_one():
    history = BarHistory()
    history.put(4, GENERATED, KICK)
    history.put(4, GENERATED, SNARE)
    assert history.copy() == [BarView(4, GENERATED, tuple(SNARE))]


def test_drop_generated_from_keeps_seed_bars_and_earlier_bars():
    history = BarHistory()
    for bar in range(6):
        history.put(bar, GENERATED, KICK)
    history.put(4, SEED, SNARE)
    history.drop_generated_from(3)
    assert [(v.bar, v.source) for v in history.copy()] == [(0, GENERATED), (1, GENERATED), (2, GENERATED), (4, SEED)]


def test_recent_is_rebuilt_only_after_a_change():
    history = BarHistory(recent=2)
    history.put(0, SEED, KICK)
    first = history.recent()
    assert history.recent() is first, "no change: the same tuple, nothing rebuilt"
    history.put(1, GENERATED, KICK)
    history.put(2, GENERATED, SNARE)
    assert [v.bar for v in history.recent()] == [1, 2]
    history.clear()
    assert history.recent() == () and history.copy() == []


def test_copy_limit_and_keep_bound():
    history = BarHistory(keep=5)
    for bar in range(8):
        history.put(bar, GENERATED, KICK)
    assert [v.bar for v in history.copy()] == [3, 4, 5, 6, 7]
    assert [v.bar for v in history.copy(2)] == [6, 7]
    assert history.copy(0) == []


def test_copy_is_consistent_while_another_thread_writes():
    history = BarHistory(keep=100_000)
    done = threading.Event()

    def write():
        for bar in range(20_000):
            history.put(bar, GENERATED, KICK)
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    while not done.is_set():
        bars = [v.bar for v in history.copy(1000)]
        assert bars == sorted(bars) and len(set(bars)) == len(bars)
    writer.join()
    assert len(history.copy(100_000)) == 20_000


def test_takes_step_back_and_forward():
    takes = Takes()
    assert takes.position() == (0, 0) and not takes.back() and not takes.forward(False)
    for name in "abc":
        takes.add(name)
    assert takes.position() == (2, 3)
    assert takes.back() and takes.chosen == 1
    assert takes.back() and takes.chosen == 0
    assert not takes.back(), "nothing before the oldest"
    assert takes.position() == (0, 3)
    takes.played(0)
    assert (takes.current, takes.chosen) == (0, None)
    assert takes.forward(False) and takes.chosen == 1
    assert takes.forward(False) and takes.chosen == 2
    assert not takes.forward(False)


def test_forward_past_the_newest_can_mean_something_new():
    takes = Takes()
    takes.add("a")
    takes.add("b")
    assert not takes.forward(True), "nothing chosen: already new"
    takes.back()
    assert takes.forward(True) and takes.chosen == 1
    assert takes.forward(True) and takes.chosen is None


def test_takes_keep_the_last_sixteen():
    takes = Takes()
    for index in range(20):
        takes.add(index)
    assert takes.items == list(range(4, 20)) and takes.position() == (15, 16)


def test_a_choice_stands_when_a_new_take_arrives():
    takes = Takes(keep=3)
    for name in "abc":
        takes.add(name)
    takes.back()  # "b"
    takes.add("d")  # "a" falls out: the choice still points at "b"
    assert takes.items == ["b", "c", "d"] and takes.chosen == 0 and takes.current == 2
    takes.back()
    assert not takes.back()
    takes.add("e")  # the chosen take itself falls out
    assert takes.chosen is None and takes.position() == (2, 3)
