"""Whose tempo a Link session keeps when the bridge and a DAW meet: rounds per start delay.

    python -m devtools.private_net -- python -m devtools.link_merge --rounds 10 --delays 0,0.3,0.6,1,1.5

Run it only inside a private network namespace (devtools.private_net): Link
multicasts.  Each round, a "DAW" (a plain `link.Link` at DAW_BPM) and the
bridge's own Link edge (`LinkSession` at BRIDGE_BPM, committing nothing) are
switched on `delay` seconds apart, DAW first or bridge first; once each sees
the other, and a second later, both tempos are read.  Link merges two
sessions by age (the one founded earlier wins; a node founds a session when
it enables Link and when its last peer leaves) and, for sessions founded
within Link's tie window (SESSION_EPS, 0.5 s, in Link's Sessions.hpp), by
their random session ids.  One JSON line per delay and order: how many
rounds ended on the bridge's tempo.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import link

from bridge.live.link_session import LinkSession
from bridge.live.link_timeline import LinkState

DAW_BPM, BRIDGE_BPM = 90.0, 120.0
MEET_TIMEOUT_S = 5.0
SETTLE_S = 1.0  # after meeting: a later merge or timeline would show by then
PAUSE_S = 0.3  # between rounds: the last round's peers have said goodbye


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def one_round(delay: float, bridge_first: bool) -> dict:
    daw = link.Link(DAW_BPM)
    daw.startStopSyncEnabled = True
    states: list[LinkState] = []
    session: LinkSession | None = None
    try:
        if bridge_first:
            session = LinkSession(states.append, BRIDGE_BPM).start()
            time.sleep(delay)
            daw.enabled = True
        else:
            daw.enabled = True
            time.sleep(delay)
            session = LinkSession(states.append, BRIDGE_BPM).start()
        met = _wait(lambda: daw.numPeers() == 1 and bool(states) and states[-1].peers == 1, MEET_TIMEOUT_S)
        time.sleep(SETTLE_S)
        return {
            "met": met,
            "daw": round(daw.captureAppSessionState().tempo(), 3),
            "bridge": round(states[-1].timeline.tempo, 3) if states else None,
        }
    finally:
        if session is not None:
            session.close()
        daw.enabled = False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--delays", default="0,0.3,0.6,1,1.5", help="seconds between the two starts")
    args = parser.parse_args(argv)
    for delay in (float(text) for text in args.delays.split(",")):
        for bridge_first in (False, True):
            rounds = []
            for _ in range(args.rounds):
                rounds.append(one_round(delay, bridge_first))
                time.sleep(PAUSE_S)
            result = {
                "first": "bridge" if bridge_first else "daw",
                "delay_s": delay,
                "rounds": len(rounds),
                "met": sum(r["met"] for r in rounds),
                "bridge_tempo_kept": sum(r["daw"] == BRIDGE_BPM for r in rounds),
                "daw_tempo_kept": sum(r["daw"] == DAW_BPM and r["bridge"] == DAW_BPM for r in rounds),
            }
            print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
