"""`beatgen bench-live`: the bridge's timing through real JACK ports at 90, 120 and 174 BPM.

For each tempo: a private JACK server (dummy driver, 48 kHz, 64-frame
periods by default), jack_midi_clock, the seed groove played on the clock,
the bridge in continuous mode with quantize = 1, and one recorder hearing
the clock and the bridge.  Every output note should sit exactly on a 16th
of the clock grid, so its distance from that tick is the bridge's timing
error.  The baseline, measured in the same run, is the player: a minimal
rtmidi client that sends its notes from inside the clock callback.  Also
reported: late notes (> 3 ms after the grid), bars with no output, CPU
and memory of the bridge process, how soon its ports were ready, and the
server's xruns (cycles that ran late; their timings are suspect), and the
reference slips: ticks the recorder lost without a gap to show it, found
where the player's seed notes land off their ticks on the recording's count
(see live_analysis.reference_slips); the grid is corrected by them.  And
ticks lost on the way to the bridge: its log shows a gap one interval
longer than the recording's there and its count at Stop is short by as many (see
live_analysis.input_losses); from there on it is measured on its own count,
since no clock follower can place a tick it never got, and the numbers on
the song's count are reported too ("raw max").

JACK runs realtime (jackd -R, as JACK is normally run) where the OS allows
it, e.g. as root: without SCHED_FIFO a 2-core machine overruns hundreds of
64-frame cycles a minute and every client, the reference recorder included,
loses the MIDI of those cycles.  `--realtime off` measures that case.
`--ui` runs the terminal UI (`beatgen tui`, headless: it lays out and draws
every frame, to no terminal) instead of `beatgen run`; the bridge then runs
in the UI's child process, and the timing shows whether the UI costs any.
The server gets --port-max 256 (plenty for MIDI routing): the port-buffer
segment it shares with every client is mapped into the bridge and counted
in its RSS, about 45 MB at 256 ports and 100 MB at jackd's default
(`--port-max 0` keeps the default); the report also gives RSS without it.
`--save DIR` keeps, per tempo, the recording (frame seconds and bytes), the
bridge's log and jackd's log, to see what happened in a run with xruns.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

from devtools.jack_rig import realtime_allowed
from devtools.live_analysis import analyze, input_losses, reference_slips
from devtools.live_session import LiveSession, save_run

LATE_MS = 3.0
SEED_BARS = 2
# A fixed random seed: runs at one tempo mostly play the same bars.  "missing bars" counts bars that
# did not arrive; a bar the model left empty (one run with a random seed had two) is "silent" (silent_bars).
BENCH_PRESET = """
[mode]
kind = "continuous"
listen_bars = 2
[generation]
random_seed = 2026
[feel]
quantize = 1.0
[clock]
source = "external"
"""


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else float("nan")


def _summary(errors_ms: list[float]) -> dict:
    magnitudes = [abs(e) for e in errors_ms]
    return {
        "notes": len(errors_ms),
        "median_ms": statistics.median(magnitudes) if magnitudes else float("nan"),
        "p99_ms": _percentile(magnitudes, 0.99),
        "max_ms": max(magnitudes, default=float("nan")),
    }


def measure_tempo(
    bpm: float,
    bars: int,
    period: int,
    realtime: bool = False,
    port_max: int | None = None,
    ui: bool = False,
    save: Path | None = None,
) -> dict:
    # The player ("the DAW") sends on channel 1 so the recording tells its notes from the bridge's.
    with LiveSession(BENCH_PRESET, bpm=bpm, period=period, realtime=realtime, port_max=port_max, ui=ui) as session:
        xruns_before = session.rig.xruns()
        cpu_before, started = session.cpu_seconds(), time.monotonic()
        ui_cpu_before = session.cpu_seconds(session.process.pid) if ui else 0.0
        session.rig.transport("locate 0", "play")
        session.wait_bars(SEED_BARS + bars + 0.5)
        elapsed = time.monotonic() - started
        cpu = (session.cpu_seconds() - cpu_before) / elapsed * 100
        ui_cpu = (session.cpu_seconds(session.process.pid) - ui_cpu_before) / elapsed * 100 if ui else None
        session.rig.transport("stop")
        time.sleep(0.3)
        peak_rss, own_rss = session.memory()
        events = session.recorder.stop()
        xruns = session.rig.xruns() - xruns_before
        ready = session.ready_seconds
        log = session.log()
        if save is not None:
            save_run(save, f"{bpm:g}", events, log, session.rig.log())
    slips = reference_slips(events, session.seed)  # the recorder lost a tick the player (and the bridge) counted
    losses = input_losses(events, log, slips)  # the bridge's input lost a tick the recorder heard
    result = analyze(events, slips=slips + losses.slips)
    raw = analyze(events, slips=slips)
    baseline = analyze(events, channel=0, grid_ticks=1, slips=slips).errors_ms  # the player sends on the tick itself
    first_generated = SEED_BARS
    expected = set(range(first_generated, first_generated + bars))
    return {
        "bpm": bpm,
        "bridge": _summary(result.errors_ms),
        "bridge_on_song_count": _summary(raw.errors_ms),
        "input_lost_ticks": losses.lost,
        "input_count_unexplained": losses.unexplained,
        "recorder_lost_ticks": losses.recorder_lost,
        "baseline": _summary(baseline),
        "late_notes": sum(e > LATE_MS for e in result.errors_ms),
        "early_notes": sum(e < -LATE_MS for e in result.errors_ms),
        "missing_bars": len(expected - result.bars_with_notes() - silent_bars(log)),
        "silent_bars": len(expected & silent_bars(log)),
        "unmatched_note_ons": result.unmatched_note_ons,
        "cpu_percent": cpu,
        "ui_cpu_percent": ui_cpu,
        "peak_rss_mb": peak_rss / 2**20,
        "rss_without_jack_shm_mb": own_rss / 2**20,
        "ports_ready_s": ready,
        "xruns": xruns,
        "reference_slips": [offset for _when, offset in slips],
        "engine_late_notes": _engine_late(log),
    }


def _lost_text(result: dict) -> str:
    """Ticks lost on the way to the bridge, "rN" where the recorder missed N the bridge counted, and
    "?N" where the counts at Stop were N apart unexplained."""
    unexplained, recorder = result["input_count_unexplained"], result["recorder_lost_ticks"]
    return (
        f"{result['input_lost_ticks']}"
        + (f" r{recorder}" if recorder else "")
        + (f" ?{unexplained}" if unexplained else "")
    )


def _missing_text(result: dict) -> str:
    """Missing bars, and bars the model left silent (not missing) in brackets."""
    silent = result["silent_bars"]
    return f"{result['missing_bars']}" + (f" ({silent} silent)" if silent else "")


def _slips_text(slips: list[int]) -> str:
    return " ".join(f"{offset:+d}" for offset in slips) or "0"


def silent_bars(log: str) -> set[int]:
    """Bars (0-based) the bridge logged as having no notes to play: a rest the model wrote is not a
    missing bar.  A fixed random seed does not make every run the same: at 174 BPM a seed hit's
    stamp moves by up to a JACK period, a third of the model's time unit, so runs hear slightly
    different calls (one wrote an empty bar, 04:09 on 2026-11-25)."""
    return {int(number) - 1 for number in re.findall(r"bar (\d+) has no notes to play", log)}


def _engine_late(log: str) -> int | None:
    for line in reversed(log.splitlines()):
        if "late)" in line:
            try:
                return int(line.rsplit(",", 1)[1].split()[0])
            except (IndexError, ValueError):
                return None
    return None


def run_bench_live(
    bpms=(90.0, 120.0, 174.0),
    bars: int = 16,
    period: int = 64,
    as_json: bool = False,
    realtime: str = "auto",
    port_max: int | None = 256,
    ui: bool = False,
    save: Path | None = None,
    clock: str = "midi",
) -> int:
    use_realtime = realtime == "on" or (realtime == "auto" and realtime_allowed())
    if clock == "link":  # the Link DAW and timeline instead of jack_midi_clock (devtools/bench_link.py)
        from devtools.bench_link import run_bench_link

        return run_bench_link(bpms, bars, period, as_json, use_realtime)
    results = [measure_tempo(bpm, bars, period, use_realtime, port_max, ui, save) for bpm in bpms]
    if as_json:
        info = {"period": period, "rate": 48000, "bars": bars, "realtime": use_realtime, "port_max": port_max, "ui": ui}
        print(json.dumps({**info, "results": results}, indent=2))
        return 0
    scheduling = "realtime (jackd -R)" if use_realtime else "not realtime"
    ports = f"--port-max {port_max}" if port_max else "jackd's default --port-max"
    print(
        f"bench-live: JACK dummy 48 kHz, {period}-frame periods ({period / 48:.2f} ms), {scheduling}, {ports},"
        f" {bars} generated bars, quantize 1"
    )
    print(
        "RSS counts JACK's port-buffer segment that every client maps (it grows with --port-max); 'own' leaves it out."
    )
    if ui:
        print("with the terminal UI running (beatgen tui, headless): CPU and RSS are the bridge child's; UI CPU below")
    header = (
        "BPM   notes  |err| median  p99    max    baseline p99/max  late  missing bars  CPU %  peak RSS (own)  ready"
        "  xruns  ref slips  lost in  raw max"
    )
    print(header)
    for r in results:
        b, base = r["bridge"], r["baseline"]
        print(
            f"{r['bpm']:<5g} {b['notes']:>5}  {b['median_ms']:>8.3f} ms {b['p99_ms']:>6.3f} {b['max_ms']:>6.3f}"
            f"    {base['p99_ms']:>6.3f}/{base['max_ms']:.3f}    {r['late_notes']:>4}  {_missing_text(r):>12}"
            f"  {r['cpu_percent']:>5.1f}  {r['peak_rss_mb']:>5.0f} MB ({r['rss_without_jack_shm_mb']:.0f})"
            f"  {r['ports_ready_s']:.2f} s  {r['xruns']:>5}  {_slips_text(r['reference_slips']):>9}"
            f"  {_lost_text(r):>7}  {r['bridge_on_song_count']['max_ms']:>7.3f}"
            + (f"  UI CPU {r['ui_cpu_percent']:.1f} %" if ui else "")
        )
    return 0
