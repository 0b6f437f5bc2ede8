"""What a recording of a live session says: song positions of the clock's ticks, and each note against the grid.

The recorder (jack_midi_dump, a JACK client like the bridge) stamps every
message with its exact frame, so the clock's ticks give the song's grid and
the bridge's notes are measured against it.  The recorder and the bridge can
each miss a tick in an overrun on a loaded machine; the functions here find
those from the evidence and correct the grid, so that what is measured is the
bridge's own timing:

- `song_ticks`: ticks the recorder lost show as gaps, and are put back.
- `reference_slips`: ticks the recorder lost without a gap show in the
  player's notes (the player counts ticks like the bridge).
- `input_losses`: ticks that never reached the bridge show in its log (a gap
  where the recording is regular) and in its count at Stop.

`analyze` measures one channel's notes; `timing_report` says what a failed
timing check needs looking at.
"""

from __future__ import annotations

import bisect
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

CLOCK, START, CONTINUE, STOP, SONG_POSITION = 0xF8, 0xFA, 0xFB, 0xFC, 0xF2
TICKS_PER_BAR = 96
GRID_TICKS = 6  # a 16th note
MAX_RECORDER_GAP = 4.5  # tick intervals; a longer gap while running is a pause, not lost ticks
MAX_SLIP_TICKS = 2  # a player note further off its tick than this is not a slip (another note, a lost one)
RECORDER_SKIP_TOLERANCE = 0.1  # tick intervals: a gap this much short of a whole number still counts its lost ticks
# A tick a period after the one before, which came a period short of an interval after its own
# predecessor (within this many intervals): one tick the recorder got twice (song_ticks).
COPY_TOLERANCE = 0.01
REGULAR_RATIO = 1.5  # a recorded interval this many times both its neighbours is a gap (input_losses)


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
    slip by a tick per lost tick.  A tick it got twice is counted once
    (_is_copy).  The dummy driver also skips frames after
    an overrun, which moves the clock's later ticks forward by a fraction of
    a tick (measured: intervals of 1.54, 1.72 and 2.63 ticks, each followed
    by exact ones): so frame skips only lengthen a gap, and a gap counts
    RECORDER_SKIP_TOLERANCE less than a whole number of extra ticks (1.72 is
    no loss, 2.63 one).
    """
    ticks: list[tuple[float, int]] = []
    running, position = False, 0
    previous: float | None = None  # time of the last tick while running, None after a transport change
    interval: float | None = None  # the last single-tick interval
    before: float | None = None  # the one before it (a copy's first stamp shortens the last)
    for when, data in events:
        if data[0] == CLOCK and running and _is_copy(ticks, previous, before, when):
            ticks[-1] = (when, ticks[-1][1])  # the later stamp is the exact one
            previous = when
            continue
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
                    before, interval = interval, gap
            for missing in range(1, step):  # where the lost ticks were: the clock's frames are exact
                assert previous is not None  # a step over 1 is measured from the tick before
                ticks.append((previous + missing * (when - previous) / step, position))
                position += 1
            ticks.append((when, position))
            position += 1
            previous = when
    return ticks


def _is_copy(ticks: list[tuple[float, int]], previous: float | None, interval: float | None, when: float) -> bool:
    """Whether a tick is the last one again: a JACK client whose callback for one cycle runs after
    the clock wrote the next gets that cycle's events in both callbacks, and jack_midi_dump stamps
    the first with the late cycle's frame count (measured with a libjack probe: intervals of 0.92
    and 0.08 at 64 frames and 150 BPM).  So the pair spans exactly one interval from the tick
    before, where ticks of their own bunched in a cycle (or a faster tempo) do not."""
    if previous is None or not interval or len(ticks) < 2 or when - previous >= interval / 2:
        return False
    return abs((when - ticks[-2][0]) - interval) <= COPY_TOLERANCE * interval


def reference_slips(
    events: list[tuple[float, bytes]], seed: list[tuple[int, int, int]], channel: int = 0, loop_ticks: int | None = None
) -> list[tuple[float, int]]:
    """Where the recording's tick count parted from the player's: [(time, ticks to add from then on)], cumulative.

    The player counts the clock's ticks as they reach it and plays each seed
    note on its tick; the recorder can lose ticks in an xrun in a way that
    leaves no gap to see (two ticks bunched in one late cycle, one lost:
    measured at 174 BPM).  Then the player's notes land a tick off the
    recording's count, and so would every correct note of the bridge.  Only
    the seed bars are covered: after them the player is silent, unless it
    loops the seed every `loop_ticks` (a DAW looping a clip).  Past the first
    pass a slip is taken only where the recording shows a long interval
    (REGULAR_RATIO): the player is a JACK client too, and where it lost a tick
    the recording runs on evenly.  (Seen on CI at 256 frames and 110 BPM: the
    recorder lost a tick and stamped the rest a period early, an interval of
    1.77 that song_ticks takes for skipped frames; the player and the bridge
    both counted the tick.)
    """
    played = analyze(events, channel=channel, grid_ticks=1)
    ticks_of: dict[int, list[int]] = {}
    for seed_tick, note, _velocity in seed:
        ticks_of.setdefault(note, []).append(seed_tick)
    tick_times = [when for when, _position in played.ticks]
    slips, current, agreed = [], 0, float("-inf")
    for (when, note, _velocity), label in zip(played.note_ons, played.grid_ticks):
        # Matched by note and nearest tick, so that a note the recorder lost shifts nothing.
        tick = _nearest_played_tick(ticks_of.get(note, ()), label + current, loop_ticks)
        if tick is None or abs(tick - label - current) > MAX_SLIP_TICKS:
            continue
        if tick - label != current:
            # The note's own tick may be the one after the lost tick: it is searched too.
            at = _most_irregular_tick(tick_times, agreed, when)
            if loop_ticks and label >= loop_ticks and not _after_long_interval(tick_times, at):
                agreed = when
                continue  # the player's own count moved: the recording is the one to trust here
            slips.append((at, tick - label - current))
            current = tick - label
        agreed = when
    return slips


def _nearest_played_tick(ticks: Sequence[int], near: int, loop_ticks: int | None) -> int | None:
    """The tick among `ticks` (repeated every loop_ticks, if given) nearest to `near`."""
    if loop_ticks:
        ticks = [tick + round((near - tick) / loop_ticks) * loop_ticks for tick in ticks]
    return min(ticks, key=lambda tick: abs(tick - near), default=None)


def _after_long_interval(tick_times: list[float], at: float) -> bool:
    """Whether the tick just after `at` ends an interval REGULAR_RATIO times the one before it."""
    index = bisect.bisect_right(tick_times, at)
    if not 2 <= index < len(tick_times):
        return False
    longer, before = tick_times[index] - tick_times[index - 1], tick_times[index - 1] - tick_times[index - 2]
    return longer >= REGULAR_RATIO * before


def _most_irregular_tick(tick_times: list[float], after: float, before: float) -> float:
    """The time of the tick after the least regular interval between two times: where a tick went missing."""
    inside = [i for i, when in enumerate(tick_times) if after < when < before and i >= 2]
    if not inside:
        return before

    def irregularity(i: int) -> float:
        return abs((tick_times[i] - tick_times[i - 1]) / (tick_times[i - 1] - tick_times[i - 2] or 1e-9) - 1)

    return tick_times[max(inside, key=irregularity)] - 1e-6


def slipped_ticks(
    events: list[tuple[float, bytes]], slips: Sequence[tuple[float, int]] = ()
) -> list[tuple[float, int]]:
    """song_ticks, each position moved by the offsets of the slips at or before its time."""
    ticks = song_ticks(events)
    for since, offset in slips:
        ticks = [(when, position + (offset if when >= since else 0)) for when, position in ticks]
    return ticks


@dataclass
class InputLosses:
    """Ticks of the clock that never reached the bridge (input_losses)."""

    slips: list[tuple[float, int]] = field(default_factory=list)  # for analyze: the bridge's count from then on
    lost: int = 0  # ticks shown lost by both kinds of evidence
    recorder_lost: int = 0  # ticks the bridge counted and the recording shows only as a gap (see input_losses)
    unexplained: int = 0  # ticks the counts at Stop disagree on that no logged gap accounts for


GAP_LINE = re.compile(r"clock: a gap of ([0-9.]+) tick intervals before tick (\d+)")
STOP_LINE = re.compile(r"transport stop at tick (\d+)")


def input_losses(
    events: list[tuple[float, bytes]], bridge_log: str, slips: Sequence[tuple[float, int]] = ()
) -> InputLosses:
    """Ticks the recorder heard and the bridge did not, from two kinds of evidence that must agree.

    Measured on JACK at 64 frames on a loaded 2-core machine: now and then
    the bridge's input misses a tick that the recorder, reading the same
    clock port in the same cycle, gets (docs/live.md, "Known limits").  The
    bridge then counts every later tick one short, as any MIDI clock follower
    would, and its notes land a tick late until Start or Song Position
    Pointer sets the count again.  So does a tick that reached neither client
    (a stall: the recording lacks it too, song_ticks puts it back).  That is
    the input's fault, not the bridge's timing, so it is measured on the
    bridge's own count from there
    on, and reported.  Evidence: (1) the bridge logs every long interval
    between the ticks it got ("a gap of R tick intervals before tick P");
    where R is nearer the recording's length of the stretch that includes
    one more tick than the one with none (R ~ 2.0 or 2.7 where the recording
    has 1.0 or 1.7), the bridge missed that tick; (2) its count at the next
    Stop must be short of the recording's by exactly the number of ticks so
    found since the count was last set.  The other way round, a bridge count
    higher than the recording's (the bridge never invents a tick) with a gap
    in the recording where the bridge logged none is a tick the recorder
    missed (`recorder_lost`): the recording's count is raised from there.  A
    difference in the counts that no gap accounts for (or a stretch that ends
    without Stop) is not corrected: `unexplained`.  `slips` are the recorder's own
    (reference_slips), applied first.
    """
    ticks = slipped_ticks(events, slips)
    recorded = {when for when, data in events if data[0] == CLOCK}
    found = InputLosses()
    offset = 0  # added to the recording's count gives the bridge's, since the count was last set
    for (begin, end, count_set), (gaps, stop_count) in zip(_recorded_stretches(events), _bridge_stretches(bridge_log)):
        if count_set and offset:
            found.slips.append((begin, -offset))
            offset = 0
        inside = [(when, position) for when, position in ticks if begin < when < end]
        if not inside or stop_count is None:
            continue
        difference = stop_count - (inside[-1][1] + 1 + offset)
        if not difference:
            continue
        missed_by_bridge = difference < 0
        candidates = _ticks_missing_from_both(inside, recorded, gaps, offset) if missed_by_bridge else []
        if len(candidates) != abs(difference):
            find = _ticks_missed_by_the_bridge if missed_by_bridge else _ticks_missed_by_the_recorder
            candidates = find(inside, gaps, offset)
        if abs(difference) != len(candidates):
            found.unexplained += abs(difference)
            continue
        found.slips += [(when, -1 if missed_by_bridge else 1) for when in candidates]
        if missed_by_bridge:
            found.lost += len(candidates)
        else:
            found.recorder_lost += len(candidates)
        offset += difference
    return found


def _ticks_missing_from_both(
    inside: list[tuple[float, int]], recorded: set[float], gaps: list[tuple[int, float]], offset: int
) -> list[float]:
    """Times from which the bridge counted one tick fewer because the tick reached neither client:
    one song_ticks put back into the recording (it was not recorded) where the bridge logged a
    gap too.  Measured in a bench run at 174 BPM: a server stall, the bridge's gaps 2.88 and
    1.92, the recording's 0.72 and 1.54 (frames the recorder skipped, and a tick missing), the
    bridge a tick behind the recording from there; the gap-length rule matched both gaps."""
    logged = {bridge_tick for bridge_tick, _length in gaps}
    found: list[float] = []
    for when, position in inside:
        bridge_tick = position + offset - len(found)  # the tick after it, as the bridge counted
        if when not in recorded and logged & {bridge_tick, bridge_tick + 1}:
            found.append(when)
    return found


def _ticks_missed_by_the_bridge(
    inside: list[tuple[float, int]], gaps: list[tuple[int, float]], offset: int
) -> list[float]:
    """Times from which the bridge counted one tick fewer: where its logged gap is nearer the
    recording's length of the stretch with one more tick in it than of the one without."""
    times = {position: when for when, position in inside}
    intervals = [b[0] - a[0] for a, b in zip(inside, inside[1:])]
    median = statistics.median_high(intervals) if intervals else 0.0
    found: list[float] = []
    for bridge_tick, length in gaps:
        song_tick = bridge_tick - offset + len(found)  # the tick the bridge counted as bridge_tick, if none was lost
        before, held, lost = times.get(song_tick - 1), times.get(song_tick), times.get(song_tick + 1)
        if median and before is not None and held is not None and lost is not None:
            if abs(length - (lost - before) / median) < abs(length - (held - before) / median):
                found.append(lost - 1e-6)
    return found


