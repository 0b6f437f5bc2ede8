"""The control surface: which knob (CC) or pad (note) moves which control, and MIDI learn.

A mapping lives in the preset: `[midi_cc]` for knobs and buttons sending CCs,
`[midi_notes]` for pads, and the older `[triggers]` keys for regenerate and fill
(kept, so presets written before MIDI learn still work).  Learning a knob or pad
for a control takes it from whatever control had it: one physical control does
one thing, which is what a producer expects after pressing "learn".
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from bridge.music.drums import DRUM_NAMES

# Controls a button or pad fires (at CC values >= 64, rising; or a note-on).
ACTIONS = ("arm", "regenerate", "fill", "panic", "mode", "preset_next", "preset_previous")
# Controls a knob sweeps over their range (bridge/settings/controls.py CONTINUOUS_CC, style, random seed).
KNOBS = (
    "temperature", "top_k", "top_p", "variation", "density", "fill_every", "style",
    "velocity_scale", "swing", "humanize_ms", "quantize", "offset_ms", "random_seed",
)  # fmt: skip
# Per drum: a CC at >= 64 sets it, a pad toggles it.
DRUM_FLAGS = tuple(f"{kind}_{drum}" for kind in ("mute", "lock") for drum in DRUM_NAMES)
LEARNABLE = ACTIONS + KNOBS + DRUM_FLAGS
# Where an action's mapping is kept when it already had a [triggers] key.
TRIGGER_KEYS = {("regenerate", "cc"): "cc", ("regenerate", "note"): "note", ("fill", "cc"): "fill_cc",
                ("fill", "note"): "fill_note"}  # fmt: skip
MODES_IN_TURN = ("call_response", "continuous", "loop")


class LearnError(ValueError):
    """A learned message that cannot drive the control, with a line for the user."""


@dataclass(frozen=True)
class Learned:
    """The first knob or pad the bridge saw while learning (EngineStatus.learned)."""

    sequence: int  # grows with each message learned: a new one is a new message
    kind: str  # "cc" or "note"
    number: int  # CC number or note number
    channel: int  # 1-16

    def describe(self) -> str:
        return f"{'CC' if self.kind == 'cc' else 'note'} {self.number} (channel {self.channel})"


def mapping_key(control: str, kind: str) -> tuple[str, str]:
    """The preset (section, key) holding `control`'s `kind` ("cc" or "note") mapping."""
    if (control, kind) in TRIGGER_KEYS:
        return "triggers", TRIGGER_KEYS[(control, kind)]
    if kind == "note" and control in KNOBS:
        raise LearnError(f"{control} needs a knob or fader (a CC); a pad (note) cannot sweep it")
    return ("midi_cc" if kind == "cc" else "midi_notes"), control


def mapped_keys(kind: str) -> list[tuple[str, str]]:
    """Every (section, key) that maps a `kind` message to a control."""
    keys = [mapping_key(control, kind) for control in LEARNABLE if not (kind == "note" and control in KNOBS)]
    return sorted(set(keys))


def learn(values: dict[str, dict[str, Any]], control: str, learned: Learned) -> dict[str, dict[str, Any]]:
    """Preset values with `learned` mapped to `control` and taken from any other control."""
    if control not in LEARNABLE:
        raise LearnError(f"{control!r} cannot be mapped: choose one of {', '.join(LEARNABLE)}")
    target = mapping_key(control, learned.kind)
    result = copy.deepcopy(values)
    for section, key in mapped_keys(learned.kind):
        if result[section][key] == learned.number:
            result[section][key] = -1
    result[target[0]][target[1]] = learned.number
    return result


def mapping_of(values: dict[str, dict[str, Any]], control: str) -> str:
    """How `control` is mapped now, in words ("CC 21, note 40", or "not mapped")."""
    found = []
    for kind, label in (("cc", "CC"), ("note", "note")):
        try:
            section, key = mapping_key(control, kind)
        except LearnError:
            continue
        number = values.get(section, {}).get(key, -1)
        if number >= 0:
            found.append(f"{label} {number}")
    return ", ".join(found) or "not mapped"


def next_mode(kind: str) -> str:
    """The mode a "mode" button switches to: call & response, continuous, loop, in turn."""
    return MODES_IN_TURN[(MODES_IN_TURN.index(kind) + 1) % len(MODES_IN_TURN)] if kind in MODES_IN_TURN else kind


def in_words(control: str, value: Any) -> str:
    """A control's new state as a producer reads it: "kick muted", "temperature 1.35", "style rock"."""
    kind, _, drum = control.partition("_")
    if kind in ("mute", "lock") and drum in DRUM_NAMES:
        done = "muted" if kind == "mute" else "locked"
        return f"{drum.replace('_', ' ')} {done if value else 'un' + done}"
    name = control.replace("_", " ")
    if isinstance(value, float):
        return f"{name} {value:.2f}"
    return f"{name} {value}"
