"""The control surface in the engine core: knobs and pads mapped to controls, and MIDI learn (pure logic).

`[midi_cc]` and `[midi_notes]` (bridge/settings/midi_map.py) say which CC or
note moves which control.  A knob gives continuous controls their value; a
button's CC fires an action when it rises to 64 or more (a pad sending 127 then
0 fires once, a knob swept past the middle fires once each way up); a pad's
note-on fires an action or toggles a drum's mute or lock.  Actions that only
the terminal UI can carry out (next / previous preset), and the mode switched
here, are kept as numbered requests in the status for the UI to follow.

While learning, the first CC or note-on on any channel is reported instead
of played: the UI turns it into a mapping in the preset.
"""

from __future__ import annotations

from collections import deque

from bridge.music.drums import DRUM_NAMES
from bridge.settings.controls import Controls, control_from_cc
from bridge.settings.midi_map import ACTIONS, Learned, in_words

RAISED = 64  # a CC at or above this is "on" (MIDI's convention for switches)
KEEP_REQUESTS = 8


class ControlSurface:
    def __init__(self) -> None:
        self.cc_controls: dict[int, tuple[str, ...]] = {}
        self.note_controls: dict[int, tuple[str, ...]] = {}
        self.cc_values: dict[int, int] = {}  # the last value of each CC: buttons act on the rise
        self.learning = False
        self.learned: Learned | None = None
        self.requests: deque[tuple[int, str, str]] = deque(maxlen=KEEP_REQUESTS)  # (number, action, value)
        self._learned_count = self._request_count = 0

    def learn(self, kind: str, number: int, channel: int) -> str:
        """Report the first message seen while learning; returns the log line."""
        self._learned_count += 1
        self.learned = Learned(self._learned_count, kind, number, channel)
        self.learning = False
        return f"MIDI learn: {self.learned.describe()}"

    def request(self, action: str, value: str = "") -> None:
        self._request_count += 1
        self.requests.append((self._request_count, action, value))

    def cc(self, number: int, value: int, controls: Controls) -> tuple[Controls, list[str], list[str]]:
        """(controls after CC `number` = `value`, actions to fire, what changed in words)."""
        was = self.cc_values.get(number, 0)
        self.cc_values[number] = value
        actions, words = [], []
        for name in self.cc_controls.get(number, ()):
            if name in ACTIONS:
                if value >= RAISED > was:
                    actions.append(name)
                continue
            controls = control_from_cc(controls, name, value)
            words.append(in_words(name, _value_of(controls, name)))
        return controls, actions, words

    def note(self, number: int, controls: Controls) -> tuple[Controls, list[str], list[str]] | None:
        """A pad's note-on: (controls after it, actions, words), or None when no control has this note."""
        names = self.note_controls.get(number)
        if not names:
            return None
        actions, words = [], []
        for name in names:
            if name in ACTIONS:
                actions.append(name)
                continue
            kind, _, drum = name.partition("_")
            index = DRUM_NAMES.index(drum)
            flags = getattr(controls, kind) ^ {index}
            controls = controls.with_changes(**{kind: flags})
            words.append(in_words(name, index in flags))
        return controls, actions, words


def _value_of(controls: Controls, name: str):
    """The control's new value as in_words shows it (a drum flag: whether it is set)."""
    kind, _, drum = name.partition("_")
    if kind in ("mute", "lock") and drum in DRUM_NAMES:
        return DRUM_NAMES.index(drum) in getattr(controls, kind)
    return getattr(controls, name)
