"""Read drum parts from .mid files and write generated hits back out as playable MIDI."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import mido

from bridge.music.drums import GM_OUTPUT_NOTES, class_of_pitch
from bridge.music.hits import DrumPart, Hit, bar_length_beats

DEFAULT_BPM = 120.0
DEFAULT_TIME_SIGNATURE = (4, 4)
GM_DRUM_CHANNEL = 9  # channel 10 counted from 1
NOTE_LENGTH_BEATS = 0.125  # drums are one-shots; a 32nd note is long enough to trigger
BAR_END_MARGIN_BEATS = 0.125
SMPTE_DIVISION_FLAG = 0x8000  # top bit of the header's division word
MAX_PART_BEATS = 100_000  # about 14 hours at 120 BPM: anything longer is a broken file


class MidiFileError(ValueError):
    """A file that cannot be used as a drum part, with a message for the user."""


def read_drum_part(path: str | os.PathLike) -> DrumPart:
    """Load the drum hits of a MIDI file; raise MidiFileError with a readable reason."""
    midi = _open_midi(path)
    events, tempos, signatures = _collect_events(midi)
    notes = _drum_notes(events)
    if not notes:
        raise MidiFileError(f"{path}: no drum notes found (looked on channel 10, then for drum pitches)")
    hits, unknown = _notes_to_hits(notes, midi.ticks_per_beat)
    if not hits:
        raise MidiFileError(f"{path}: none of its notes are drum pitches this tool knows")
    signature_beats = [(tick / midi.ticks_per_beat, sig) for tick, sig in signatures]
    end = max(hit.time for hit in hits)
    if end > MAX_PART_BEATS:
        raise MidiFileError(
            f"{path}: notes run for {end:.0f} beats; parts longer than {MAX_PART_BEATS} beats are refused"
        )
    bar_lines = _bar_lines(signature_beats or [(0.0, DEFAULT_TIME_SIGNATURE)], end)
    bpm = mido.tempo2bpm(tempos[0][1]) if tempos else DEFAULT_BPM
    first_signature = signatures[0][1] if signatures else DEFAULT_TIME_SIGNATURE
    return DrumPart(hits, bar_lines, bpm, first_signature, unknown, had_tempo=bool(tempos))


def _open_midi(path: str | os.PathLike) -> mido.MidiFile:
    if not Path(path).is_file():
        raise MidiFileError(f"{path}: no such file")
    try:
        midi = mido.MidiFile(path)
    except EOFError:
        raise MidiFileError(f"{path}: not a readable MIDI file (it ends too early: empty or truncated)") from None
    except (OSError, ValueError, KeyError, IndexError) as error:
        raise MidiFileError(f"{path}: not a readable MIDI file ({error})") from None
    if midi.ticks_per_beat >= SMPTE_DIVISION_FLAG or midi.ticks_per_beat <= 0:
        raise MidiFileError(f"{path}: uses SMPTE time-code timing, which has no beats; export it with PPQ timing")
    return midi


def _collect_events(midi: mido.MidiFile):
    """Note-ons with absolute ticks, plus the tempo and time-signature maps."""
    notes, tempos, signatures = [], [], []
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "note_on" and message.velocity > 0:
                notes.append((tick, message.channel, message.note, message.velocity))
            elif message.type == "set_tempo":
                tempos.append((tick, message.tempo))
            elif message.type == "time_signature":
                signatures.append((tick, (message.numerator, message.denominator)))
    return sorted(notes), sorted(tempos), _dedupe_signatures(sorted(signatures))


def _dedupe_signatures(signatures):
    """Keep one signature per tick (the last written wins, as in a sequencer)."""
    by_tick = dict(signatures)
    return sorted(by_tick.items())


def _drum_notes(notes):
    """Prefer channel 10; files from a DAW's drum clip often use another channel."""
    on_drum_channel = [n for n in notes if n[1] == GM_DRUM_CHANNEL]
    if on_drum_channel:
        return on_drum_channel
    return [n for n in notes if class_of_pitch(n[2]) is not None]


def _notes_to_hits(notes, ticks_per_beat: int):
    hits: list[Hit] = []
    unknown: Counter[int] = Counter()
    for tick, _channel, pitch, velocity in notes:
        drum = class_of_pitch(pitch)
        if drum is None:
            unknown[pitch] += 1
        else:
            hits.append(Hit(tick / ticks_per_beat, drum, velocity))
    return hits, unknown


def _bar_lines(signatures: list[tuple[float, tuple[int, int]]], end: float) -> list[float]:
    """Bar starts from beat 0 through the bar line after `end`, following signature changes."""
    lines = [0.0]
    index = 0
    # The margin keeps a hit played just ahead of the closing bar line inside
    # the part once it is rounded onto the token grid.
    while lines[-1] <= end + BAR_END_MARGIN_BEATS:
        while index + 1 < len(signatures) and signatures[index + 1][0] <= lines[-1] + 1e-9:
            index += 1
        lines.append(lines[-1] + bar_length_beats(signatures[index][1]))
    return lines


def write_drum_midi(
    path: str | os.PathLike,
    hits: list[Hit],
    bpm: float,
    time_signature: tuple[int, int],
    channel: int = GM_DRUM_CHANNEL,
    ticks_per_beat: int = 480,
    output_notes: tuple[int, ...] = GM_OUTPUT_NOTES,
) -> None:
    """Write hits as a type-0 MIDI file, atomically: a failed write leaves nothing behind."""
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    numerator, denominator = time_signature
    track.append(mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator, time=0))
    events = _note_events(hits, ticks_per_beat, channel, output_notes)
    previous = 0
    for tick, _order, message in events:
        track.append(message.copy(time=tick - previous))
        previous = tick
    track.append(mido.MetaMessage("end_of_track", time=ticks_per_beat // 4))
    midi = mido.MidiFile(type=0, ticks_per_beat=ticks_per_beat)
    midi.tracks.append(track)
    _save_atomically(midi, Path(path))


def _note_events(hits, ticks_per_beat, channel, output_notes):
    """Note-on/note-off pairs; a note ends before the same note sounds again."""
    length = round(NOTE_LENGTH_BEATS * ticks_per_beat)
    starts = sorted((round(h.time * ticks_per_beat), output_notes[h.drum], h.velocity) for h in hits)
    next_start: dict[int, int] = {}
    events = []
    for tick, note, velocity in reversed(starts):
        if next_start.get(note) == tick:
            continue  # the same note twice on one tick would collapse into one
        off = min(tick + length, next_start.get(note, tick + length + 1) - 1)
        off = max(off, tick + 1)
        next_start[note] = tick
        events.append((tick, 1, mido.Message("note_on", channel=channel, note=note, velocity=velocity)))
        events.append((off, 0, mido.Message("note_off", channel=channel, note=note, velocity=0)))
    events.sort(key=lambda event: (event[0], event[1]))
    return events


def _save_atomically(midi: mido.MidiFile, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A hidden sibling, renamed into place once complete (plain open() keeps the user's umask).
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(temporary, "wb") as stream:
            midi.save(file=stream)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
