"""A "DAW" on Ableton Link for tests and benchmarks: sets the tempo, starts and stops, plays a seed on JACK.

    python -m devtools.link_peer --bpm 120 --seed "0,36,100 24,38,90"   (run under devtools.private_net)

Standalone (LinkPython-extern + python-rtmidi, nothing from `bridge`), so it
checks the bridge without sharing its bugs.  It joins the Link session with
Start Stop Sync on and opens a JACK output port, "Link DAW notes", that plays
the seed (channel 1) from the song's start, as a DAW plays a clip: each note
is sent when the Link clock reaches its beat's time.  It keeps the Link time
of every 24th of a beat while playing (computed from the timeline, so a tick
it reaches late is still exact): the reference grid a benchmark measures
against, on Link's clock (CLOCK_MONOTONIC_RAW, as JACK's).

Commands on stdin, one a line; each answer is one JSON line on stdout:
  peers N TIMEOUT   wait until the session has N peers -> {"peers": n}
  start             start on the next bar line (at least 0.2 s ahead), the
                    seed's first bar there, like Live -> {"start_us", "beat"}
  tempo BPM         a new tempo from now -> {"tempo"}
  stop              stop 20 ms from now (announced) -> {"stop_us"}
  report            {"ticks_us": [Link time of every 24th since Start], "starts", "stops"}
  quit              leave the session and exit (a peer leaving mid-song)
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

import link
import rtmidi

QUANTUM = 4
TICKS_PER_BEAT = 24
NOTE_TICKS = 3  # the seed's notes last a 32nd
# The DAW's Stop is announced this far ahead, as Link allows.  Measured here, a peer's Stop became
# visible to the bridge's Link instance 40-45 ms after it was committed (seen from the bridge's own
# Link thread, so not the bridge's polling): 20 ms ahead left notes after it.  100 ms ahead tests
# that the bridge honours the announced time; how late a Stop "now" arrives is Link's, documented.
STOP_AHEAD_US = 100_000


class LinkPeer:
    def __init__(self, bpm: float, seed: list[tuple[int, int, int]], seed_bars: int) -> None:
        self.link = link.Link(bpm)
        self.link.startStopSyncEnabled = True
        self.link.enabled = True
        self.seed, self.seed_ticks = seed, seed_bars * QUANTUM * TICKS_PER_BEAT
        self.notes = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="link-daw-notes")
        self.notes.open_virtual_port("Link DAW notes")
        self.ticks_us: list[int] = []
        self.starts: list[int] = []
        self.stops: list[int] = []
        self._playing = threading.Event()
        self._origin = 0.0  # the Link beat of the song's tick 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._play, daemon=True)
        self._thread.start()

    def now(self) -> int:
        return self.link.clock().micros()

    def wait_peers(self, count: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.link.numPeers() < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.link.numPeers()

    def start(self) -> dict:
        state = self.link.captureAppSessionState()
        beat = state.beatAtTime(self.now() + 200_000, QUANTUM)
        bar = (int(beat // QUANTUM) + 1) * QUANTUM
        at = int(state.timeAtBeat(bar, QUANTUM))
        state.setIsPlaying(True, at)
        self.link.commitAppSessionState(state)
        with self._lock:
            self._origin = bar
        self.starts.append(at)
        self._playing.set()
        return {"start_us": at, "beat": bar}

    def tempo(self, bpm: float) -> dict:
        """The new tempo from the 16th about to come, committed at that 16th: a peer hears a tempo
        change 40-45 ms after it is committed (docs/live.md, Known limits), and a note due in between
        is still placed on the old tempo; right after a 16th the next note is 100 ms or more away."""
        state = self.link.captureAppSessionState()
        sixteenth = (int(state.beatAtTime(self.now(), QUANTUM) * 4) + 1) / 4
        at = int(state.timeAtBeat(sixteenth, QUANTUM))
        time.sleep(max(0.0, (at - self.now()) / 1e6))
        state = self.link.captureAppSessionState()
        state.setTempo(bpm, at)
        self.link.commitAppSessionState(state)
        return {"tempo": bpm}

    def stop(self) -> dict:
        # Announced a little ahead, as Link allows: a Stop "now" reaches a peer after its time, and a
        # note due in between would leave before the peer heard it.  The bridge must honour the time.
        at = self.now() + STOP_AHEAD_US
        state = self.link.captureAppSessionState()
        state.setIsPlaying(False, at)
        self.link.commitAppSessionState(state)
        self._playing.clear()
        self.stops.append(at)
        return {"stop_us": at}

    def _play(self) -> None:
        """Keep each 24th's Link time and send each seed note when the Link clock reaches it (the
        timeline re-read every few ms, so a tempo change is followed)."""
        while True:
            self._playing.wait()
            with self._lock:
                origin = self._origin
            state = self.link.captureAppSessionState()
            self._sleep_until(int(state.timeAtBeat(origin, QUANTUM)))
            if not self._playing.is_set():
                continue
            tick = 0
            offs: list[tuple[int, int]] = []
            while self._playing.is_set():
                state = self.link.captureAppSessionState()
                when = int(state.timeAtBeat(origin + tick / TICKS_PER_BEAT, QUANTUM))
                if when - self.now() > 3000:
                    time.sleep(0.002)
                    continue
                self._sleep_until(when)
                if not self._playing.is_set():
                    break
                self.ticks_us.append(when)
                for off_tick, note in [o for o in offs if o[0] <= tick]:
                    self.notes.send_message([0x80, note, 0])
                    offs.remove((off_tick, note))
                for seed_tick, note, velocity in self.seed:
                    if seed_tick == tick and tick < self.seed_ticks:
                        self.notes.send_message([0x90, note, velocity])
                        offs.append((tick + NOTE_TICKS, note))
                tick += 1
            for _tick, note in offs:
                self.notes.send_message([0x80, note, 0])

    def _sleep_until(self, when_us: int) -> None:
        while (left := when_us - self.now()) > 0:
            time.sleep(min(left / 1e6, 0.002) if left > 300 else 0)

    def report(self) -> dict:
        tempo = self.link.captureAppSessionState().tempo()
        return {"ticks_us": list(self.ticks_us), "starts": self.starts, "stops": self.stops, "tempo": tempo}

    def close(self) -> None:
        self._playing.clear()
        self.link.enabled = False
        self.notes.close_port()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bpm", type=float, default=120.0)
    parser.add_argument("--seed", default="", help='"tick,note,velocity tick,note,velocity ..."')
    parser.add_argument("--seed-bars", type=int, default=2)
    args = parser.parse_args()
    seed = [tuple(int(x) for x in item.split(",")) for item in args.seed.split()]
    peer = LinkPeer(args.bpm, seed, args.seed_bars)  # type: ignore[arg-type]
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        verb = words[0]
        if verb == "quit":
            break
        if verb == "peers":
            answer: dict = {"peers": peer.wait_peers(int(words[1]), float(words[2]))}
        elif verb == "start":
            answer = peer.start()
        elif verb == "tempo":
            answer = peer.tempo(float(words[1]))
        elif verb == "stop":
            answer = peer.stop()
        elif verb == "report":
            answer = peer.report()
        else:
            answer = {"error": f"unknown command {verb!r}"}
        print(json.dumps(answer), flush=True)
    peer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
