"""bench-live's report, from a bridge log: bars the model left silent are not missing bars."""

from __future__ import annotations

from devtools.bench_live import _missing_text, silent_bars

LOG = """04:08:56.840 continuing at bar 3
04:09:10.100 bar 17 has no notes to play
04:09:19.611 transport stop at tick 1776: silenced
"""


def test_silent_bars_are_read_from_the_bridge_log_as_0_based_bars():
    assert silent_bars(LOG) == {16}
    assert silent_bars("continuing at bar 3\n") == set()


def test_the_missing_bars_column_shows_silent_bars_beside_missing_ones():
    assert _missing_text({"missing_bars": 0, "silent_bars": 1}) == "0 (1 silent)"
    assert _missing_text({"missing_bars": 2, "silent_bars": 0}) == "2"
