"""End to end through real JACK MIDI ports: `beatgen run` as a user runs it, clocked by jack_midi_clock.

Each test starts a private JACK server (dummy driver), the bridge as its own
process, a "DAW" that plays the example groove on the clock, and one
recorder hearing the clock and the bridge; assertions are on what the
bridge really sent.  256-frame periods (5.3 ms) and jackd -R where allowed
(root on CI) keep a loaded 2-core machine mostly free of xruns.  These tests
check behaviour: answers on the right bar lines, every note on its own 16th
step, note-offs for every note-on, silence after Stop, bad input changing
nothing.  How close to the grid the notes land is measured by
`beatgen bench-live` (docs/live.md), not asserted here: the JACK dummy driver
on a shared VM stalls by whole ticks now and then, which no assert about
milliseconds survives.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
import rtmidi

from devtools.bench_live import run_bench_live
from devtools.jack_rig import JackRig, realtime_allowed
from devtools.live_analysis import TICKS_PER_BAR, analyze, input_losses, reference_slips, timing_report
from devtools.live_session import LiveSession, beatgen_command, save_run

pytestmark = pytest.mark.jack

PERIOD = 256
REALTIME = realtime_allowed()  # jackd -R where allowed (root on CI): the rig keeps time on a loaded machine
BPM = 150
# A note further than this from its grid tick has left its 16th step (6 ticks): a logic error, not jitter.
STEP_BUDGET_MS = 5 * 60_000 / (BPM * 24)
CALL_AND_RESPONSE = """
[mode]
kind = "call_response"
listen_bars = 2
response_bars = 2
[feel]
quantize = 1.0
[clock]
source = "external"
"""
CONTINUOUS = CALL_AND_RESPONSE.replace('"call_response"', '"continuous"')


def note_ons_after(analysis, when: float) -> list:
    return [note for note in analysis.note_ons if note[0] > when]


def assert_on_their_steps(result, losses, events, log: str, rig_log: str, folder) -> None:
    """Every note on its own 16th step (STEP_BUDGET_MS); otherwise what to look at, and the run kept in `folder`."""
    worst = max(abs(e) for e in result.errors_ms)
    if worst > STEP_BUDGET_MS:
        save_run(folder, "failed", events, log, rig_log)
    report = timing_report(result, STEP_BUDGET_MS, log, rig_log, losses)
    assert worst <= STEP_BUDGET_MS, f"{report}\nrecording and logs: {folder}"


def assert_every_note_switched_off(result, events, log: str, rig_log: str, folder) -> None:
    """No note-on without its note-off on the bridge's channel; otherwise which, when, and the run kept in `folder`."""
    if result.unmatched_note_ons == 0:
        return
    save_run(folder, "failed", events, log, rig_log)
    sounding: dict[int, list[float]] = {}
    for when, data in events:
        if len(data) >= 3 and data[0] == 0x99 and data[2] > 0:
            sounding.setdefault(data[1], []).append(when)
        elif len(data) >= 3 and data[0] in (0x89, 0x99) and sounding.get(data[1]):
            sounding[data[1]].pop(0)
    left = sorted((when, note) for note, times in sounding.items() for when in times)
    last = events[-1][0] if events else 0.0
    xruns = [line for line in rig_log.splitlines() if "XRun" in line]
    # The recorder's own overrun loses what JACK gave it in that cycle (seen on CI: "client = rec-23 was
    # not finished", one note-off missing while the bridge logged it had switched everything off).
    # Then an All Notes Off on the channel after each such note-on is what the recording can prove.
    recorder_overran = any("client = rec-" in line and "not finished" in line for line in xruns)
    all_off = [when for when, data in events if len(data) >= 3 and data[0] == 0xB9 and data[1] == 123]
    if recorder_overran and all(any(off > when for off in all_off) for when, _note in left):
        return
    raise AssertionError(
        f"note-ons with no note-off in the recording (time s, note): {left}; recording ends at {last:.3f} s;"
        f" {len(xruns)} xrun lines, last: {xruns[-1:]}\nbridge log:\n{log}\nrecording and logs: {folder}"
    )


def assert_clean_exit(session: LiveSession, signum=signal.SIGTERM) -> str:
    """Stopped by a signal: every note switched off first, then exit 128 + the signal's number (as a shell
    reports a process a signal ended)."""
    assert session.terminate(signum) == 128 + signum, session.log()
    log = session.log()
    assert "Traceback" not in log, log
    assert "stopped: all notes off" in log, log
    return log


