"""Helpers for the TUI tests: a fake bridge with the BridgeProcess API, and an app factory on temp folders.

The fake records every command and applies the ones a status would show
(controls, arm/disarm, preset), so a Pilot test can check both what the app
sent and what it then displays.  Its status is the real EngineStatus with
the real BarView, so a change of those classes breaks these tests too.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bridge.live import events
from bridge.live.bar_history import BarView
from bridge.live.settings import LiveSettings
from bridge.midi_io.ports import PortError
from bridge.music.hits import Hit
from bridge.settings.controls import Controls, control_from_cc
from tui.app import AppOptions, create_app

DESCRIBE = "jack: virtual ports in='Beat Generation In' out='Beat Generation Out'"


def engine_status(**changes):
    from bridge.live.engine import EngineStatus

    base = {
        "clock": "waiting", "running": False, "stalled": False, "bpm": None, "position_ticks": 0, "mode_state": "listening",
        "armed": True, "notes_sent": 0, "late_notes": 0, "bars_generated": 0, "late_bars": 0, "controls": Controls(), "bars": (),
        "preset_name": "call-and-response", "mode": "call_response", "offset_ms": 0.0, "loop_history": (0, 0),
    }  # fmt: skip
    base.update(changes)
    names = {field.name for field in dataclasses.fields(EngineStatus)}
    return EngineStatus(**{key: value for key, value in base.items() if key in names})


def groove_bars() -> tuple[BarView, ...]:
    """Two seed bars (kick, snare, hats) and two generated bars (a variation with a crash)."""
    seed = tuple(
        [Hit(beat, 0 if beat % 2 == 0 else 1, 100) for beat in range(4)]
        + [Hit(beat / 2, 3, 70 if beat % 2 else 50) for beat in range(8)]
    )
    generated = tuple(list(seed) + [Hit(0.0, 9, 110), Hit(3.75, 1, 40)])
    return (BarView(0, "seed", seed), BarView(1, "seed", seed), BarView(2, "generated", generated),
            BarView(3, "generated", seed))  # fmt: skip


class FakeBridge:
    """BridgeProcess's API without MIDI: open() can fail like the real one."""

    instances: list[FakeBridge] = []

    def __init__(self, preset, options, log, fail: Exception | None = None, status=None) -> None:
        self.preset, self.options, self.log, self.fail = preset, options, log, fail
        self.commands: list[tuple[str, object]] = []
        self.opened = self.closed = False
        self.current = status if status is not None else engine_status(controls=Controls.from_preset(preset))
        self.history_bars = list(groove_bars())
        self.held: list = []  # controls commands received but not applied yet (hold_controls)
        self.holding = False
        FakeBridge.instances.append(self)

    def open(self) -> None:
        if self.fail is not None:
            raise self.fail
        self.opened = True  # (no log line: its time stamp would make snapshots differ)

    def describe(self) -> str:
        return DESCRIBE

    def command(self, command) -> None:
        name, value = named(command)
        self.commands.append((name, value))
        if name == "controls" and self.holding:
            self.held.append(value)
        elif name == "controls":
            self.current = dataclasses.replace(self.current, controls=value)
        elif name in ("arm", "disarm"):
            armed = name == "arm"
            state = "listening" if armed else "disarmed"
            self.current = dataclasses.replace(self.current, armed=armed, mode_state=state)
        elif name == "preset":
            self.preset = value
            self.current = dataclasses.replace(self.current, controls=Controls.from_preset(value))

    def turn_knob(self, number: int, value: int) -> None:
        """A MIDI CC arriving, as the engine applies it: the preset's [midi_cc] mapping, control_from_cc."""
        controls = self.current.controls
        for name in LiveSettings.from_preset(self.preset).cc_controls.get(number, ()):
            controls = control_from_cc(controls, name, value)
        self.current = dataclasses.replace(self.current, controls=controls)

    def apply_held(self, count: int) -> None:
        """The engine catches up with `count` of the controls commands it was sent (a busy bridge)."""
        for value in self.held[:count]:
            self.current = dataclasses.replace(self.current, controls=value)
        del self.held[:count]

    def status(self):
        return self.current

    def history(self, limit_bars: int = 256):
        return self.history_bars[-limit_bars:]

    def close(self) -> None:
        self.closed = True

    def sent(self, name: str) -> list:
        return [value for command, value in self.commands if command == name]


def named(command) -> tuple[str, object]:
    """A typed command as (name, value), the way these tests read what the app sent."""
    if isinstance(command, events.Arm):
        return ("arm" if command.armed else "disarm"), None
    if isinstance(command, events.SetControls):
        return "controls", command.controls
    if isinstance(command, events.UsePreset):
        return "preset", command.preset
    if isinstance(command, events.SetBpm):
        return "bpm", command.bpm
    return type(command).__name__.lower(), None


def fake_factory(fail: Exception | None = None, status=None):
    def factory(preset, options, log):
        return FakeBridge(preset, options, log, fail, status)

    return factory


NO_MIDI = PortError(
    "no MIDI backend could open ports (tried alsa, jack): alsa: no ALSA sequencer (load it with `modprobe snd-seq`;"
    " containers need /dev/snd/seq) - or use --backend jack; jack: no JACK server running (start `jackd`, or run the"
    " bridge under PipeWire's `pw-jack`)"
)


def make_app(config: Path, factory=None, **options):
    """The app through create_app, with presets and state in `config` (a test's temporary folder)."""
    from bridge.settings.preset_store import PresetStore

    store = PresetStore(user_dir=config / "presets", state_file=config / "state.toml")
    options.setdefault("scan_ports", False)
    return create_app(AppOptions(**options), factory or fake_factory(), store)
