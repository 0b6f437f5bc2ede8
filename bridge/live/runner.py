"""The live bridge as an object: model, engine and MIDI ports, opened and closed together.

`LiveBridge` is what `beatgen run` runs: it loads the model, builds the
engine, opens the ports and starts the engine's threads.  The terminal UI
runs the same object in a child process (bridge_process.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.midi_io.ports import DEFAULT_IN_NAME, DEFAULT_OUT_NAME, PortError
from bridge.model.files import DEFAULT_MODEL_DIR, ModelError
from bridge.settings.note_maps import NoteMapError
from bridge.settings.presets import Preset, PresetError

if TYPE_CHECKING:
    from bridge.live.engine import Engine
    from bridge.midi_io.ports import MidiPorts

# The engine thread must get the GIL back within this long when the inference
# worker is busy (CPython's default is 5 ms, longer than our timing budget).
SWITCH_INTERVAL_S = 0.0005
READY_TIMEOUT_S = 5.0  # the child's start: interpreter, imports, model, ports
STATUS_HZ = 30.0
TEMPO_LOG_INTERVAL_S = 0.5  # as often as `beatgen run` looks at the tempo
CLOSE_TIMEOUT_S = 3.0  # after this the child is killed (it has had time to switch every note off)
REPLY_TIMEOUT_S = 2.0
TEMPO_LOG_STEP_BPM = 2.0
# Errors the child reports by name and the parent raises again as the same class.
KNOWN_ERRORS = {cls.__name__: cls for cls in (PortError, ModelError, PresetError, NoteMapError)}

Log = Callable[[str], None]


def stderr_log(line: str) -> None:
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr closed (a pipe whose reader quit): the line is lost, not the bridge
        pass


class TempoLog:
    """Logs the tempo the clock settles on, and changes of 2 BPM or more.

    Clock ticks arrive in audio-period batches, so the estimate wobbles by
    about 1 % on a steady clock; smaller changes are not news.
    """

    def __init__(self, log: Log) -> None:
        self.log = log
        self.logged_bpm: float | None = None

    def update(self, status) -> None:
        if (
            status.bpm
            and status.running
            and (self.logged_bpm is None or abs(status.bpm - self.logged_bpm) >= TEMPO_LOG_STEP_BPM)
        ):
            first = self.logged_bpm is None
            self.log(f"clock locked: {status.bpm:.1f} BPM ({status.clock})" if first else f"tempo {status.bpm:.1f} BPM")
            self.logged_bpm = status.bpm
        elif not status.running:
            self.logged_bpm = None


def auto_link_wanted() -> bool:
    """Whether the auto clock source watches Ableton Link for peers: where the [link] extra is installed,
    unless BEATGEN_LINK_AUTO=off (for a machine whose network must not see Link's multicast)."""
    from bridge.live.link_session import link_available

    return os.environ.get("BEATGEN_LINK_AUTO", "on") != "off" and link_available()


class LiveBridge:
    """Model, engine and ports in this process (`beatgen run`, and the child of BridgeProcess)."""

    def __init__(
        self,
        preset: Preset,
        model_dir: str | Path = DEFAULT_MODEL_DIR,
        variant: str = "float32",
        backend: str = "auto",
        in_name: str = DEFAULT_IN_NAME,
        out_name: str = DEFAULT_OUT_NAME,
        clock: str | None = None,
        log: Log = stderr_log,
    ) -> None:
        self.preset, self.model_dir, self.variant = preset, model_dir, variant
        self.backend, self.in_name, self.out_name, self.clock = backend, in_name, out_name, clock
        self.log = log
        self.engine: Engine | None = None
        self.ports: MidiPorts | None = None
        self._closed = False

    def open(self) -> LiveBridge:
        """Load the model, open the ports, start the engine; ModelError or PortError say in one line why not."""
        from bridge.live.engine import Engine
        from bridge.midi_io.ports import open_ports
        from bridge.model.step_model import StepModel

        self._check_link()
        model = StepModel(self.model_dir, self.variant)
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        outbox: list = []  # the ports, once open; the engine sends through them
        engine = Engine(
            self.preset, model, lambda message: outbox[0].send(message), self.log, self.clock, auto_link_wanted()
        )
        ports = open_ports(engine.post_midi, self.backend, self.in_name, self.out_name)
        outbox.append(ports)
        engine.set_input_period(ports.input_period)
        if os.environ.get("BEATGEN_OUTPUT_LEAD", "on") != "off":  # "off": to compare (docs/live.md)
            engine.set_output_period(ports.output_period)
        self.engine, self.ports = engine, ports
        self.log(self.preset.summary())
        for reason in ports.passed_over:  # --backend auto: what it tried first, and why not
            self.log(f"ports: passed over {reason}")
        self.log(f"ports ready ({ports.describe()})")
        engine.start()
        return self

    def _check_link(self) -> None:
        """Link chosen (--clock or the preset) without the [link] extra: one line saying how to get it."""
        from bridge.live.link_session import INSTALL_HINT, link_available

        if (self.clock or self.preset["clock"]["source"]) == "link" and not link_available():
            raise PresetError(INSTALL_HINT)

    def fault(self) -> str | None:
        """Why the bridge can no longer play (the JACK server went away), or None while it can.

        Watched by `beatgen run` (which then exits) and by the UI's bridge child (which reports it)."""
        return self.ports.fault if self.ports is not None else None

    def describe(self) -> str:
        """The backend and the port names (what the DAW must connect to)."""
        return self.ports.describe() if self.ports is not None else "not open"

    def command(self, command) -> None:
        """Engine.command: a typed command from bridge/live/events.py (Trigger, Panic, UsePreset, ...)."""
        self._engine().command(command)

    def status(self):
        return self._engine().status()

    def history(self, limit_bars: int = 256) -> list:
        return self._engine().history(limit_bars)

    def close(self) -> None:
        """Stop the engine (every sounding note switched off), then close the ports.  Idempotent."""
        if self.engine is None or self._closed:
            return
        self._closed = True
        self.engine.close()
        assert self.ports is not None  # opened together with the engine
        self.ports.close()
        status = self.engine.status()
        self.log(f"stopped: all notes off ({status.notes_sent} notes sent, {status.late_notes} late)")

    def _engine(self):
        if self.engine is None:
            raise RuntimeError("the bridge is not open")
        return self.engine


# -- the bridge in a child process --------------------------------------------------------
