"""The real bridge on a private JACK server, as a DAW would use it: for end-to-end tests and bench-live.

`LiveSession` starts `beatgen run --backend jack` as a separate process (the
very command a user runs), a "DAW" (ClockedPlayer, in a PlayerProcess) that plays a seed groove
on jack_midi_clock's clock, and one jack_midi_dump recorder that hears the
clock and the bridge's output on the same frame clock.  What the recording
says (where the answer starts, how far each note is from the clock's grid,
whether every note-on was switched off) is worked out in live_analysis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from devtools.jack_rig import JackRig, PlayerProcess
from devtools.live_analysis import TICKS_PER_BAR

ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = ROOT / "examples" / "seed_groove.mid"


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process `pid`, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_memory(pid: int) -> tuple[int, int]:
    """(peak RSS, RSS not counting JACK's server segment that every client maps) of process `pid`, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
    jack, current = 0, ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if parts and "-" in parts[0] and not parts[0].endswith(":"):
            current = parts[-1] if len(parts) >= 6 else ""
        elif parts[:1] == ["Rss:"] and current.startswith("/dev/shm/jack"):
            jack += int(parts[1]) * 1024
    return peak, int(status.split("VmRSS:")[1].split()[0]) * 1024 - jack


def seed_notes(path: Path = SEED_FILE, bars: int = 2) -> list[tuple[int, int, int]]:
    """(tick, GM note, velocity) of the file's first bars, on the clock's 24 PPQN ticks."""
    from bridge.midi_io.midi_files import read_drum_part
    from bridge.music.drums import GM_OUTPUT_NOTES

    part = read_drum_part(path)
    end = part.bar_lines[bars]
    notes = {(round(hit.time * 24), GM_OUTPUT_NOTES[hit.drum]): hit.velocity for hit in part.hits if hit.time < end}
    return sorted((tick, note, velocity) for (tick, note), velocity in notes.items() if tick < bars * TICKS_PER_BAR)


def beatgen_command() -> list[str]:
    script = Path(sys.executable).parent / "beatgen"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bridge.cli.main"]


@dataclass
class LiveSession:
    """Rig + bridge process + DAW player + recorder, connected like Live would be."""

    preset_text: str
    bpm: float = 120.0
    period: int = 256
    seed: list[tuple[int, int, int]] = field(default_factory=seed_notes)
    extra_args: tuple[str, ...] = ()
    player_channel: int = (
        0  # the "DAW" plays on channel 1 so the recording tells its notes from the bridge's (channel 10)
    )
    player_loop_ticks: int | None = None  # repeat the seed (a DAW looping a clip)
    resync_delay: float | None = None  # jack_midi_clock -d: seconds between SPP and Continue
    realtime: bool = False  # jackd -R (see JackRig); the tests pass realtime_allowed()
    port_max: int | None = None  # jackd --port-max (see JackRig)
    ui: bool = False  # run `beatgen tui --headless` (the bridge in its child process) instead of `beatgen run`
    # `beatgen run --log FILE 2>&1 | head -N`: stderr is a pipe whose reader quits after this many lines.
    stderr_reader_quits_after: int | None = None

    def __enter__(self) -> LiveSession:
        self.folder = Path(tempfile.mkdtemp(prefix="beatgen-live-"))
        self.preset_path = self.folder / "preset.toml"
        self.preset_path.write_text(self.preset_text)
        self.log_path = self.folder / "bridge.log"
        self.rig = JackRig(period=self.period, realtime=self.realtime, port_max=self.port_max).start()
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        rig = self.rig
        self.clock = rig.start_clock(self.bpm, resync_delay=self.resync_delay)
        launched = time.monotonic()
        options = ["--backend", "jack", "--preset", str(self.preset_path), *self.extra_args]
        env = rig.env()
        if self.ui:  # the whole app, drawing to no terminal; its bridge logs to the file
            options += ["--headless", "--log", str(self.log_path)]
            env["BEATGEN_CONFIG_DIR"] = str(self.folder / "config")  # leave the user's last-used preset alone
        if self.stderr_reader_quits_after is not None:
            options += ["--log", str(self.log_path)]
        command = beatgen_command() + ["tui" if self.ui else "run", *options]
        self.stderr = open(self.log_path, "a")  # noqa: SIM115 - closed in close()
        piped = self.stderr_reader_quits_after is not None
        self.process = subprocess.Popen(
            command, env=env, stderr=subprocess.PIPE if piped else self.stderr, stdout=subprocess.DEVNULL
        )
        if piped:
            threading.Thread(target=self._read_then_quit, daemon=True).start()
        self.bridge_in = rig.wait_for_port("Beat Generation In", timeout=15, process=self.process)
        self.bridge_out = rig.wait_for_port("Beat Generation Out", timeout=15, process=self.process)
        self.ready_seconds = time.monotonic() - launched
        self.player = PlayerProcess(self.seed, rig, channel=self.player_channel, loop_ticks=self.player_loop_ticks)
        self.player_in, self.player_out = self.player.open()
        self.recorder = rig.record(self.clock, self.bridge_out, self.player_out)
        for source, destination in (
            (self.clock, self.player_in),
            (self.clock, self.bridge_in),
            (self.player_out, self.bridge_in),
        ):
            rig.connect(source, destination)
        time.sleep(0.3)  # let the connections settle before the transport rolls

    def _read_then_quit(self) -> None:
        """Like `head -N` on the bridge's stderr: read N lines, then close the pipe."""
        assert self.process.stderr is not None and self.stderr_reader_quits_after is not None
        for _ in range(self.stderr_reader_quits_after):
            if not self.process.stderr.readline():
                break
        self.process.stderr.close()

    def wait_bars(self, bars: float) -> None:
        time.sleep(bars * 4 * 60.0 / self.bpm)

    def bridge_pid(self) -> int:
        """The process that runs the engine: `beatgen run` itself, or the UI's bridge child."""
        if not self.ui:
            return self.process.pid
        # A child is listed under the thread that started it (the UI opens the bridge from a thread).
        tasks = Path(f"/proc/{self.process.pid}/task")
        children = [int(c) for task in tasks.iterdir() for c in (task / "children").read_text().split()]
        for child in children:
            if b"multiprocessing" in Path(f"/proc/{child}/cmdline").read_bytes() and self._has_jack(child):
                return child
        raise RuntimeError(f"no bridge child under the UI process {self.process.pid}: {children}")

    @staticmethod
    def _has_jack(pid: int) -> bool:
        return "/dev/shm/jack" in Path(f"/proc/{pid}/maps").read_text()

    def cpu_seconds(self, pid: int | None = None) -> float:
        """CPU time of the bridge process (or `pid`)."""
        return process_cpu_seconds(pid or self.bridge_pid())

    def memory(self) -> tuple[int, int]:
        """The bridge process's (peak RSS, RSS not counting JACK's server segment) in bytes."""
        return process_memory(self.bridge_pid())

    def log(self) -> str:
        self.stderr.flush()
        return self.log_path.read_text()

    def terminate(self, signum: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout)

    def close(self) -> None:
        process = getattr(self, "process", None)
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
        if getattr(self, "stderr", None):
            self.stderr.close()
        if getattr(self, "player", None) is not None:
            self.player.close()  # before jackd goes
        self.rig.close()

    def __exit__(self, *exc_info) -> None:
        self.close()


def save_run(folder: Path, name: str, events: list[tuple[float, bytes]], bridge_log: str, jackd_log: str) -> None:
    """Keep what a run needs looking at: NAME-recording.txt (frame seconds and bytes, one message
    a line), NAME-bridge.log and NAME-jackd.log."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = (f"{when:.6f} {data.hex(' ')}" for when, data in events)
    (folder / f"{name}-recording.txt").write_text("\n".join(lines) + "\n")
    (folder / f"{name}-bridge.log").write_text(bridge_log)
    (folder / f"{name}-jackd.log").write_text(jackd_log)
