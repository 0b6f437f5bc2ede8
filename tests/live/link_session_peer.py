"""LinkSession against a real Link peer, no JACK: run inside a private network (test_link_session.py).

    python -m devtools.private_net -- python -m tests.live.link_session_peer ROUNDS

Each round, a "DAW" (a plain `link.Link`, its tempo DAW_BPM) switches Link on
first, and a LinkSession at the bridge's BRIDGE_BPM DAW_AHEAD_S later, as when
the bridge is started with Live's Link already on.  The round waits for the
peers to meet and settle, then the DAW announces a Start on its next bar line
and the bridge's session shares a new tempo.
Prints one JSON line per round: what the bridge's session posted and what
the DAW saw.
"""

from __future__ import annotations

import json
import sys
import time

import link

from bridge.live.link_session import LinkSession
from bridge.live.link_timeline import QUANTUM, LinkState

DAW_BPM, BRIDGE_BPM, SHARED_BPM = 90.0, 120.0, 133.0
# Link keeps the older session's tempo when two meet, but sessions founded within its tie window
# (0.5 s in Link's code; still a coin toss at 0.6 s here, decided by age at 1.0 s: devtools.link_merge)
# merge on either: the DAW's is founded well before ours.
DAW_AHEAD_S = 1.5
SETTLE_S = 0.5  # after meeting: a tempo one side imposed would show by then


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def one_round() -> dict:
    daw = link.Link(DAW_BPM)
    daw.startStopSyncEnabled = True
    daw.enabled = True
    time.sleep(DAW_AHEAD_S)
    states: list[LinkState] = []
    session = LinkSession(states.append, BRIDGE_BPM).start()
    try:
        met = _wait(lambda: bool(states) and states[-1].peers == 1, 5.0)
        time.sleep(SETTLE_S)
        tempo_when_met = states[-1].timeline.tempo if states else None
        daw_tempo_when_met = daw.captureSessionState().tempo()
        # The DAW starts on its next bar line; the bridge must see it at that time, in monotonic seconds.
        state = daw.captureAppSessionState()
        now_us = daw.clock().micros()
        bar = (state.beatAtTime(now_us, QUANTUM) // QUANTUM + 1) * QUANTUM
        start_us = state.timeAtBeat(bar, QUANTUM)
        state.setIsPlaying(True, start_us)
        daw.commitAppSessionState(state)
        raw_minus_monotonic = daw.clock().micros() / 1e6 - time.monotonic()
        started = _wait(lambda: states[-1].playing, 2.0)
        play_time = states[-1].play_time
        session.set_tempo(SHARED_BPM)
        shared = _wait(lambda: abs(daw.captureSessionState().tempo() - SHARED_BPM) < 0.01, 2.0)
        return {
            "met": met,
            "tempo_when_met": tempo_when_met,
            "daw_tempo_when_met": daw_tempo_when_met,
            "started": started,
            "start_error_ms": (play_time - (start_us / 1e6 - raw_minus_monotonic)) * 1000,
            "shared": shared,
        }
    finally:
        session.close()
        daw.enabled = False


def main(argv: list[str]) -> int:
    for _ in range(int(argv[0]) if argv else 1):
        print(json.dumps(one_round()), flush=True)
        time.sleep(0.3)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
