"""Read drum parts from .mid files and write generated hits back out as playable MIDI.

Seed files come from anywhere, so reading is bounded and checked: a size
limit before parsing (mido parses about 0.3 MB a second), tempo and time
signatures checked before any arithmetic uses them, and a cap on the bars
a part may have.  Every refusal is a MidiFileError whose message is one line
naming the file.  Writing never replaces anything but a regular file, and
goes through a temporary sibling so nothing is half-written.
"""

from __future__ import annotations

import io
import os
import secrets
import stat
from collections import Counter
from pathlib import Path

import mido

from bridge.music.drums import GM_OUTPUT_NOTES, class_of_pitch
from bridge.music.hits import DrumPart, Hit, bar_length_beats
from bridge.system.safe_text import printable

DEFAULT_BPM = 120.0
DEFAULT_TIME_SIGNATURE = (4, 4)
GM_DRUM_CHANNEL = 9  # channel 10 counted from 1
NOTE_LENGTH_BEATS = 0.125  # drums are one-shots; a 32nd note is long enough to trigger
BAR_END_MARGIN_BEATS = 0.125
SMPTE_DIVISION_FLAG = 0x8000  # top bit of the header's division word
MAX_PART_BEATS = 100_000  # about 14 hours at 120 BPM: anything longer is a broken file
# The largest file of the Groove MIDI Dataset is 0.16 MB; 1 MB is six times that and still
# parses in about 3 seconds, where a 50 MB file took a minute and gigabytes of memory.
MAX_SEED_FILE_BYTES = 1_000_000
MAX_BARS = 10_000  # bar lines a part may have: 5.5 hours of 4/4 at 120 BPM
MIN_BPM, MAX_BPM = 10.0, 1000.0  # the seed's tempo is written into the output; outside this it is a broken file
MAX_NUMERATOR = 64  # beats per bar
DENOMINATORS = (1, 2, 4, 8, 16, 32, 64)  # note values a bar can count in


class MidiFileError(ValueError):
    """A file that cannot be used as a drum part, with a message for the user."""


class NoDrumNotesError(MidiFileError):
    """A readable MIDI file with no drum notes in it (a bass line, a melody): callers may count these apart."""


def read_drum_part(path: str | os.PathLike) -> DrumPart:
    """Load the drum hits of a MIDI file; raise MidiFileError with a readable reason."""
    midi = _open_midi(path)
    events, tempos, signatures = _collect_events(midi)
    notes = _drum_notes(events)
    if not notes:
        raise NoDrumNotesError(f"{path}: no drum notes found (looked on channel 10, then for drum pitches)")
    hits, unknown = _notes_to_hits(notes, midi.ticks_per_beat)
    if not hits:
        raise NoDrumNotesError(f"{path}: none of its notes are drum pitches this tool knows")
    signature_beats = [(tick / midi.ticks_per_beat, sig) for tick, sig in signatures]
    _check_signatures(signature_beats, path)
    end = max(hit.time for hit in hits)
    if end > MAX_PART_BEATS:
        raise MidiFileError(
            f"{path}: notes run for {end:.0f} beats; parts longer than {MAX_PART_BEATS} beats are refused"
        )
    bar_lines = _bar_lines(signature_beats or [(0.0, DEFAULT_TIME_SIGNATURE)], end)
    if bar_lines is None:
        raise MidiFileError(f"{path}: has more than {MAX_BARS} bars; longer parts are refused")
    bpm = _seed_bpm(tempos, path)
    first_signature = signatures[0][1] if signatures else DEFAULT_TIME_SIGNATURE
    return DrumPart(hits, bar_lines, bpm, first_signature, unknown, had_tempo=bool(tempos))