def test_call_and_response_answers_on_the_bar_line_then_stop_silences(tmp_path):
    with LiveSession(CALL_AND_RESPONSE, bpm=BPM, period=PERIOD, realtime=REALTIME) as session:
        session.rig.transport("locate 0", "play")
        session.wait_bars(5)
        session.rig.transport("stop")
        time.sleep(0.5)
        log = assert_clean_exit(session)
        events = session.recorder.stop()
        rig_log = session.rig.log()
    losses = input_losses(events, log)  # a tick JACK lost before the bridge: judged on its own count from there
    result = analyze(events, slips=losses.slips)
    assert result.note_ons, log
    # The answer starts in the bar right after the 2-bar call, on its first beat (the sampled
    # answer nearly always has a hit on the downbeat, but the model may start a 16th later).
    assert 2 * TICKS_PER_BAR <= result.grid_ticks[0] < 2 * TICKS_PER_BAR + 24, result.grid_ticks[:4]
    assert all(2 * TICKS_PER_BAR <= tick < 4 * TICKS_PER_BAR for tick in result.grid_ticks), "2 bars of answer, no more"
    assert_on_their_steps(result, losses, events, log, rig_log, tmp_path)
    assert_every_note_switched_off(result, events, log, rig_log, tmp_path)
    assert result.stop_time is not None and not note_ons_after(result, result.stop_time)
    for expected in ("clock locked", "hearing", "answering", "listening", "transport stop"):
        assert expected in log, log
    # JACK's period, asked of jack_bufsize: with it the clock can tell a tick it got twice.
    assert f"period {PERIOD / 48:.2f} ms" in log, log


def test_song_position_continue_and_tempo_change_keep_the_grid(tmp_path):
    """With a timebase master, jack_midi_clock sends Song Position Pointer + Continue (Live's "Song" clock)."""
    with LiveSession(
        CONTINUOUS, bpm=BPM, period=PERIOD, realtime=REALTIME, player_loop_ticks=2 * TICKS_PER_BAR, resync_delay=0.5
    ) as session:
        rig = session.rig
        rig.transport("tempo 150")  # a timebase master: SPP on locate, Continue on resume
        rig.transport("locate 0", "play")
        session.wait_bars(4)
        rig.transport("tempo 110")
        session.wait_bars(3)
        rig.transport("stop")
        rig.transport(f"locate {48000 * 60 * 4 * 8 // 110}")  # bar 9 at 110 BPM
        rig.transport("play")
        session.wait_bars(5.5)
        # Killed while it plays: it must still switch everything off.
        log = assert_clean_exit(session, signal.SIGINT)
        events = session.recorder.stop()
        rig_log = session.rig.log()
    # The looping player counts ticks too: where the recorder lost one, its notes show it.
    slips = reference_slips(events, session.seed, loop_ticks=session.player_loop_ticks)
    losses = input_losses(events, log, slips)  # a tick JACK lost before the bridge: judged on its own count from there
    result = analyze(events, slips=slips + losses.slips)
    assert "transport continue" in log or "transport position" in log, log
    assert_every_note_switched_off(result, events, log, rig_log, tmp_path)
    assert_on_their_steps(result, losses, events, log, rig_log, tmp_path)
    bars = result.bars_with_notes()
    assert {2, 3} <= bars, f"continued after the 2-bar seed: {sorted(bars)}"
    assert any(bar >= 4 for bar in bars if bar < 8), f"kept playing across the tempo change: {sorted(bars)}"
    after_jump = [tick for tick in result.grid_ticks if tick >= 8 * TICKS_PER_BAR]
    assert after_jump, f"played again after Continue at the new song position: {sorted(bars)}"
    # The engine names the bar it continues from (counted from the song start, so after SPP too).
    resumed_bar = int(log.rsplit("continuing at bar ", 1)[1].split()[0])
    first_line = (resumed_bar - 1) * TICKS_PER_BAR
    assert first_line >= 8 * TICKS_PER_BAR, log
    assert first_line <= min(after_jump) < first_line + TICKS_PER_BAR, "it continues exactly from that bar line"


def _bad_input(rng: random.Random) -> list[list[int]]:
    """Garbage of every kind except a sysex start without its end (0xF7).

    RtMidi's input treats an unterminated sysex as awaiting continuation and
    swallows every later packet until one ends in 0xF7; that happens below
    the bridge (docs/live.md, "Known limits"), so it is left out here.  The
    in-process engine tests feed unterminated sysex to the engine itself.
    """
    packets = []
    while len(packets) < 300:
        packet = [rng.randrange(256) for _ in range(rng.randrange(1, 6))]
        if packet[0] != 0xF0 or packet[-1] == 0xF7:
            packets.append(packet)
    packets += [[0x99], [0x99, 36], [0xB9, 7], [0xE9]]  # truncated
    packets += [[0xF0, 0x7E, 0x7F, 0x09, 0x01, 0xF7]]  # sysex
    packets += [[0x99, 36, 100, 38, 90, 42, 80], [0x89, 36, 0, 38, 0, 42, 0]]  # running status
    packets += [[0x90 | ch, 36, 100] for ch in range(16)] + [[0x80 | ch, 36, 0] for ch in range(16)]
    packets += [[0xF8]] * 200  # a burst of clock
    packets += [[0xF2, 0x7F, 0x7F], [0xFB]]  # SPP beyond any song, then Continue
    packets += [[0xFA], [0xFC]] * 50  # Start/Stop storm
    packets += [[0xFC]]
    return packets