def _ticks_missed_by_the_recorder(
    inside: list[tuple[float, int]], gaps: list[tuple[int, float]], offset: int
) -> list[float]:
    """Times from which the recording counted one tick fewer than the bridge: an interval of
    the recording at least REGULAR_RATIO times both its neighbours (a gap) where the bridge,
    hearing the same clock, logged none.  The recording keeps a gap of 1.5 to 2 ticks as frames
    the dummy driver skipped (song_ticks); the bridge's higher count at Stop says a tick was
    in it after all."""
    logged = {bridge_tick for bridge_tick, _length in gaps}
    found: list[float] = []
    for i in range(2, len(inside) - 1):
        gap = inside[i][0] - inside[i - 1][0]
        if gap < REGULAR_RATIO * (inside[i - 1][0] - inside[i - 2][0]):
            continue
        if gap < REGULAR_RATIO * (inside[i + 1][0] - inside[i][0]):
            continue
        bridge_tick = inside[i][1] + offset + len(found)
        if not logged & {bridge_tick - 1, bridge_tick, bridge_tick + 1}:
            found.append(inside[i][0] - 1e-6)
    return found


def _recorded_stretches(events: list[tuple[float, bytes]]) -> list[tuple[float, float, bool]]:
    """(begin, end, whether the count was set) of each stretch the recorded clock ran: from
    Start or Continue to Stop (or the end); the count is set by Start, or SPP before Continue."""
    stretches, begin, count_set, pointer_seen = [], None, False, False
    for when, data in events:
        status = data[0]
        if status == SONG_POSITION:
            pointer_seen = True
        elif status in (START, CONTINUE) and begin is None:
            begin, count_set = when, status == START or pointer_seen
        elif status == STOP and begin is not None:
            stretches.append((begin, when, count_set))
            begin, pointer_seen = None, False
    if begin is not None:
        stretches.append((begin, float("inf"), count_set))
    return stretches