def _open_midi(path: str | os.PathLike) -> mido.MidiFile:
    data = _read_bounded(Path(path))
    try:
        midi = mido.MidiFile(file=io.BytesIO(data))
    except EOFError:
        raise MidiFileError(f"{path}: not a readable MIDI file (it ends too early: empty or truncated)") from None
    except Exception as error:  # mido's parser raises many types on corrupt bytes; all mean the same
        reason = printable(error, 120) or type(error).__name__
        raise MidiFileError(f"{path}: not a readable MIDI file ({reason})") from None
    if midi.ticks_per_beat >= SMPTE_DIVISION_FLAG or midi.ticks_per_beat <= 0:
        raise MidiFileError(f"{path}: uses SMPTE time-code timing, which has no beats; export it with PPQ timing")
    return midi


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, refusing what is not a regular file or is over MAX_SEED_FILE_BYTES.

    The size is checked before reading and again by reading at most one byte
    more than the limit, so a file that grows (or lies in stat) is still bounded.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise MidiFileError(f"{path}: no such file") from None
    except OSError as error:
        raise MidiFileError(f"{path}: cannot be read ({error.strerror})") from None
    if not stat.S_ISREG(mode):
        # Opening a FIFO would block, a device would never end: only regular files are read.
        raise MidiFileError(f"{path}: not a regular file ({_kind(mode)}); give a .mid file")
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            data = stream.read(MAX_SEED_FILE_BYTES + 1) if size <= MAX_SEED_FILE_BYTES else b""
    except OSError as error:
        raise MidiFileError(f"{path}: cannot be read ({error.strerror})") from None
    if size > MAX_SEED_FILE_BYTES or len(data) > MAX_SEED_FILE_BYTES:
        megabytes = max(size, len(data)) / 1e6
        raise MidiFileError(
            f"{path}: {megabytes:.1f} MB is over the {MAX_SEED_FILE_BYTES / 1e6:g} MB limit for a seed file"
        )
    return data


def _seed_bpm(tempos: list[tuple[int, int]], path: str | os.PathLike) -> float:
    """The first tempo in BPM (DEFAULT_BPM without one); a zero or absurd tempo is refused before dividing."""
    if not tempos:
        return DEFAULT_BPM
    tempo = tempos[0][1]
    if tempo <= 0:
        raise MidiFileError(f"{path}: its tempo is 0 microseconds per beat, which is no tempo; fix or re-export it")
    bpm = mido.tempo2bpm(tempo)
    if not MIN_BPM <= bpm <= MAX_BPM:
        raise MidiFileError(f"{path}: tempo {bpm:.4g} BPM is outside {MIN_BPM:g}-{MAX_BPM:g} BPM")
    return bpm


def _check_signatures(signatures: list[tuple[float, tuple[int, int]]], path: str | os.PathLike) -> None:
    """Refuse time signatures that give a bar no length (or a near-zero one that never ends)."""
    for beat, (numerator, denominator) in signatures:
        if not 1 <= numerator <= MAX_NUMERATOR or denominator not in DENOMINATORS:
            shown = denominator if denominator <= 1_000_000 else f"2**{denominator.bit_length() - 1}"
            raise MidiFileError(
                f"{path}: time signature {numerator}/{shown} at beat {beat:g} is not usable"
                f" (1-{MAX_NUMERATOR} beats of a 1/2/4/8/16/32/64 note)"
            )


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    for test, word in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISFIFO, "a pipe"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return word
    return "not a regular file"


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


def _bar_lines(signatures: list[tuple[float, tuple[int, int]]], end: float) -> list[float] | None:
    """Bar starts from beat 0 through the bar line after `end`, following signature changes.

    None when that takes more than MAX_BARS bar lines: the loop is bounded even for tiny bars.
    """
    lines = [0.0]
    index = 0
    # The margin keeps a hit played just ahead of the closing bar line inside
    # the part once it is rounded onto the token grid.
    while lines[-1] <= end + BAR_END_MARGIN_BEATS:
        if len(lines) > MAX_BARS:
            return None
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


def check_output_file(path: str | os.PathLike) -> None:
    """Refuse to write over anything but a regular file (MidiFileError, one line).

    Writing renames a new file into place, which would replace a device node
    (as root, /dev/full became a file), a folder's entry or a symbolic link
    itself.  Links are refused rather than written through: replacing the link
    breaks it silently, and following it writes to a place the user did not
    name (a dangling or planted link can point anywhere).  Give the real path.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise MidiFileError(f"{path}: cannot be written ({error.strerror})") from None
    if stat.S_ISLNK(mode):
        raise MidiFileError(f"{path}: is a symbolic link; give the path of the file itself (links are not replaced)")
    if not stat.S_ISREG(mode):
        raise MidiFileError(f"{path}: is {_kind(mode)}, not a file; refusing to replace it")


def _save_atomically(midi: mido.MidiFile, path: Path) -> None:
    check_output_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A hidden sibling in the same folder (so the rename is atomic), renamed into place once complete.
    # O_EXCL never opens an existing file or a planted link; mode 0o666 keeps the user's umask.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            midi.save(file=stream)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