def test_bad_input_through_the_port_changes_nothing():
    with LiveSession(CALL_AND_RESPONSE, bpm=BPM, period=PERIOD, realtime=REALTIME) as session:
        rig = session.rig
        rig.activate_in_this_process()
        source = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="garbage")
        try:
            source.open_virtual_port("noise")
            rig.connect(rig.wait_for_port(":noise"), session.bridge_in)
            time.sleep(0.2)
            for packet in _bad_input(random.Random(3)):
                try:
                    source.send_message(packet)
                except (ValueError, rtmidi.RtMidiError):
                    continue  # python-rtmidi refuses some byte lists itself; the rest reach the bridge
                time.sleep(0.0005)
            time.sleep(0.5)
            assert session.process.poll() is None, session.log()
            garbage_end = time.monotonic()
            # A normal session afterwards works as if nothing happened.
            rig.transport("locate 0", "play")
            session.wait_bars(4.5)
            rig.transport("stop")
            time.sleep(0.5)
        finally:
            source.close_port()
            source.delete()
        log = assert_clean_exit(session)
        events = session.recorder.stop()
    assert garbage_end
    result = analyze(events)
    assert result.unmatched_note_ons == 0, "no stuck note, garbage or not"
    answer = [tick for tick in result.grid_ticks if tick >= TICKS_PER_BAR]
    first = min(answer, default=None)
    assert first is not None and 2 * TICKS_PER_BAR <= first < 2 * TICKS_PER_BAR + 24, (
        f"answered on time after the garbage; log: {log}"
    )


def test_auto_says_what_it_passed_over_and_ports_lists_what_each_backend_sees(tmp_path):
    """`beatgen run --backend auto` on Linux tries ALSA first; this CI machine has no ALSA
    sequencer, so the bridge opens JACK and says why not ALSA.  `beatgen ports` lists both."""
    alsa_sequencer = Path("/dev/snd/seq").exists()
    rig = JackRig(period=PERIOD, realtime=REALTIME).start()
    try:
        clock = rig.start_clock(120)
        listing = subprocess.run(
            beatgen_command() + ["ports"], env=rig.env(), capture_output=True, text=True, timeout=60
        )
        log_path = tmp_path / "bridge.log"
        bridge = subprocess.Popen(
            beatgen_command() + ["run", "--backend", "auto", "--log", str(log_path)], env=rig.env(),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while (
                "ports ready" not in (log_path.read_text() if log_path.exists() else "") and time.monotonic() < deadline
            ):
                assert bridge.poll() is None, log_path.read_text() if log_path.exists() else "no log"
                time.sleep(0.1)
        finally:
            bridge.terminate()
            assert bridge.wait(10) == 128 + signal.SIGTERM
        log = log_path.read_text()
    finally:
        rig.close()
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "jack:" in listing.stdout and clock in listing.stdout, listing.stdout
    if alsa_sequencer:
        assert "ports ready (alsa: virtual ports" in log and "passed over" not in log, log
    else:
        assert "unavailable - alsa: no ALSA sequencer" in listing.stdout, listing.stdout
        assert "ports: passed over alsa: no ALSA sequencer" in log and "ports ready (jack: virtual ports" in log, log


def test_missing_jack_server_is_one_clear_line():
    from tests.conftest import run_beatgen

    result = run_beatgen("run", "--backend", "jack")
    assert result.returncode == 3, "exit 3 = no MIDI system (run.sh then falls back to offline generation)"
    assert "JACK" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "preset_text, message", [("[mode]\nkind = 'loops'\n", "mode.kind"), ("[feel]\nswing = 3\n", "feel.swing")]
)
def test_bad_preset_is_refused_before_any_port_opens(tmp_path, preset_text, message):
    from tests.conftest import run_beatgen

    path = tmp_path / "broken.toml"
    path.write_text(preset_text)
    result = run_beatgen("run", "--backend", "jack", "--preset", path)
    assert result.returncode == 2 and message in result.stderr and str(path) in result.stderr


def test_bench_live_measures_a_tempo_and_keeps_the_run(tmp_path, capsys):
    """`beatgen bench-live` end to end (short, 256-frame periods): the numbers come out and --save keeps
    what a run with xruns needs looking at.  Its timing is reported, not asserted (see the module docstring)."""
    assert run_bench_live((120.0,), bars=2, period=PERIOD, as_json=True, realtime="auto", save=tmp_path) == 0
    report = json.loads(capsys.readouterr().out)
    (result,) = report["results"]
    assert result["bridge"]["notes"] > 0 and result["baseline"]["notes"] > 0
    assert (result["missing_bars"], result["unmatched_note_ons"]) == (0, 0)
    assert 0 < result["cpu_percent"] < 100 and result["ports_ready_s"] < 5
    assert isinstance(result["reference_slips"], list)
    recording = (tmp_path / "120-recording.txt").read_text().splitlines()
    assert sum(line.endswith(" f8") for line in recording) > 2 * TICKS_PER_BAR
    assert "continuing at bar" in (tmp_path / "120-bridge.log").read_text()
    assert (tmp_path / "120-jackd.log").exists()