def _bridge_stretches(bridge_log: str) -> list[tuple[list[tuple[int, float]], int | None]]:
    """([(tick, gap length in intervals)] the bridge logged, its count at Stop or None) of each
    stretch its log shows the clock running: from "transport start" or "continue" to "transport stop"."""
    stretches: list[tuple[list[tuple[int, float]], int | None]] = []
    gaps: list[tuple[int, float]] | None = None
    for line in bridge_log.splitlines():
        if "transport start" in line or "transport continue" in line:
            if gaps is not None:
                stretches.append((gaps, None))
            gaps = []
        elif gaps is not None and (gap := GAP_LINE.search(line)):
            gaps.append((int(gap.group(2)), float(gap.group(1))))
        elif gaps is not None and (stop := STOP_LINE.search(line)):
            stretches.append((gaps, int(stop.group(1))))
            gaps = None
    if gaps is not None:
        stretches.append((gaps, None))
    return stretches


def analyze(
    events: list[tuple[float, bytes]],
    channel: int = 9,
    grid_ticks: int = GRID_TICKS,
    slips: Sequence[tuple[float, int]] = (),
) -> Analysis:
    """One channel's notes measured against the clock: each against the nearest tick on the grid.

    Ticks are counted as recorded (lost ones put back where a gap shows them),
    moved by `slips` where the player showed the recording's count to be off
    (reference_slips) or the bridge's log and count showed it missed a tick
    (input_losses).
    """
    return analyze_on_ticks(events, slipped_ticks(events, slips), channel, grid_ticks)


