"""Find MIDI files in a folder, assign train/validation splits, and load them as token arrays."""

from __future__ import annotations

import csv
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bridge.midi_io.midi_files import MidiFileError, read_drum_part
from bridge.music.hits import DrumPart
from bridge.music.tokens import Vocabulary, encode

MIDI_SUFFIXES = {".mid", ".midi"}
VALIDATION_SHARE_WITHOUT_INFO = 0.1


@dataclass(frozen=True)
class MidiEntry:
    """One file of a dataset folder with what info.csv (if any) says about it."""

    path: Path
    split: str
    beat_type: str = "beat"
    time_signature: str = ""
    style: str = ""  # info.csv's style, e.g. "jazz/funk" (primary style first)


def list_midi_files(folder: str | Path) -> list[MidiEntry]:
    """Every MIDI file under `folder`; splits from info.csv when present, else a stable hash split."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder")
    info = folder / "info.csv"
    if info.is_file():
        return _entries_from_info(folder, info)
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES)
    return [MidiEntry(p, _hash_split(p.relative_to(folder))) for p in paths]


def _entries_from_info(folder: Path, info: Path) -> list[MidiEntry]:
    with info.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    entries = [
        MidiEntry(
            folder / row["midi_filename"],
            row["split"],
            row.get("beat_type", "beat"),
            row.get("time_signature", ""),
            row.get("style", ""),
        )
        for row in rows
    ]
    return [entry for entry in entries if entry.path.is_file()]


def _hash_split(relative: Path) -> str:
    digest = hashlib.sha1(str(relative).encode(), usedforsecurity=False).digest()
    return "validation" if digest[0] < 256 * VALIDATION_SHARE_WITHOUT_INFO else "train"


def select(entries: list[MidiEntry], split: str | None = None, beats_only: bool = False, four_four: bool = False):
    """Entries of one split, optionally only 4/4 'beat' files (the evaluation set)."""
    chosen = [e for e in entries if split is None or e.split == split]
    if beats_only:
        chosen = [e for e in chosen if e.beat_type == "beat"]
    if four_four:
        chosen = [e for e in chosen if e.time_signature in ("", "4-4")]
    return chosen


def load_parts(entries: list[MidiEntry], quiet: bool = False) -> list[tuple[MidiEntry, DrumPart]]:
    """Read every entry, skipping (and reporting) files that cannot be used."""
    parts = []
    for entry in entries:
        try:
            parts.append((entry, read_drum_part(entry.path)))
        except MidiFileError as error:
            if not quiet:
                print(f"skipped: {error}", file=sys.stderr)
    return parts


def tokenize_parts(parts, vocabulary: Vocabulary) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(tokens, positions, indexes of BAR tokens) for each part."""
    result = []
    for _entry, part in parts:
        tokens, positions = encode(part.hits, part.bar_lines, vocabulary)
        result.append((tokens, positions, np.flatnonzero(tokens == 1)))
    return result
