"""The real bridge on a private JACK server, as a DAW would use it: for end-to-end tests and bench-live.

`LiveSession` starts `beatgen run --backend jack` as a separate process (the
very command a user runs), a "DAW" (ClockedPlayer) that plays a seed groove
on jack_midi_clock's clock, and one jack_midi_dump recorder that hears the
clock and the bridge's output on the same frame clock.  `analyze` turns the
recording into what a producer would check: where the answer starts, how
far each note is from the clock's grid, whether every note-on was switched
off.
"""

from __future__ import annotations

import bisect
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .jack_rig import ClockedPlayer, JackRig

ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = ROOT / "examples" / "seed_groove.mid"
CLOCK, START, CONTINUE, STOP, SONG_POSITION = 0xF8, 0xFA, 0xFB, 0xFC, 0xF2
TICKS_PER_BAR = 96
GRID_TICKS = 6  # a 16th note


def seed_notes(path: Path = SEED_FILE, bars: int = 2) -> list[tuple[int, int, int]]:
    """(tick, GM note, velocity) of the file's first bars, on the clock's 24 PPQN ticks."""
    from .drums import GM_OUTPUT_NOTES
    from .midi_files import read_drum_part

    part = read_drum_part(path)
    end = part.bar_lines[bars]
    notes = {(round(hit.time * 24), GM_OUTPUT_NOTES[hit.drum]): hit.velocity for hit in part.hits if hit.time < end}
    return sorted((tick, note, velocity) for (tick, note), velocity in notes.items() if tick < bars * TICKS_PER_BAR)


def beatgen_command() -> list[str]:
    script = Path(sys.executable).parent / "beatgen"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bridge.cli"]


@dataclass
class LiveSession:
    """Rig + bridge process + DAW player + recorder, connected like Live would be."""

    preset_text: str
    bpm: float = 120.0
    period: int = 256
    seed: list[tuple[int, int, int]] = field(default_factory=seed_notes)
    extra_args: tuple[str, ...] = ()
    player_channel: int = 9  # 0-15; the bench moves the player off channel 10 to record it apart

    def __enter__(self) -> "LiveSession":
        self.folder = Path(tempfile.mkdtemp(prefix="beatgen-live-"))
        self.preset_path = self.folder / "preset.toml"
        self.preset_path.write_text(self.preset_text)
        self.log_path = self.folder / "bridge.log"
        self.rig = JackRig(period=self.period).start()
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        rig = self.rig
        self.clock = rig.start_clock(self.bpm)
        launched = time.monotonic()
        command = beatgen_command() + ["run", "--backend", "jack", "--preset", str(self.preset_path), *self.extra_args]
        self.stderr = open(self.log_path, "w")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(command, env=rig.env(), stderr=self.stderr, stdout=subprocess.DEVNULL)
        self.bridge_in = rig.wait_for_port("Beat Generation In", timeout=15, process=self.process)
        self.bridge_out = rig.wait_for_port("Beat Generation Out", timeout=15, process=self.process)
        self.ready_seconds = time.monotonic() - launched
        self.player = ClockedPlayer(self.seed, rig=rig, channel=self.player_channel)
        player_in, player_out = self.player.open()
        self.recorder = rig.record(self.clock, self.bridge_out, player_out)
        for source, destination in ((self.clock, player_in), (self.clock, self.bridge_in), (player_out, self.bridge_in)):
            rig.connect(source, destination)
        time.sleep(0.3)  # let the connections settle before the transport rolls

    def wait_bars(self, bars: float) -> None:
        time.sleep(bars * 4 * 60.0 / self.bpm)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory(self) -> tuple[int, int]:
        """(peak RSS, RSS not counting JACK's server segment that every client maps) in bytes."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
        jack = 0
        current = ""
        for line in Path(f"/proc/{self.process.pid}/smaps").read_text().splitlines():
            parts = line.split()
            if parts and "-" in parts[0] and not parts[0].endswith(":"):
                current = parts[-1] if len(parts) >= 6 else ""
            elif parts[:1] == ["Rss:"] and current.startswith("/dev/shm/jack"):
                jack += int(parts[1]) * 1024
        rss = int(status.split("VmRSS:")[1].split()[0]) * 1024
        return peak, rss - jack

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
        self.rig.close()

    def __exit__(self, *exc_info) -> None:
        self.close()


@dataclass
class Analysis:
    ticks: list[float]  # time of song tick i (from the last Start)
    note_ons: list[tuple[float, int, int]]  # (time, note, velocity) sent by the bridge
    errors_ms: list[float]  # signed: note time minus the nearest 16th of the clock grid
    grid_ticks: list[int]  # that 16th, as a song tick
    unmatched_note_ons: int  # note-ons never followed by their note-off
    stop_time: float | None

    def bars_with_notes(self) -> set[int]:
        return {tick // TICKS_PER_BAR for tick in self.grid_ticks}


def analyze(events: list[tuple[float, bytes]], channel: int = 9, grid_ticks: int = GRID_TICKS) -> Analysis:
    """Split a recording into clock ticks and one channel's notes, measured against a grid of ticks."""
    ticks: list[float] = []
    note_ons = []
    sounding: dict[int, int] = {}
    stop_time = None
    for when, data in events:
        status = data[0]
        if status == START:
            ticks = []
        elif status == CLOCK:
            ticks.append(when)
        elif status == STOP and stop_time is None and ticks:
            stop_time = when
        elif status == 0x90 | channel and len(data) >= 3 and data[2] > 0:
            note_ons.append((when, data[1], data[2]))
            sounding[data[1]] = sounding.get(data[1], 0) + 1
        elif len(data) >= 3 and (status == 0x80 | channel or status == 0x90 | channel) and sounding.get(data[1]):
            sounding[data[1]] -= 1
    errors, grid = [], []
    for when, _note, _velocity in note_ons if ticks else ():
        index = bisect.bisect_left(ticks, when)
        index = min((i for i in (index - 1, index) if 0 <= i < len(ticks)), key=lambda i: abs(ticks[i] - when))
        nearest = min(round(index / grid_ticks) * grid_ticks, (len(ticks) - 1) // grid_ticks * grid_ticks)
        errors.append((when - ticks[nearest]) * 1000)
        grid.append(nearest)
    return Analysis(ticks, note_ons, errors, grid, sum(sounding.values()), stop_time)
