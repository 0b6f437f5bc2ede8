"""The engine core's control surface: trigger, knob and pad messages, MIDI learn, and actions fired.

A part of EngineCore (core.py), kept here so each module stays readable.
Mapped knobs and pads (control_surface.py) change the controls or fire an
action; the trigger and fill note or CC ([triggers]) come first; a trigger on
a channel the bridge does not listen to is logged once; while learning, the
first CC or note-on is reported instead of played.  Only the core's state is
touched: what is done goes to the outbox.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from bridge.live import events as ev
from bridge.live.note_scheduler import CONTROL_CHANGE, NOTE_OFF, NOTE_ON
from bridge.settings.midi_map import next_mode

if TYPE_CHECKING:
    from collections.abc import Callable

    from bridge.live.control_surface import ControlSurface
    from bridge.live.events import Outbox
    from bridge.live.performance import Performance
    from bridge.settings.controls import Controls

Effect = tuple["Controls", list[str], list[str]]
# An action in the log; the preset buttons say who carries them out (`beatgen run` plays one preset).
ACTION_WORDS = {
    "preset_next": "next preset (the terminal UI loads it)",
    "preset_previous": "previous preset (the terminal UI loads it)",
    "mode": "next mode",
}


class SurfaceEvents:
    """Mixed into EngineCore: what knobs, pads and triggers do."""

    out: Outbox
    performance: Performance
    surface: ControlSurface
    armed: bool
    now: float
    input_channel: int
    trigger_note: int
    trigger_cc: int
    fill_note: int
    fill_cc: int
    ignored_triggers: set[tuple[str, int]]
    # EngineCore's own methods, which the surface's triggers and actions go through.
    _on_command: Callable[[ev.Command, float], None]
    _last_line_open: Callable[[], int]

    @property
    def controls(self) -> Controls:
        return self.performance.controls

    def _note_trigger_elsewhere(self, message: list[int]) -> None:
        """A trigger note or CC on a channel the bridge does not listen to does nothing: say so once per
        trigger and channel, since a pad sending on the wrong channel looks like a dead bridge."""
        kind, channel = message[0] & 0xF0, (message[0] & 0x0F) + 1
        if kind == NOTE_ON and len(message) > 2 and message[2] > 0:
            names = {self.trigger_note: "trigger note", self.fill_note: "fill note"}
        elif kind == CONTROL_CHANGE:
            names = {self.trigger_cc: "trigger CC", self.fill_cc: "fill CC"}
        else:
            return
        name = names.get(message[1])
        if name is None or (name, channel) in self.ignored_triggers:
            return
        self.ignored_triggers.add((name, channel))
        self.out.log(
            f"{name} {message[1]} came on channel {channel}; the bridge listens on channel {self.input_channel} "
            "only ([input] channel): ignored"
        )

    def _on_control_change(self, number: int, value: int) -> None:
        for trigger, name, command in (
            (self.trigger_cc, "regenerate", ev.Trigger()),
            (self.fill_cc, "fill", ev.Fill()),
        ):
            if number == trigger:
                if value >= 64:
                    self.out.log(f"CC {number} = {value}: {name}")
                    self._on_command(command, self.now)
                return
        self._on_surface(f"CC {number} = {value}", self.surface.cc(number, value, self.controls))

    def _on_pad(self, note: int, is_on: bool) -> bool:
        """A trigger note, or a note mapped in [midi_notes]: acted on at its note-on; True when it is one."""
        for trigger, name, command in (
            (self.trigger_note, "regenerate", ev.Trigger()),
            (self.fill_note, "fill", ev.Fill()),
        ):
            if note == trigger:
                if is_on:
                    self.out.log(f"note {note}: {name}")
                    self._on_command(command, self.now)
                return True
        if note not in self.surface.note_controls:
            return False
        if is_on:
            self._on_surface(f"note {note}", self.surface.note(note, self.controls))
        return True

    def _learned(self, message: list[int]) -> bool:
        """While learning: a CC or note-on (any channel) is reported, not played."""
        kind = message[0] & 0xF0
        if kind == CONTROL_CHANGE or (kind == NOTE_ON and len(message) > 2 and message[2] > 0):
            name = "cc" if kind == CONTROL_CHANGE else "note"
            self.out.log(self.surface.learn(name, message[1], (message[0] & 0x0F) + 1))
            return True
        return kind == NOTE_OFF or kind == NOTE_ON  # the release of a pad pressed to learn

    def _on_surface(self, source: str, effect: Effect | None) -> None:
        """Carry out what a knob or pad did: new controls, then its actions (control_surface.py)."""
        if effect is None:
            return
        controls, actions, words = effect
        if controls != self.controls:
            self.performance.controls = controls
        for words_line in words:
            self.out.log(f"{source}: {words_line}")
        for action in actions:
            self.out.log(f"{source}: {ACTION_WORDS.get(action, action)}")
            self._fire(action)

    def _fire(self, action: str) -> None:
        """An action from a button or pad (bridge/settings/midi_map.py ACTIONS)."""
        commands: dict[str, ev.Command] = {
            "regenerate": ev.Trigger(),
            "fill": ev.Fill(),
            "panic": ev.Panic(),
            "arm": ev.Arm(not self.armed),
        }
        if action in commands:
            self._on_command(commands[action], self.now)
        elif action == "mode":
            settings = self.performance.conductor.settings
            kind = next_mode(settings.kind)
            self.performance.apply_mode(dataclasses.replace(settings, kind=kind), self._last_line_open() + 1)
            self.surface.request("mode", kind)
        else:  # next / previous preset: the terminal UI holds the list
            self.surface.request(action)
