"""Note maps: the shipped GM and Ableton maps, and errors that name the file for a broken one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.music.drums import DRUM_NAMES, GM_OUTPUT_NOTES, PITCH_TO_CLASS
from bridge.settings.note_maps import NOTE_MAPS_DIR, NoteMap, NoteMapError, available_note_maps, load_note_map
from bridge.settings.presets import NOTE_MAPS, PRESET_SCHEMA

GOOD_OUTPUT = "\n".join(f"{drum} = {36 + index}" for index, drum in enumerate(DRUM_NAMES))


def output_with_kick(value: str) -> str:
    return "[output]\n" + GOOD_OUTPUT.replace("kick = 36", f"kick = {value}") + "\n"


def write_map(folder: Path, text: str, name: str = "mine") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_maps_are_listed():
    assert {"gm", "ableton"} <= set(available_note_maps())
    assert NOTE_MAPS == available_note_maps()
    assert set(PRESET_SCHEMA["output"]["note_map"].choices) == set(available_note_maps())


def test_gm_map_is_the_drum_table():
    gm = load_note_map("gm")
    assert isinstance(gm, NoteMap) and gm.name == "gm" and gm.description
    assert gm.output_notes == GM_OUTPUT_NOTES
    assert gm.input_classes == PITCH_TO_CLASS


def test_ableton_outputs_stay_on_the_16_default_pads():
    ableton = load_note_map("ableton")
    assert len(ableton.output_notes) == len(DRUM_NAMES)
    assert all(36 <= note <= 51 for note in ableton.output_notes)
    assert ableton.output_notes[DRUM_NAMES.index("kick")] == 36
    assert ableton.output_notes[DRUM_NAMES.index("snare")] == 38


def test_ableton_hears_every_default_pad():
    ableton = load_note_map("ableton")
    assert set(range(36, 52)) <= set(ableton.input_classes)
    assert all(0 <= drum < len(DRUM_NAMES) for drum in ableton.input_classes.values())


def test_every_shipped_map_hears_its_own_output_notes_as_the_same_drum():
    for name in available_note_maps():
        note_map = load_note_map(name)
        for drum, note in enumerate(note_map.output_notes):
            heard = note_map.input_classes.get(note)
            # ride_bell shares the ride pad in ableton.toml: that pad is heard as ride
            assert heard == drum or note_map.output_notes[heard] == note, f"{name}: {DRUM_NAMES[drum]} on {note}"


def test_unknown_name_lists_the_known_maps():
    with pytest.raises(NoteMapError, match=r"no note map named 'roland'.*known: ableton, gm"):
        load_note_map("roland")


def test_a_user_map_in_another_folder_loads(tmp_path):
    write_map(tmp_path, f'description = "mine"\n[output]\n{GOOD_OUTPUT}\n[input]\nkick = [24, 36]\nsnare = [40]\n')
    note_map = load_note_map("mine", tmp_path)
    assert note_map.output_notes == tuple(range(36, 36 + len(DRUM_NAMES)))
    assert note_map.input_classes == {24: 0, 36: 0, 40: 1}
    assert available_note_maps(tmp_path) == ("mine",)


def test_unknown_name_in_an_empty_folder(tmp_path):
    with pytest.raises(NoteMapError, match="no note map named 'gm'"):
        load_note_map("gm", tmp_path)


@pytest.mark.parametrize(
    "text, message",
    [
        (f"[output]\n{GOOD_OUTPUT}\ncowbell = 56\n", r"\[output\] has unknown drums \['cowbell'\]"),
        (f"[output]\n{GOOD_OUTPUT}\n[input]\ncowbell = [56]\n", r"\[input\] has unknown drums \['cowbell'\]"),
        ("[output]\nkick = 36\n", r"\[output\] must give a note for every drum; missing \['snare'"),
        ("[input]\nkick = [36]\n", r"missing \['kick'"),
        (output_with_kick("128"), r"output\.kick = 128 must be a MIDI note"),
        (output_with_kick("-1"), r"output\.kick = -1 must be a MIDI note"),
        (output_with_kick("true"), r"output\.kick = True must be"),
        (output_with_kick("[36]"), r"output\.kick = \[36\] must be"),
        (f"[output]\n{GOOD_OUTPUT}\n[input]\nsnare = [38, 128]\n", r"input\.snare = 128 must be a MIDI note"),
        (f"[output]\n{GOOD_OUTPUT}\n[input]\nkick = [36]\nsnare = [36]\n", "note 36 is listed for both kick and snare"),
        (f"[output]\n{GOOD_OUTPUT}\n[input]\nkick = 36\n", r"input\.kick = 36 must be a list"),
        (f"[output]\n{GOOD_OUTPUT}\n[inputs]\nkick = [36]\n", r"unknown keys \['inputs'\]"),
        ("output = 3\n", r"\[output\] must be a table"),
        ("[output\nkick = 36\n", "not valid TOML"),
    ],
)
def test_broken_map_is_refused_naming_the_file(tmp_path, text, message):
    path = write_map(tmp_path, text)
    with pytest.raises(NoteMapError, match=message) as error:
        load_note_map("mine", tmp_path)
    assert str(error.value).startswith(str(path))


def test_a_note_listed_twice_for_the_same_drum_is_refused(tmp_path):
    write_map(tmp_path, f"[output]\n{GOOD_OUTPUT}\n[input]\nkick = [36, 36]\n")
    with pytest.raises(NoteMapError, match="note 36 is listed"):
        load_note_map("mine", tmp_path)


def test_the_shipped_maps_folder_is_in_the_project():
    assert NOTE_MAPS_DIR.is_dir() and (NOTE_MAPS_DIR / "gm.toml").is_file()
