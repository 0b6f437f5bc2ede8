"""Which clips of a folder train and which are held out, with one clear line for each folder we cannot use.

A dataset with an info.csv (the Groove MIDI Dataset) brings its own
train/validation split.  A user's folder of clips has none: we hold out a
stable share of its usable clips (ranked by a hash of their path, so the
same folder always holds out the same clips, whatever order the disk lists
them in) and say how many and which.  Early stopping needs held-out clips,
so a folder with fewer than MIN_CLIPS usable clips is refused.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

from bridge.midi_io.midi_files import MidiFileError, NoDrumNotesError, read_drum_part

from .dataset import MIDI_SUFFIXES, list_midi_files, select

# Two clips to learn from and one to stop early on: fewer cannot be fine-tuned honestly.
MIN_CLIPS = 3
# Without info.csv: the share held out (at least one clip).  From scratch 10 % (a big
# folder); fine-tuning holds out more because a handful of clips must still judge it.
HELD_OUT_SHARE = 0.1
FINE_TUNE_HELD_OUT_SHARE = 0.25


def split_clips(folder: str, max_files: int = 0, meters: list[str] | None = None, share=HELD_OUT_SHARE, out=print):
    """(train parts, held-out parts) of `folder`; FileNotFoundError/ValueError with one line if unusable.

    `meters` (a base model's, for fine-tuning): clips in any other meter are
    skipped with one line, since the base model has not learnt them.
    """
    root = Path(folder)
    entries = list_midi_files(root)
    if not entries:
        suffixes = ", ".join(sorted(MIDI_SUFFIXES))
        raise FileNotFoundError(f"{root}: no MIDI files ({suffixes}) in this folder or below it")
    if (root / "info.csv").is_file():
        train = _usable(root, select(entries, "train"), max_files, meters, out)
        held_out = _usable(root, select(entries, "validation"), max_files, meters, out)
        if train and held_out:
            return train, held_out
        parts = train + held_out  # a split with nothing usable: hold out from what there is
    else:
        parts = _usable(root, entries, max_files, meters, out)
    return _hold_out(root, parts, share, out)


def _usable(root: Path, entries, max_files: int, meters: list[str] | None, out) -> list:
    """The entries that load as drum parts in an allowed meter; a line for every kind of file skipped."""
    if max_files:
        entries = entries[:max_files]
    parts: list = []
    skipped: Counter[str] = Counter()
    for entry in entries:
        try:
            parts.append((entry, read_drum_part(entry.path)))
        except MidiFileError as error:
            skipped["without drum notes" if isinstance(error, NoDrumNotesError) else "unreadable"] += 1
    if entries and not parts and skipped["without drum notes"] == len(entries):
        raise ValueError(
            f"{root}: none of its {len(entries)} MIDI files has drum notes (channel 10 or drum pitches); "
            "give a folder of drum clips"
        )
    for why, count in sorted(skipped.items()):
        out(f"skipped {count} of {len(entries)} MIDI files: {why}")
    if not meters:
        return parts
    odd = Counter(meter(part) for _entry, part in parts if meter(part) not in meters)
    listed = ", ".join(f"{count} in {name}" for name, count in sorted(odd.items()))
    if odd:
        out(f"skipped clips in other meters ({listed}): the model plays {', '.join(meters)} only")
    kept = [(entry, part) for entry, part in parts if meter(part) in meters]
    if parts and not kept:
        raise ValueError(f"{root}: every clip is in another meter ({listed}); the model plays {', '.join(meters)} only")
    return kept


def meter(part) -> str:
    return "{}/{}".format(*part.time_signature)


def _hold_out(root: Path, parts: list, share: float, out) -> tuple[list, list]:
    if len(parts) < MIN_CLIPS:
        raise ValueError(
            f"{root}: {len(parts)} usable clip{'s' if len(parts) != 1 else ''} (drum notes, allowed meter); "
            f"training needs at least {MIN_CLIPS}: some to learn from and one held out to stop early"
        )
    count = max(1, round(share * len(parts)))
    ranked = sorted(parts, key=lambda item: _rank(item[0].path, root))
    held_out = ranked[:count]
    names = ", ".join(str(entry.path.relative_to(root)) for entry, _part in held_out)
    out(f"held out {count} of {len(parts)} clips to stop early on (no split given): {names}")
    chosen = {id(item) for item in held_out}
    return [item for item in parts if id(item) not in chosen], held_out


def _rank(path: Path, root: Path) -> bytes:
    return hashlib.sha1(str(path.relative_to(root)).encode(), usedforsecurity=False).digest()
