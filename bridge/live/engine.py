"""The engine's thread shell: an inbox, a deadline wait, and the core's actions carried out.

Everything with logic in it lives in EngineCore (core.py), which never reads
a clock nor touches a thread.  This shell is all that does: the port
driver's thread posts stamped MIDI, the UI and CLI post typed commands, the
inference worker posts its results, and one thread (raised to real-time
priority where permitted) feeds each to `core.step(event, now)`, sleeps
until `core.next_deadline()`, and carries out what comes back: sends on the
output port, jobs for the worker, log lines.  After each batch it publishes
the core's status for other threads to read.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from bridge.live.bar_history import BarView
from bridge.live.core import EngineCore
from bridge.live.events import (
    Action,
    ApplyPreset,
    CancelJobs,
    Closing,
    Command,
    Fill,
    LinkControl,
    LinkMissing,
    LinkUpdate,
    Log,
    MidiIn,
    Send,
    Started,
    Submit,
    UsePreset,
    Wake,
)
from bridge.live.link_session import LinkSession
from bridge.live.settings import LiveSettings
from bridge.live.status import TICKS_PER_BAR, EngineStatus
from bridge.live.worker import InferenceWorker
from bridge.model.controls import unplayable_controls
from bridge.model.step_model import StepModel
from bridge.music.conditions import FOLLOW
from bridge.settings.controls import Controls
from bridge.settings.presets import Preset
from bridge.system.priority import raise_bridge_priority

__all__ = ["TICKS_PER_BAR", "BarView", "Engine", "EngineStatus"]

_STOP = object()  # put in the inbox by close()


def _never_raising(log: Callable[[str], None]) -> Callable[[str], None]:
    """Logging never stops the engine: a log that fails (stderr closed, disk full) costs its line."""

    def log_line(line: str) -> None:
        try:
            log(line)
        except Exception:  # noqa: BLE001, S110 - the music goes on without the line
            pass

    return log_line


class Engine:
    def __init__(
        self,
        preset: Preset,
        model: StepModel,
        send: Callable[[tuple[int, ...]], None],
        log: Callable[[str], None] = lambda line: None,
        clock_source: str | None = None,
        auto_link: bool = False,
    ) -> None:
        self.core = EngineCore(LiveSettings.from_preset(preset), clock_source, auto_link)
        self.send_midi, self.log = send, _never_raising(log)
        self.model_info = model.info
        self._control_problem: str | None = None  # logged once, not at every tweak
        self._check_controls(self.core.controls)
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.worker = InferenceWorker(model, self.inbox)
        self._status_lock = threading.Lock()
        self._status: EngineStatus = self.core.status()
        self._thread = threading.Thread(target=self._run, name="beatgen-engine", daemon=True)
        self.link: LinkSession | None = None  # opened when the core first asks for Link

    # -- public, thread-safe ---------------------------------------------------------------

    def set_input_period(self, seconds: float | None) -> None:
        """The MIDI backend's period (MidiPorts.input_period), before start(): with it the clock can
        tell a tick JACK delivered twice from two ticks of one batch."""
        self.core.clock.input_period = seconds

    def set_output_period(self, seconds: float | None) -> None:
        """How often the output port writes what is sent (MidiPorts.output_period), before start():
        on Link the core then hands notes over half of it early (core._output_lead_s)."""
        self.core.output_period = seconds

    def start(self) -> None:
        self.worker.start()
        self._thread.start()

    def post_midi(self, message, timestamp: float) -> None:
        """Called by the port driver's thread for every incoming packet."""
        self.inbox.put(MidiIn(tuple(message), timestamp))

    def command(self, command: Command | UsePreset) -> None:
        """A typed command (events.py).  A UsePreset's note maps are read here, on the caller's thread,
        so a bad one raises NoteMapError to the caller and the engine thread never reads a file."""
        if isinstance(command, UsePreset):
            command = ApplyPreset(LiveSettings.from_preset(command.preset))
        controls = command.settings.controls if isinstance(command, ApplyPreset) else getattr(command, "controls", None)
        if isinstance(controls, Controls):  # anything else fails on the engine thread, which reports it
            self._check_controls(controls)
        elif isinstance(command, Fill):
            self._check_controls(None)
        self.inbox.put(command)

    def _check_controls(self, controls: Controls | None) -> None:
        """Log what the controls (None: a fill on cue) ask of the model that it cannot play."""
        style, fills = (FOLLOW, True) if controls is None else (controls.style, controls.fill_every > 0)
        problem = unplayable_controls(self.model_info, style, fills)
        if problem is not None and (controls is None or problem != self._control_problem):
            self.log(problem)
        if controls is not None:
            self._control_problem = problem

    def history(self, limit_bars: int = 256) -> list[BarView]:
        """The last `limit_bars` bars heard or sent since the last Start, oldest first (for export)."""
        return self.core.performance.history.copy(limit_bars)  # BarHistory is safe from any thread

    def status(self) -> EngineStatus:
        with self._status_lock:
            return self._status

    def close(self, timeout: float = 2.0) -> None:
        """Stop the threads; every sounding note is switched off before this returns."""
        self.inbox.put(_STOP)
        self._thread.join(timeout)
        self.worker.shutdown()
        self.worker.join(timeout)
        if self.link is not None:
            self.link.close()

    # -- the engine thread --------------------------------------------------------------------

    def _run(self) -> None:
        self.log(raise_bridge_priority())
        try:
            self._carry_out(self.core.step(Started(), time.monotonic()))
            while self._serve_batch():
                self._publish()
        except Exception as error:  # a bug must still leave the synth silent
            self.log(f"engine error: {type(error).__name__}: {error}; silencing")
            raise
        finally:
            self._carry_out(self.core.step(Closing(), time.monotonic()))
            self._publish()

    def _serve_batch(self) -> bool:
        """Wait for the next event or deadline, then step through everything waiting; False on close."""
        try:
            event = self.inbox.get(timeout=max(0.0, self.core.next_deadline() - time.monotonic()))
        except queue.Empty:
            event = Wake()
        while True:
            if event is _STOP:
                return False
            self._carry_out(self.core.step(event, time.monotonic()))
            try:
                event = self.inbox.get_nowait()
            except queue.Empty:
                return True

    def _carry_out(self, actions: list[Action]) -> None:
        port_failed = False
        for action in actions:
            if isinstance(action, Send):
                port_failed = port_failed or not self._send(action.message)
            elif isinstance(action, Submit):
                self.worker.submit(action.job)
            elif isinstance(action, CancelJobs):
                self.worker.cancel(action.epoch)
            elif isinstance(action, Log):
                self.log(action.line)
            elif isinstance(action, LinkControl):
                self._link_control(action)

    def _link_control(self, control: LinkControl) -> None:
        """The core's requests to the Link session; the session is opened at the first one."""
        if control.enable and self.link is None:
            try:
                self.link = LinkSession(lambda state: self.inbox.put(LinkUpdate(state)), self.core.transport.bpm)
            except ImportError as error:
                self.inbox.put(LinkMissing(str(error)))
                return
            self.link.start()
        if self.link is None:
            return
        if control.enable is not None:
            self.link.enable(control.enable)
        if control.tempo is not None:
            self.link.set_tempo(control.tempo)
        if control.playing is not None:
            self.link.set_playing(control.playing, control.at if control.at is not None else time.monotonic())

    def _send(self, message: tuple[int, ...]) -> bool:
        try:
            self.send_midi(message)
        except Exception as error:  # a dead port must not kill the engine
            self.log(f"output port error: {error}")
            return False
        return True

    def _publish(self) -> None:
        status = self.core.status()
        with self._status_lock:
            self._status = status