def analyze_on_ticks(
    events: list[tuple[float, bytes]], ticks: list[tuple[float, int]], channel: int = 9, grid_ticks: int = GRID_TICKS
) -> Analysis:
    """One channel's notes measured against given ticks ((time, song position), e.g. computed from a Link
    timeline): each note against the grid tick nearest in time, so a tick missing from a recording cannot
    shift the count."""
    grid = [(when, position) for when, position in ticks if position % grid_ticks == 0]
    grid = sorted(grid + _ticks_stop_replaced(events, ticks, grid_ticks))
    grid_times = [when for when, _position in grid]
    note_ons: list[tuple[float, int, int]] = []
    sounding: dict[int, int] = {}
    stop_time: float | None = None
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


def _ticks_stop_replaced(
    events: list[tuple[float, bytes]], ticks: list[tuple[float, int]], grid_ticks: int
) -> list[tuple[float, int]]:
    """The grid line each Stop came in place of, where the tick after the last one is on the grid:
    a note the bridge sent ahead for it went out at its time, as Stop arrived (measured: +125 ms
    against the 16th before, at 120 BPM, the one outlier of a bench run)."""
    times = [when for when, _position in ticks]
    lines = []
    for when, data in events:
        index = bisect.bisect_left(times, when) - 1
        if data[0] != STOP or index < 1:
            continue
        (before, _), (last, position) = ticks[index - 1], ticks[index]
        if (position + 1) % grid_ticks == 0:
            lines.append((last + (last - before), position + 1))
    return lines


