"""Which of a user's clips train and which are held out, and the one line for each folder that cannot be used."""

from __future__ import annotations

import shutil

import pytest

from model_tools.clips import MIN_CLIPS, split_clips
from tests.conftest import simple_groove, write_midi


def make_clips(folder, count: int, signature=(4, 4)) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"clip{index}.mid" for index in range(count)]
    for name in names:
        write_midi(folder / name, simple_groove(4, signature[0]), signature=signature)
    return names


def test_a_folder_without_a_split_holds_out_a_stable_share_and_names_it(tmp_path):
    make_clips(tmp_path / "clips", 8)
    lines: list[str] = []
    train, held_out = split_clips(str(tmp_path / "clips"), share=0.25, out=lines.append)
    assert (len(train), len(held_out)) == (6, 2)
    names = sorted(entry.path.name for entry, _part in held_out)
    prefix = "held out 2 of 8 clips to stop early on (no split given): "
    assert len(lines) == 1 and lines[0].startswith(prefix)
    assert sorted(lines[0][len(prefix) :].split(", ")) == names
    # The same clips are held out whatever folder the clips are moved to or in what order they were written.
    shutil.copytree(tmp_path / "clips", tmp_path / "moved")
    _train, again = split_clips(str(tmp_path / "moved"), share=0.25, out=lambda _line: None)
    assert sorted(entry.path.name for entry, _part in again) == names


def test_too_few_clips_is_one_line_saying_how_many_are_needed(tmp_path):
    make_clips(tmp_path, MIN_CLIPS - 1)
    with pytest.raises(ValueError, match=r"2 usable clips .*needs at least 3: some to learn from and one held out"):
        split_clips(str(tmp_path), out=lambda _line: None)


def test_a_folder_without_drums_says_so(tmp_path):
    for index in range(4):
        write_midi(tmp_path / f"bass{index}.mid", [(beat, 100, 90) for beat in range(8)], channel=0)
    with pytest.raises(ValueError, match=r"none of its 4 MIDI files has drum notes"):
        split_clips(str(tmp_path), out=lambda _line: None)


def test_a_folder_without_midi_files_says_so(tmp_path):
    (tmp_path / "notes.txt").write_text("not midi")
    with pytest.raises(FileNotFoundError, match=r"no MIDI files \(\.mid, \.midi\)"):
        split_clips(str(tmp_path), out=lambda _line: None)


def test_clips_in_a_meter_the_model_never_learnt_are_skipped_with_one_line(tmp_path):
    make_clips(tmp_path, 4)
    write_midi(tmp_path / "waltz.mid", simple_groove(4, 3), signature=(3, 4))
    lines: list[str] = []
    train, held_out = split_clips(str(tmp_path), meters=["4/4"], out=lines.append)
    assert len(train) + len(held_out) == 4
    assert lines[0] == "skipped clips in other meters (1 in 3/4): the model plays 4/4 only"


def test_a_folder_of_odd_meters_only_is_refused_in_one_line(tmp_path):
    make_clips(tmp_path, 4, signature=(7, 8))
    with pytest.raises(ValueError, match=r"every clip is in another meter \(4 in 7/8\); the model plays 4/4 only"):
        split_clips(str(tmp_path), meters=["4/4"], out=lambda _line: None)


def test_analyze_reads_a_folder_without_a_split_and_says_what_a_different_derivation_means(tmp_path):
    from model_tools.analyze import run

    make_clips(tmp_path, 3)
    lines: list[str] = []
    run(str(tmp_path), out=lines.append)
    assert lines[0].startswith("files: 3 ")  # the whole folder, whatever a hash split would have said
    line = next(line for line in lines if line.startswith("derived configuration"))
    assert line == (
        "derived configuration differs from the tokenizer in use (bridge/music/tokens.py); nothing to do: "
        "beatgen train and the bridge always use the one in use, and the errors below say how well it fits these files"
    )
