"""The bridge on Ableton Link through real JACK ports, as a DAW would use it: for the Link tests and bench-live.

    python -m devtools.private_net -- python -m devtools.link_scenario --bpm 120 --tempo-at 5:150 --stop-at 8

Run it only inside a private network namespace (devtools.private_net): Link
multicasts.  One run: a private jackd, a Link "DAW" (devtools.link_peer) that
starts the transport and plays the seed into the bridge's input, `beatgen run
--clock link`, and one recorder hearing the DAW's notes and the bridge's answer.

The reference grid is computed, never recorded: the DAW reports the Link time
of every 24th of a beat since its Start (Link's clock, CLOCK_MONOTONIC_RAW),
and the recorder (devtools.stamp_recorder) stamps each note with JACK's clock
for its frame (jack_get_cycle_times, CLOCK_MONOTONIC_RAW too; checked at
start).  So the grid is frame-exact whatever the DAW's own scheduling, a
tick it sent late or a cycle lost in an xrun moves nothing, and
live_analysis measures each of the bridge's notes against the 16th nearest in
time.  The result is one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devtools.bench_live import BENCH_PRESET
from devtools.jack_rig import JackRig, realtime_allowed
from devtools.live_analysis import STOP, analyze_on_ticks
from devtools.live_session import beatgen_command, process_cpu_seconds, process_memory, seed_notes

CLOCK_MATCH_US = 1000.0  # JACK's clock minus Link's: measured about 1 us here
PRESET = BENCH_PRESET.replace('source = "external"', 'source = "{clock}"')  # the MIDI clock bench's, on Link


class Peer:
    """devtools.link_peer as a child process, one command and one JSON answer at a time."""

    def __init__(self, env: dict, bpm: float, seed: list[tuple[int, int, int]]) -> None:
        seed_text = " ".join(f"{t},{n},{v}" for t, n, v in seed)
        command = [sys.executable, "-m", "devtools.link_peer", "--bpm", str(bpm), "--seed", seed_text]
        self.process = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent
        )
        self.read()  # {"ready": true}

    def read(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Link peer exited ({self.process.poll()})")
        return json.loads(line)

    def ask(self, command: str) -> dict:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.read()

    def quit(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Stamper:
    """devtools.stamp_recorder as a child process: notes stamped in microseconds on JACK's clock."""

    def __init__(self, rig: JackRig, *sources: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devtools.stamp_recorder", "link-rec"], env=rig.env(), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent,
        )  # fmt: skip
        assert self.process.stdout is not None
        hello = json.loads(self.process.stdout.readline() or "{}")
        if "port" not in hello:
            raise RuntimeError(f"the stamp recorder did not start ({self.process.poll()})")
        self.clock_difference_us = hello["jack_minus_raw_us"]
        for source in sources:
            rig.connect(source, hello["port"])

    def stop(self) -> list[tuple[float, bytes]]:
        """(seconds on CLOCK_MONOTONIC_RAW, bytes) of everything heard."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("dump\n")
        self.process.stdin.close()
        answer = json.loads(self.process.stdout.readline() or '{"events": []}')
        self.process.wait(5)
        return [(us / 1e6, bytes(data)) for us, data in answer["events"]]


def on_link_ticks(events: list[tuple[float, bytes]], ticks_us: list[int], stop_us: int | None, period_s: float):
    """The Link grid as (seconds, song position) from the DAW's tick times, and the recording with the
    DAW's Stop added where it ends the song for live_analysis: two periods after its Link time, since a
    note sent just before it lands at the start of a later period (the next one, or the one after
    where the dummy driver's cycle came late: seen at 256 frames)."""
    ticks = [(us / 1e6, position) for position, us in enumerate(ticks_us)]
    if stop_us is not None and len(ticks) >= 2:
        # The DAW (no real-time priority) notes a tick when it gets to it: ticks due just before its Stop
        # may be missing.  They are on the line of the last two (tempo changes come bars before a Stop).
        interval = ticks[-1][0] - ticks[-2][0]
        while ticks[-1][0] + interval < stop_us / 1e6:
            ticks.append((ticks[-1][0] + interval, ticks[-1][1] + 1))
    stop = [] if stop_us is None else [(stop_us / 1e6 + 2 * period_s, bytes([STOP]))]
    return ticks, sorted(events + stop, key=lambda event: event[0])


def run(args) -> dict:
    seed = seed_notes()
    folder = Path(tempfile.mkdtemp(prefix="beatgen-link-"))
    preset = folder / "preset.toml"
    preset.write_text(PRESET.format(clock=args.clock))
    log_path = folder / "bridge.log"
    with JackRig(period=args.period, realtime=args.realtime, port_max=256).start() as rig:
        env = dict(rig.env(), BEATGEN_LINK_AUTO="on")
        peer = Peer(env, args.bpm, seed)
        try:
            return _session(args, rig, env, peer, preset, log_path)
        finally:
            peer.quit()


def _session(args, rig: JackRig, env: dict, peer: Peer, preset: Path, log_path: Path) -> dict:
    launched = time.monotonic()
    command = beatgen_command() + ["run", "--backend", "jack", "--preset", str(preset), "--clock", args.clock]
    with open(log_path, "a") as log_file:
        bridge = subprocess.Popen(command, env=env, stderr=log_file, stdout=subprocess.DEVNULL)
    try:
        bridge_in = rig.wait_for_port("Beat Generation In", timeout=15, process=bridge)
        bridge_out = rig.wait_for_port("Beat Generation Out", timeout=15, process=bridge)
        ready = time.monotonic() - launched
        notes = rig.wait_for_port("Link DAW notes")
        recorder = Stamper(rig, notes, bridge_out)
        rig.connect(notes, bridge_in)
        peers = peer.ask("peers 1 5")["peers"]
        # The DAW sets its tempo once joined, as a producer does in Live: two sessions started within a
        # second of each other can merge on either one's tempo (seen once in ten runs here).
        peer.ask(f"tempo {args.bpm}")
        time.sleep(0.3)
        xruns = rig.xruns()
        cpu_before = process_cpu_seconds(bridge.pid)
        started = peer.ask("start")
        t0 = time.monotonic()
        beat_s = 60.0 / args.bpm
        for at_bar, tempo in args.tempo_at:
            _sleep_until(t0 + 0.2 + at_bar * 4 * beat_s)
            peer.ask(f"tempo {tempo}")
            beat_s = 60.0 / tempo  # later bars at the new tempo (roughly: the bars are counted from the start)
        _sleep_until(t0 + 0.2 + args.stop_at * 4 * 60.0 / args.bpm if not args.tempo_at else time.monotonic())
        if args.tempo_at:
            time.sleep(args.bars_after_tempo * 4 * beat_s)
        elapsed = time.monotonic() - t0
        cpu = (process_cpu_seconds(bridge.pid) - cpu_before) / elapsed * 100
        peak_rss, own_rss = process_memory(bridge.pid)
        if args.leave:  # the DAW quits mid-song: the bridge plays on at the last tempo, then is stopped
            report = peer.ask("report")
            stopped = {"stop_us": None}
            peer.quit()
            time.sleep(2 * 4 * beat_s)
            bridge.terminate()
            bridge.wait(10)
        else:
            stopped = peer.ask("stop")
            time.sleep(1.0)
            report = peer.ask("report")
        events = recorder.stop()
        xruns = rig.xruns() - xruns
    finally:
        if bridge.poll() is None:
            bridge.terminate()
            bridge.wait(10)
    log = log_path.read_text()
    ticks, events = on_link_ticks(events, report["ticks_us"], stopped["stop_us"], rig.period / rig.rate)
    # Link's clock and JACK's must be one clock (CLOCK_MONOTONIC_RAW both) for the grid to mean anything.
    same_clock = abs(recorder.clock_difference_us) < CLOCK_MATCH_US
    result = analyze_on_ticks(events, ticks, channel=9) if same_clock and ticks else None
    stop_time = result.stop_time if result is not None else None
    return {
        "bpm": args.bpm,
        "peers_seen": peers,
        "daw_tempo": report.get("tempo"),
        "start_us": started["start_us"],
        "stop_us": stopped["stop_us"],
        "grid_heard": result is not None,
        "jack_minus_link_us": recorder.clock_difference_us,
        "errors_ms": result.errors_ms if result else [],
        "grid_ticks": result.grid_ticks if result else [],
        "note_times": [when for when, _n, _v in result.note_ons] if result else [],
        "unmatched_note_ons": result.unmatched_note_ons if result else None,
        "stop_time": stop_time,
        "note_ons_after_stop_s": [
            when - stop_time for when, _n, _v in result.note_ons if stop_time and when > stop_time
        ]
        if result
        else None,
        "note_ons_after_stop": sum(1 for when, _n, _v in result.note_ons if stop_time and when > stop_time)
        if result
        else None,
        "cpu_percent": cpu,
        "peak_rss_mb": peak_rss / 2**20,
        "rss_without_jack_shm_mb": own_rss / 2**20,
        "ports_ready_s": ready,
        "xruns": xruns,
        "bridge_exit": bridge.returncode,
        "last_grid_time": ticks[-1][0] if ticks else None,
        "log": log,
    }


def _sleep_until(when: float) -> None:
    time.sleep(max(0.0, when - time.monotonic()))


def _tempo_change(text: str) -> tuple[float, float]:
    bar, bpm = text.split(":")
    return float(bar), float(bpm)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the bridge on Link through JACK (run under devtools.private_net)")
    parser.add_argument("--bpm", type=float, default=120.0)
    parser.add_argument("--period", type=int, default=256)
    parser.add_argument("--stop-at", type=float, default=8.0, help="bars after the start (without tempo changes)")
    parser.add_argument("--tempo-at", type=_tempo_change, action="append", default=[], metavar="BAR:BPM")
    parser.add_argument("--bars-after-tempo", type=float, default=3.0)
    parser.add_argument("--realtime", choices=["auto", "on", "off"], default="auto")
    parser.add_argument("--clock", choices=["link", "auto"], default="link", help="the bridge's clock source")
    parser.add_argument("--leave", action="store_true", help="the DAW quits at --stop-at instead of stopping")
    args = parser.parse_args(argv)
    args.realtime = args.realtime == "on" or (args.realtime == "auto" and realtime_allowed())
    print(json.dumps(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
