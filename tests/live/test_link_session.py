"""LinkSession (the only code touching Link) against a real Link peer, without JACK, in a private network.

tests/live/link_session_peer.py runs under devtools.private_net (Link
multicasts; nothing may leave the machine): a plain Link "DAW" and a
LinkSession meet, the DAW announces a Start, and the session shares a tempo.
What is checked is the edge's own job: peers and tempo posted, the announced
Start time converted from Link's clock (CLOCK_MONOTONIC_RAW) to the
monotonic seconds the core works in, the DAW's tempo kept when the bridge
joins its session (the bridge imposes none), and a tempo we set reaching the
peer.
"""

from __future__ import annotations

import json
import sys

import pytest

from devtools import private_net
from tests.live.link_session_peer import DAW_BPM, SHARED_BPM

pytestmark = pytest.mark.realtime  # real Link peers, real time (seconds)

ROUNDS = 2


def test_joining_a_daws_session_keeps_its_tempo_posts_its_start_in_monotonic_seconds_and_shares_ours():
    done = private_net.run([sys.executable, "-m", "tests.live.link_session_peer", str(ROUNDS)], timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    rounds = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(rounds) == ROUNDS, done.stdout
    for result in rounds:
        assert result["met"], f"the DAW was not seen as a peer: {result}"
        # Joining the DAW's (older) session, the bridge takes its tempo and imposes none of its own
        # (sessions founded within Link's tie window can merge on either: docs/live.md, Known limits).
        assert result["daw_tempo_when_met"] == pytest.approx(DAW_BPM, abs=0.01), result
        assert result["tempo_when_met"] == pytest.approx(DAW_BPM, abs=0.01), result
        assert result["started"], f"the DAW's Start never reached the session: {result}"
        # Link's clock and time.monotonic() were 250 ms apart here: the conversion must be within a ms.
        assert abs(result["start_error_ms"]) < 1.0, result
        assert result["shared"], f"our tempo {SHARED_BPM} never reached the DAW: {result}"
