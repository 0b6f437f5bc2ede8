"""The real bridge on a private JACK server, as a DAW would use it: for end-to-end tests and bench-live.

`LiveSession` starts `beatgen run --backend jack` as a separate process (the
very command a user runs), a "DAW" (ClockedPlayer, in a PlayerProcess) that plays a seed groove
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

from .jack_rig import JackRig, PlayerProcess

ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = ROOT / "examples" / "seed_groove.mid"
CLOCK, START, CONTINUE, STOP, SONG_POSITION = 0xF8, 0xFA, 0xFB, 0xFC, 0xF2
TICKS_PER_BAR = 96
GRID_TICKS = 6  # a 16th note
MAX_RECORDER_GAP = 4.5  # tick intervals; a longer gap while running is a pause, not lost ticks
MAX_SLIP_TICKS = 2  # a player note further off its tick than this is not a slip (another note, a lost one)
MAX_SLIP_LEAD_S = 0.005  # a player note sits up to a period after its tick: a slip is placed this much before it
RECORDER_SKIP_TOLERANCE = 0.1  # tick intervals: a gap this much short of a whole number still counts its lost ticks


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
    player_channel: int = 0  # the "DAW" plays on channel 1 so the recording tells its notes from the bridge's (channel 10)
    player_loop_ticks: int | None = None  # repeat the seed (a DAW looping a clip)
    resync_delay: float | None = None  # jack_midi_clock -d: seconds between SPP and Continue
    realtime: bool = False  # jackd -R (see JackRig); the tests pass realtime_allowed()
    port_max: int | None = None  # jackd --port-max (see JackRig)
    ui: bool = False  # run `beatgen tui --headless` (the bridge in its child process) instead of `beatgen run`

    def __enter__(self) -> "LiveSession":
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
        command = beatgen_command() + ["tui" if self.ui else "run", *options]
        self.stderr = open(self.log_path, "a")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(command, env=env, stderr=self.stderr, stdout=subprocess.DEVNULL)
        self.bridge_in = rig.wait_for_port("Beat Generation In", timeout=15, process=self.process)
        self.bridge_out = rig.wait_for_port("Beat Generation Out", timeout=15, process=self.process)
        self.ready_seconds = time.monotonic() - launched
        self.player = PlayerProcess(self.seed, rig, channel=self.player_channel, loop_ticks=self.player_loop_ticks)
        player_in, player_out = self.player.open()
        self.recorder = rig.record(self.clock, self.bridge_out, player_out)
        for source, destination in ((self.clock, player_in), (self.clock, self.bridge_in), (player_out, self.bridge_in)):
            rig.connect(source, destination)
        time.sleep(0.3)  # let the connections settle before the transport rolls

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
        fields = Path(f"/proc/{pid or self.bridge_pid()}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory(self) -> tuple[int, int]:
        """The bridge process's (peak RSS, RSS not counting JACK's server segment that every client maps) in bytes."""
        pid = self.bridge_pid()
        status = Path(f"/proc/{pid}/status").read_text()
        peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
        jack = 0
        current = ""
        for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
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
        if getattr(self, "player", None) is not None:
            self.player.close()  # before jackd goes
        self.rig.close()

    def __exit__(self, *exc_info) -> None:
        self.close()


@dataclass
class Analysis:
    ticks: list[tuple[float, int]]  # (time, song position in ticks) of every clock tick while running
    note_ons: list[tuple[float, int, int]]  # (time, note, velocity) on the analysed channel
    errors_ms: list[float]  # signed: note time minus the nearest grid tick
    grid_ticks: list[int]  # that grid tick, as a song position
    unmatched_note_ons: int  # note-ons never followed by their note-off
    stop_time: float | None  # first Stop after the clock ran

    def bars_with_notes(self) -> set[int]:
        return {tick // TICKS_PER_BAR for tick in self.grid_ticks}


def song_ticks(events: list[tuple[float, bytes]]) -> list[tuple[float, int]]:
    """Clock ticks with their song position, following Start, Stop, Continue and Song Position Pointer.

    The recorder is a JACK client too and loses the MIDI of cycles it
    missed (xruns at small periods); its timestamps are exact frames, so a
    tick missing from the recording shows as an interval of two (or three)
    tick intervals: the missing ticks are put back where they were, evenly
    between their neighbours.  Without this the reference grid itself would
    slip by a tick per lost tick.  The dummy driver also skips frames after
    an overrun, which moves the clock's later ticks forward by a fraction of
    a tick (measured: intervals of 1.54, 1.72 and 2.63 ticks, each followed
    by exact ones): so frame skips only lengthen a gap, and a gap counts
    RECORDER_SKIP_TOLERANCE less than a whole number of extra ticks (1.72 is
    no loss, 2.63 one).
    """
    ticks, running, position = [], False, 0
    previous: float | None = None  # time of the last tick while running, None after a transport change
    interval: float | None = None  # the last single-tick interval
    for when, data in events:
        status = data[0]
        if status == START:
            running, position, previous = True, 0, None
        elif status == CONTINUE:
            running, previous = True, None
        elif status == STOP:
            running = False
        elif status == SONG_POSITION and len(data) >= 3:
            position, previous = ((data[1] & 0x7F) | (data[2] & 0x7F) << 7) * GRID_TICKS, None
        elif status == CLOCK and running:
            step = 1
            if previous is not None:
                gap = when - previous
                if interval and 1.5 <= gap / interval <= MAX_RECORDER_GAP:
                    step = max(int(gap / interval + RECORDER_SKIP_TOLERANCE), 1)
                elif not interval or gap >= interval / 2:  # not two ticks bunched in one late cycle
                    interval = gap
            for missing in range(1, step):  # where the lost ticks were: the clock's frames are exact
                ticks.append((previous + missing * (when - previous) / step, position))
                position += 1
            ticks.append((when, position))
            position += 1
            previous = when
    return ticks


def reference_slips(
    events: list[tuple[float, bytes]], seed: list[tuple[int, int, int]], channel: int = 0
) -> list[tuple[float, int]]:
    """Where the recording's tick count parted from the player's: [(time, ticks to add from then on)], cumulative.

    The player counts the clock's ticks as they reach it and plays each seed
    note on its tick; the recorder can lose ticks in an xrun in a way that
    leaves no gap to see (two ticks bunched in one late cycle, one lost:
    measured at 174 BPM).  Then the player's notes land a tick off the
    recording's count, and so would every correct note of the bridge.  Only
    the seed bars are covered: after them the player is silent.
    """
    played = analyze(events, channel=channel, grid_ticks=1)
    ticks_of: dict[int, list[int]] = {}
    for tick, note, _velocity in seed:
        ticks_of.setdefault(note, []).append(tick)
    tick_times = [when for when, _position in played.ticks]
    slips, current, agreed = [], 0, float("-inf")
    for (when, note, _velocity), label in zip(played.note_ons, played.grid_ticks):
        # Matched by note and nearest tick, so that a note the recorder lost shifts nothing.
        tick = min(ticks_of.get(note, ()), key=lambda tick: abs(tick - label - current), default=None)
        if tick is None or abs(tick - label - current) > MAX_SLIP_TICKS:
            continue
        if tick - label != current:
            slips.append((_most_irregular_tick(tick_times, agreed, when - MAX_SLIP_LEAD_S), tick - label - current))
            current = tick - label
        agreed = when
    return slips


def _most_irregular_tick(tick_times: list[float], after: float, before: float) -> float:
    """The time of the tick after the least regular interval between two times: where a tick went missing."""
    inside = [i for i, when in enumerate(tick_times) if after < when < before and i >= 2]
    if not inside:
        return before
    def irregularity(i: int) -> float:
        return abs((tick_times[i] - tick_times[i - 1]) / (tick_times[i - 1] - tick_times[i - 2] or 1e-9) - 1)
    return tick_times[max(inside, key=irregularity)] - 1e-6


def analyze(
    events: list[tuple[float, bytes]], channel: int = 9, grid_ticks: int = GRID_TICKS,
    slips: list[tuple[float, int]] = (),
) -> Analysis:
    """One channel's notes measured against the clock: each against the nearest tick on the grid.

    Ticks are counted as recorded (lost ones put back where a gap shows them),
    moved by `slips` (see reference_slips) where the player showed the
    recording's count to be off.
    """
    ticks = song_ticks(events)
    for since, offset in slips:
        ticks = [(when, position + (offset if when >= since else 0)) for when, position in ticks]
    grid = [(when, position) for when, position in ticks if position % grid_ticks == 0]
    grid_times = [when for when, _position in grid]
    note_ons, sounding, stop_time = [], {}, None
    for when, data in events:
        status = data[0]
        if status == STOP and stop_time is None and ticks and when > ticks[0][0]:
            stop_time = when
        elif status == 0x90 | channel and len(data) >= 3 and data[2] > 0:
            note_ons.append((when, data[1], data[2]))
            sounding[data[1]] = sounding.get(data[1], 0) + 1
        elif len(data) >= 3 and status in (0x80 | channel, 0x90 | channel) and sounding.get(data[1]):
            sounding[data[1]] -= 1
    errors, positions = [], []
    for when, _note, _velocity in note_ons if grid else ():
        index = bisect.bisect_left(grid_times, when)
        index = min((i for i in (index - 1, index) if 0 <= i < len(grid)), key=lambda i: abs(grid_times[i] - when))
        errors.append((when - grid_times[index]) * 1000)
        positions.append(grid[index][1])
    return Analysis(ticks, note_ons, errors, positions, sum(sounding.values()), stop_time)
