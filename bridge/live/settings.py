"""A preset turned into what the engine uses: built off the engine thread, swapped in whole.

Note maps are files; reading them on the engine thread would cost timing, so
`Engine.command(UsePreset(...))` builds this on the caller's thread (where a
bad note map is reported at once) and the engine thread only assigns fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.live.modes import ModeSettings
from bridge.settings.controls import Controls
from bridge.settings.note_maps import load_note_map
from bridge.settings.presets import Preset


@dataclass(frozen=True)
class LiveSettings:
    preset: Preset
    controls: Controls
    mode: ModeSettings
    clock_source: str  # "auto", "external", "internal"
    bpm: float  # the internal clock's tempo
    input_channel: int  # 1-16, 0 = all
    input_classes: dict[int, int]  # pitch -> drum class
    output_channel: int  # 0-15
    output_notes: tuple[int, ...]  # drum class -> pitch
    trigger_note: int  # -1 = none
    trigger_cc: int
    fill_note: int  # -1 = none
    fill_cc: int
    cc_controls: dict[int, tuple[str, ...]]  # CC number -> controls it moves
    note_controls: dict[int, tuple[str, ...]]  # note number -> controls a pad fires or toggles

    @classmethod
    def from_preset(cls, preset: Preset) -> LiveSettings:
        cc_controls, note_controls = _by_number(preset["midi_cc"]), _by_number(preset["midi_notes"])
        return cls(
            preset, Controls.from_preset(preset), ModeSettings.from_preset(preset),
            preset["clock"]["source"], preset["clock"]["bpm"],
            preset["input"]["channel"], load_note_map(preset["input"]["note_map"]).input_classes,
            preset["output"]["channel"] - 1, load_note_map(preset["output"]["note_map"]).output_notes,
            preset["triggers"]["note"], preset["triggers"]["cc"],
            preset["triggers"]["fill_note"], preset["triggers"]["fill_cc"], cc_controls, note_controls,
        )  # fmt: skip

    @property
    def input_channels(self) -> set[int] | None:
        """Channels (0-15) the seed recorder listens on; None = all."""
        return None if self.input_channel == 0 else {self.input_channel - 1}


def _by_number(mapping: dict[str, int]) -> dict[int, tuple[str, ...]]:
    """{control: number} as {number: controls} (-1 = not mapped)."""
    result: dict[int, tuple[str, ...]] = {}
    for name, number in mapping.items():
        if number >= 0:
            result[number] = (*result.get(number, ()), name)
    return result
