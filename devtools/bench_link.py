"""`beatgen bench-live --clock link`: the bridge's timing on an Ableton Link timeline through real JACK ports.

Per tempo, devtools.link_scenario in a private network namespace
(devtools.private_net: Link multicasts, nothing may leave the machine): a
private jackd (dummy driver, 48 kHz, 64-frame periods by default), a Link
"DAW" that starts the transport and plays the seed, the bridge in
continuous mode (quantize 1, random seed 2026) following Link, and one
recorder.  Error = a note's recorded time minus its 16th on the Link grid
(the DAW's grid ticks tied to the recorder's frames: link_scenario).  The
same columns as for MIDI clock where they apply; no baseline player and no
lost ticks (Link has no ticks to lose).
"""

from __future__ import annotations

import json
import re
import statistics
import sys

from devtools import private_net

SEED_BARS = 2
LATE_MS = 3.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else float("nan")


def measure(bpm: float, bars: int, period: int, realtime: bool) -> dict:
    command = [
        sys.executable, "-m", "devtools.link_scenario", "--bpm", str(bpm), "--period", str(period),
        "--stop-at", str(SEED_BARS + bars + 0.5), "--realtime", "on" if realtime else "off",
    ]  # fmt: skip
    done = private_net.run(command, timeout=60 + (SEED_BARS + bars + 4) * 4 * 60.0 / bpm)
    if done.returncode != 0:
        raise RuntimeError(f"link scenario at {bpm:g} BPM failed:\n{done.stderr[-3000:]}")
    run = json.loads(done.stdout.strip().splitlines()[-1])
    errors = run["errors_ms"]
    magnitudes = [abs(e) for e in errors]
    # The bridge's own count of notes it sent more than 3 ms after their time: a late note it did not
    # count was held up after it left the engine (JACK, the VM), not in it.
    sent_late = re.search(r"notes sent, (\d+) late\)", run["log"])
    silent = {int(n) - 1 for n in re.findall(r"bar (\d+) has no notes to play", run["log"])}
    expected = set(range(SEED_BARS, SEED_BARS + bars))
    with_notes = {tick // 96 for tick in run["grid_ticks"]}
    return {
        "bpm": bpm,
        "notes": len(errors),
        "median_ms": statistics.median(magnitudes) if magnitudes else float("nan"),
        # Signed: where the errors are centred (rtmidi's JACK output lands 0 to 1 period late).
        "signed_median_ms": statistics.median(errors) if errors else float("nan"),
        "p99_ms": _percentile(magnitudes, 0.99),
        "max_ms": max(magnitudes, default=float("nan")),
        "late_notes": sum(e > LATE_MS for e in errors),
        "sent_late": int(sent_late.group(1)) if sent_late else None,
        "missing_bars": len(expected - with_notes - silent),
        "silent_bars": len(expected & silent),
        "cpu_percent": run["cpu_percent"],
        "peak_rss_mb": run["peak_rss_mb"],
        "rss_without_jack_shm_mb": run["rss_without_jack_shm_mb"],
        "ports_ready_s": run["ports_ready_s"],
        "xruns": run["xruns"],
        "grid_heard": run["grid_heard"],
        "unmatched_note_ons": run["unmatched_note_ons"],
        "errors_ms": errors,  # signed, per note (--json)
    }


def run_bench_link(bpms, bars: int, period: int, as_json: bool, realtime: bool) -> int:
    results = [measure(bpm, bars, period, realtime) for bpm in bpms]
    if as_json:
        print(json.dumps({"clock": "link", "period": period, "bars": bars, "realtime": realtime, "results": results}))
        return 0
    scheduling = "realtime (jackd -R)" if realtime else "not realtime"
    print(f"bench-live --clock link: JACK dummy 48 kHz, {period}-frame periods ({period / 48:.2f} ms), {scheduling},")
    print(f"  --port-max 256, {bars} generated bars, quantize 1, in a private network namespace")
    print(
        "BPM   notes  |err| median  p99    max    median err  late (sent)  missing bars  CPU %  peak RSS (own)  ready"
        "  xruns"
    )
    for r in results:
        missing = f"{r['missing_bars']}" + (f" ({r['silent_bars']} silent)" if r["silent_bars"] else "")
        grid = "" if r["grid_heard"] else "  (recorder lost grid ticks: not measured)"
        print(
            f"{r['bpm']:<5g} {r['notes']:>5}  {r['median_ms']:>8.3f} ms {r['p99_ms']:>6.3f} {r['max_ms']:>6.3f}"
            f"  {r['signed_median_ms']:>+9.3f}    {r['late_notes']:>4} ({r['sent_late']})  {missing:>12}"
            f"  {r['cpu_percent']:>5.1f}  {r['peak_rss_mb']:>5.0f} MB"
            f" ({r['rss_without_jack_shm_mb']:.0f})  {r['ports_ready_s']:.2f} s  {r['xruns']:>5}{grid}"
        )
    return 0
