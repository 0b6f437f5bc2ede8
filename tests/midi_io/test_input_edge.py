"""The input edge's rules with numbers only: what is dropped, how stamps are built, when the server is gone."""

from __future__ import annotations

import pytest

from bridge.midi_io.input_edge import (
    ANCHOR_RELAX_PER_S,
    KEEPALIVE_INTERVAL_S,
    KEEPALIVE_MESSAGE,
    SILENT_SERVER_S,
    ArrivalStamps,
    ServerWatch,
    is_dropped,
    swallowed_messages,
)


@pytest.mark.parametrize(
    ("message", "dropped"),
    [
        ([], True),
        ([0xFE], True),  # Active Sensing
        ([0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7], True),  # identity request
        (list(KEEPALIVE_MESSAGE), True),  # our own keepalive never reaches the engine
        ([0xF8], False),  # clock
        ([0xFA], False),
        ([0x99, 36, 100], False),
        ([0xB9, 123, 0], False),
    ],
)
def test_what_the_bridge_drops(message, dropped):
    assert is_dropped(message) is dropped


def test_a_sysex_that_swallowed_messages_is_told_from_a_clean_one():
    assert not swallowed_messages([0xF0, 0x41, 0x10, 0xF7])
    assert swallowed_messages([0xF0, 0x41, 0x10, 0xF8, 0xF8, 0x99, 36, 100, 0xF7])  # clock and a note merged in
    assert not swallowed_messages([0xF8])
    assert not swallowed_messages([])


def test_stamps_follow_the_deltas_from_the_first_polled_message():
    stamps = ArrivalStamps()
    # rtmidi's first delta counts from nothing; the anchor is where the first message was polled.
    assert stamps.batch([5.0, 0.020, 0.020], polled=100.05) == pytest.approx([100.01, 100.03, 100.05])


def test_the_anchor_is_the_earliest_poll_and_later_polls_do_not_drag_it():
    stamps = ArrivalStamps()
    stamps.batch([0.0], polled=10.004)  # polled 4 ms after it arrived
    (second,) = stamps.batch([0.5], polled=10.501)  # polled 1 ms after: the anchor moves 3 ms earlier
    assert second == pytest.approx(10.501)
    (third,) = stamps.batch([0.5], polled=11.009)  # a late poll must not make the stamp late
    assert third == pytest.approx(11.001, abs=ANCHOR_RELAX_PER_S)


def test_a_dropped_message_keeps_its_delta_so_later_stamps_do_not_slip():
    """The issue-14 bug: a skipped Active Sensing byte took its gap out of the sum and every later stamp
    slipped early.  Every delta is summed now, dropped message or not."""
    stamps = ArrivalStamps()
    ticks = [stamps.batch([0.0], polled=0.0)[0]]
    ticks += stamps.batch([0.3], polled=0.3)  # Active Sensing after 0.3 s of silence (dropped later)
    ticks += stamps.batch([0.2, 0.02083], polled=0.52084)  # the next clock ticks
    assert ticks[-1] == pytest.approx(0.52083, abs=1e-4)


def test_after_a_sysex_that_swallowed_messages_the_anchor_starts_again():
    stamps = ArrivalStamps()
    stamps.batch([0.0, 0.02], polled=0.02)
    # rtmidi kept no delta for what the sysex swallowed: the sum is short, a fresh anchor puts it right.
    result = stamps.batch([0.02, 0.001, 0.02], polled=0.5, restart_at=1)
    assert result[0] == pytest.approx(0.04)
    assert result[1:] == pytest.approx([0.48, 0.5])


def test_the_anchor_relaxes_later_only_at_the_drift_rate():
    stamps = ArrivalStamps()
    stamps.batch([0.0], polled=0.0)
    (later,) = stamps.batch([100.0], polled=100.5)  # the sum says 100.0, we polled 0.5 s after
    assert later == pytest.approx(100.0 + ANCHOR_RELAX_PER_S * 100.5)


def test_the_keepalive_is_due_every_interval_and_silence_means_the_server_is_gone():
    watch = ServerWatch(started=0.0)
    assert watch.keepalive_due(0.0)
    assert not watch.keepalive_due(KEEPALIVE_INTERVAL_S / 2)
    assert watch.keepalive_due(KEEPALIVE_INTERVAL_S)
    watch.heard(1.0)
    assert not watch.silent(1.0 + SILENT_SERVER_S - 0.01)
    assert watch.silent(1.0 + SILENT_SERVER_S)