def timing_report(
    result: Analysis,
    budget_ms: float,
    bridge_log: str = "",
    jackd_log: str = "",
    losses: InputLosses | None = None,
    around: int = 3,
    limit: int = 12,
) -> str:
    """What a failed timing check needs looking at, in a few lines: each note off by more than
    `budget_ms` with the recorded tick intervals just before it, the bridge's clock lines, and
    jackd's xruns.  A lost tick shows as notes a whole tick late after one "held up" line while
    the recorded intervals stay regular; an xrun burst shows as ragged intervals."""
    start = result.ticks[0][0] if result.ticks else 0.0
    times = [when for when, _position in result.ticks]
    lines = [f"notes off by more than {budget_ms:.2f} ms (of {len(result.note_ons)}; times from the first tick):"]
    late = [
        (note, error, tick)
        for note, error, tick in zip(result.note_ons, result.errors_ms, result.grid_ticks)
        if abs(error) > budget_ms
    ]
    for (when, pitch, _velocity), error, tick in late[:limit]:
        index = bisect.bisect_left(times, when)  # the first tick after the note
        near = times[max(index - around - 1, 0) : index + around]
        intervals = [
            f"[{(b - a) * 1000:.1f}]" if a <= when < b else f"{(b - a) * 1000:.1f}" for a, b in zip(near, near[1:])
        ]
        lines.append(
            f"  {when - start:8.3f} s note {pitch} tick {tick} error {error:+.2f} ms;"
            f" tick intervals around it, [the one it fell in] (ms): {' '.join(intervals)}"
        )
    if len(late) > limit:
        lines.append(f"  ... and {len(late) - limit} more")
    clock_words = ("clock", "tempo", "transport", "continuing", "stall", "written")
    lines.append("bridge log, clock lines:")
    lines += [f"  {line}" for line in bridge_log.splitlines() if any(word in line for word in clock_words)][-20:]
    if losses is not None:
        lines.append(
            f"ticks lost on the way to the bridge: {losses.lost} (measured on its count from there on);"
            f" by the recorder: {losses.recorder_lost}; count at Stop off with no gap to show where:"
            f" {losses.unexplained}"
        )
    xruns = [line for line in jackd_log.splitlines() if "XRun" in line or "xrun" in line]
    lines.append(f"jackd: {len(xruns)} xrun lines" + ("; last: " + " | ".join(xruns[-3:]) if xruns else ""))
    return "\n".join(lines)
