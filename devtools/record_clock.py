"""Record a MIDI clock as the bridge's input port stamps it, for replay tests (tests/live/clock_recordings/).

    python -m devtools.record_clock OUT.txt --bpm 120 --period 64 --seconds 4 \\
        --at 1.5:stall-server:0.03 --at 2.5:stop --at 3:play

A private JACK server (devtools.jack_rig, dummy driver) runs jack_midi_clock;
the bridge's own port layer (bridge.midi_io.ports.open_ports, JACK backend)
hears it, and a jack_midi_dump recorder hears it too, as the reference: the
frame of every message the clock sent.  The transport is located to 0 and
started at time 0; each --at TIME:ACTION[:ARGUMENT] then runs at TIME seconds:

    play, stop, start (locate 0 + play), locate:FRAME, tempo:BPM (a timebase
    master's tempo; the clock follows it at once), release (end the master),
    clock:BPM (a new jack_midi_clock at BPM replaces the old one),
    stall-server:SECONDS / stall-clock:SECONDS / stall-self:SECONDS
    (SIGSTOP, then SIGCONT, jackd / jack_midi_clock / this process, whose JACK
    client is the bridge's input), load:SECONDS (busy processes, one per CPU
    and one more, starve everything).

OUT gets comment lines (how it was made) and one line per message:
"b STAMP HEX" as the bridge's port stamped it (seconds, from its first
message) and "r FRAME HEX" as the reference heard it (frames from its first
message).  Run it in a private /dev/shm (see tests/live/clock_recordings/README).
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from devtools.jack_rig import JackRig

IN_NAME, OUT_NAME = "Beat Generation In", "Beat Generation Out"
SETTLE_S = 0.3  # connections settle before the transport rolls (as in live_session)


def parse_action(text: str) -> tuple[float, str, str]:
    """ "TIME:ACTION[:ARGUMENT]" -> (seconds, action, argument)."""
    when, _, rest = text.partition(":")
    action, _, argument = rest.partition(":")
    return float(when), action, argument


def pause(pid: int, seconds: float) -> None:
    """SIGSTOP a process, SIGCONT it `seconds` later (from a helper, so this process may be the one)."""
    subprocess.Popen(["sh", "-c", f"kill -STOP {pid}; sleep {seconds}; kill -CONT {pid}"])


def load(seconds: float) -> None:
    """Busy processes, one more than the CPUs, for `seconds`."""
    busy = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
    for _ in range((os.cpu_count() or 1) + 1):
        subprocess.Popen([sys.executable, "-c", busy])


class Recording:
    """The rig, the bridge's ports and the reference recorder, with the actions that disturb them."""

    def __init__(self, rig: JackRig, bpm: float, resync_delay: float | None = None) -> None:
        from bridge.midi_io.ports import open_ports  # after the rig is active: rtmidi reads the server name

        self.rig = rig
        self.events: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()
        self.resync_delay = resync_delay
        self.clock = rig.start_clock(bpm, resync_delay=resync_delay)
        self.reference = rig.record(self.clock)
        rig.activate_in_this_process()
        self.ports = open_ports(self._heard, "jack", IN_NAME, OUT_NAME)
        self.bridge_in = rig.wait_for_port(IN_NAME)
        rig.connect(self.clock, self.bridge_in)

    def _heard(self, message: list[int], stamp: float) -> None:
        with self._lock:
            self.events.append((stamp, bytes(message)))

    def act(self, action: str, argument: str) -> None:
        rig = self.rig
        if action in ("play", "stop", "release"):
            rig.transport(action)
        elif action == "start":
            rig.transport("locate 0", "play")
        elif action in ("locate", "tempo"):
            rig.transport(f"{action} {argument}")
        elif action == "clock":
            self.clock = rig.start_clock(float(argument), resync_delay=self.resync_delay)
            rig.connect(self.clock, self.bridge_in)
            rig.connect(self.clock, self.reference.port)
        elif action.startswith("stall-"):
            # jack_rig keeps no public handle on these processes; a recorder may use its own.
            assert rig._jackd is not None and rig._clock is not None  # the rig runs, with a clock (__init__)
            pids = {"server": rig._jackd.pid, "clock": rig._clock.pid, "self": os.getpid()}
            pause(pids[action.removeprefix("stall-")], float(argument))
        elif action == "load":
            load(float(argument))
        else:
            raise SystemExit(f"unknown action {action!r}")

    def finish(self) -> tuple[list[tuple[float, bytes]], list[tuple[int, bytes]]]:
        self.reference.stop()
        frames = self.reference.frame_events()
        self.ports.close()
        with self._lock:
            return list(self.events), frames


def record(args: argparse.Namespace) -> tuple[list[tuple[float, bytes]], list[tuple[int, bytes]], int]:
    with JackRig(period=args.period) as rig:
        rig.start()
        session = Recording(rig, args.bpm, args.resync_delay)
        time.sleep(SETTLE_S)
        started = time.monotonic()
        rig.transport("locate 0", "play")
        for when, action, argument in sorted(map(parse_action, args.at)):
            time.sleep(max(0.0, started + when - time.monotonic()))
            session.act(action, argument)
        time.sleep(max(0.0, started + args.seconds - time.monotonic()))
        rig.transport("stop")  # both streams end with the same Stop, so their counts compare
        time.sleep(0.05)
        events, frames = session.finish()
        return events, frames, rig.xruns()


def write(path: Path, args: argparse.Namespace, events, frames, xruns: int, note: str) -> None:
    command = "python -m devtools.record_clock " + shlex.join(sys.argv[1:])
    lines = [
        f"# {note}" if note else "# clock recording",
        f"# made {datetime.date.today()} by: {command}",
        f"# JACK dummy driver, {args.period} frames at 48000 Hz (--no-realtime), jack_midi_clock -b {args.bpm:g}",
        f"# bpm {args.bpm:g}  period_s {args.period / 48000:.9f}  rate 48000  xruns {xruns}",
        "# b STAMP HEX: the bridge's port stamp (s, from its first message); r FRAME HEX: jack_midi_dump's frame",
    ]
    first = events[0][0] if events else 0.0
    lines += [f"b {stamp - first:.6f} {data.hex()}" for stamp, data in events]
    origin = frames[0][0] if frames else 0
    lines += [f"r {frame - origin} {data.hex()}" for frame, data in frames]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--bpm", type=float, default=120.0)
    parser.add_argument("--period", type=int, default=64, help="JACK period in frames")
    parser.add_argument("--seconds", type=float, default=4.0, help="recording length from the first Start")
    parser.add_argument("--resync-delay", type=float, help="jack_midi_clock -d: seconds from an SPP to Continue")
    parser.add_argument("--at", action="append", default=[], metavar="TIME:ACTION[:ARG]")
    parser.add_argument("--note", default="", help="the first header line: what the recording shows")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # close the rig on SIGTERM too
    events, frames, xruns = record(args)
    write(args.out, args, events, frames, xruns, args.note)
    ticks = sum(data == b"\xf8" for _stamp, data in events)
    print(f"{args.out}: {len(events)} messages ({ticks} ticks) heard, {len(frames)} in the reference, {xruns} xruns")


if __name__ == "__main__":
    main()
