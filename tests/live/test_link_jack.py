"""End to end on Ableton Link through real JACK ports, inside a private network namespace.

Each test runs devtools.link_scenario under devtools.private_net (Link
multicasts; nothing may leave the machine): a private jackd, a Link "DAW"
peer in its own process that sets the tempo, starts and stops the transport
and plays the seed into the bridge's input, `beatgen run --clock link`, and
one jack_midi_dump recorder that hears the DAW's Link grid and the bridge's
notes.  Assertions are on what the bridge really sent, measured on the Link
timeline: the answer on the right bar line, every note on its 16th, every
note-on switched off, silence after Stop, time kept when the DAW leaves.
"""

from __future__ import annotations

import json
import sys

import pytest

from devtools import private_net

pytestmark = pytest.mark.jack

PERIOD = 256  # 5.3 ms: the bridge's notes land on the period after their time (docs/live.md, Known limits)
STEP_BUDGET_MS = PERIOD / 48 + 2.0  # a note further off its 16th than a period and a bit: a logic error
FIRST_ANSWER_TICK = 2 * 96  # continuous mode after a two-bar call: the model's first bar is bar 3


def scenario(*arguments: str, timeout: float = 150.0) -> dict:
    command = [sys.executable, "-m", "devtools.link_scenario", "--period", str(PERIOD), *arguments]
    done = private_net.run(command, timeout=timeout)
    assert done.returncode == 0, f"scenario failed ({done.returncode}):\n{done.stderr[-4000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_answer_lands_on_link_bar_lines_follows_a_tempo_change_and_stops_with_the_daw():
    result = scenario("--bpm", "120", "--tempo-at", "5:150", "--bars-after-tempo", "3")
    log = result["log"]
    assert result["peers_seen"] == 1 and result["grid_heard"], log
    assert "Link: 1 peer" in log and "transport start at bar 1" in log
    assert min(result["grid_ticks"]) // 96 == FIRST_ANSWER_TICK // 96, (
        "the answer starts on the bar line after the call"
    )
    worst = max(abs(error) for error in result["errors_ms"])
    assert worst <= STEP_BUDGET_MS, f"a note {worst:.1f} ms off its 16th on the Link grid\n{log}"
    assert "Link: tempo 150.00 BPM" in log
    assert max(result["grid_ticks"]) >= 6 * 96, "notes on the Link grid after the tempo change"
    assert result["unmatched_note_ons"] == 0 and result["note_ons_after_stop"] == 0, result["note_ons_after_stop_s"]
    assert "transport stop at tick" in log and "engine error" not in log


def test_a_daw_that_leaves_mid_song_leaves_the_bridge_playing_at_its_tempo():
    result = scenario("--bpm", "100", "--stop-at", "5", "--leave")
    log = result["log"]
    assert "Link: no peers: keeping time at 100.00 BPM" in log, log
    later = [when for when in result["note_times"] if when > result["last_grid_time"] + 0.1]
    assert len(later) >= 4, f"the bridge went on after the DAW left: {len(later)} notes\n{log}"
    assert result["unmatched_note_ons"] == 0 and "stopped: all notes off" in log


def test_auto_finds_the_daw_on_link_and_follows_it():
    """The default clock source with the Link extra on (BEATGEN_LINK_AUTO is on in the scenario): no
    MIDI clock comes, so auto plays its own clock until the DAW is seen on Link, then follows Link."""
    result = scenario("--clock", "auto", "--bpm", "110", "--stop-at", "5")
    log = result["log"]
    assert "Link peers found: following Ableton Link instead of the internal clock" in log, log
    assert result["peers_seen"] == 1 and result["grid_heard"] and "transport start at bar 1" in log, log
    assert min(result["grid_ticks"]) // 96 == FIRST_ANSWER_TICK // 96, "the answer on the bar line after the call"
    worst = max(abs(error) for error in result["errors_ms"])
    assert worst <= STEP_BUDGET_MS, f"a note {worst:.1f} ms off its 16th on the Link grid\n{log}"
    assert result["unmatched_note_ons"] == 0 and result["note_ons_after_stop"] == 0, result["note_ons_after_stop_s"]
