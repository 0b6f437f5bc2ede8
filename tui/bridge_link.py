"""The bridge's lifetime in the app: opening it in a thread, commands to it, the 20 Hz poll, closing it.

The real factory gives a `BridgeProcess`: the engine runs in a child
process, so drawing here never takes the GIL from the thread that keeps
time.  The bridge is opened in a worker thread so the screen is interactive
at once; a PortError (no JACK server, no ALSA sequencer) is not fatal: the
app says why and what to do (NoMidiNotice).  The poll timer reads one status
snapshot and hands it to the status bar and the pattern view, which redraw
only what changed.  The app keeps the state tests and widgets read (bridge,
connection, status, polls); this object keeps the rest.
"""

from __future__ import annotations

import asyncio
import signal
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from bridge.live.events import SetControls, UsePreset
from bridge.settings.presets import Preset
from bridge.system.priority import lower_drawing_priority

from .no_midi_notice import NoMidiNotice
from .options import AppOptions
from .status_bar import Connection

if TYPE_CHECKING:
    from .app import BeatGenApp


class BridgeLink:
    """Opens, feeds, polls and closes the app's bridge; every change shows on the app's widgets."""

    def __init__(self, app: BeatGenApp) -> None:
        self.app = app
        self.quitting = False
        # Controls this app sent (recent ones), and the engine's controls at the last poll: a change
        # in the engine that is none of ours came from a MIDI CC (see _follow_engine_controls).
        self.sent_controls: deque = deque(maxlen=16)
        self.engine_controls = None
        self.spawner: ThreadPoolExecutor  # set by start_spawner (on_mount), before the first open

    # -- start ---------------------------------------------------------------------------

    def start_spawner(self, lower_priority: bool) -> None:
        """The thread that starts bridge children, then (beatgen tui) the UI's own lower priority.

        The bridge child is started from this thread, created before the UI's own priority
        is lowered: a new thread or process inherits its creator's nice value.
        """
        self.spawner = ThreadPoolExecutor(1, thread_name_prefix="beatgen-bridge-spawner")
        self.spawner.submit(int).result()
        if lower_priority:
            lower_drawing_priority()  # measured with `beatgen bench-live --ui`: docs/tui.md

    def quit_on_signals(self) -> None:
        """SIGTERM / SIGHUP (a closed terminal, `kill`) quit like ctrl+q: the bridge switches every note off."""
        app = self.app
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if signum is None:
                continue
            try:
                loop.add_signal_handler(signum, lambda: app.run_worker(app.action_quit()))
            except (NotImplementedError, RuntimeError, ValueError):
                # Windows' event loop has no signal handlers, and only the main thread may set them.
                # Without them the bridge child still switches its notes off: it closes itself when
                # its pipe to this process ends (bridge/live_bridge.py).
                return

    # -- opening ---------------------------------------------------------------------------

    def open(self) -> None:
        """(Re)open the bridge with the preset as it stands; the old one is closed in the worker thread."""
        app = self.app
        app.connection = Connection("opening")
        app.query_one("#no-midi", NoMidiNotice).set_class(False, "-shown")
        app.pattern.display = True
        app.show_status()
        old, app.bridge, app.status = app.bridge, None, None
        self.engine_controls = None  # the new bridge starts from the preset as it stands
        app.pattern.clear()
        app._open_bridge(old, app.current_preset(), app.options)  # the app's worker runs open_in_thread

    def open_in_thread(self, old, preset: Preset, options: AppOptions) -> None:
        """In the worker thread: close the old bridge, open a new one, report back to the app's thread."""
        from bridge.midi_io.ports import PortError

        if old is not None:
            old.close()
        try:
            bridge = self.app.bridge_factory(preset, options, self.app.bridge_log)
            self.spawner.submit(bridge.open).result()
            describe = bridge.describe()
        except PortError as error:
            self._from_thread(self.failed, "no-midi", str(error))
            return
        except Exception as error:  # noqa: BLE001 - a bad model or a dead child is shown, the app stays
            self._from_thread(self.failed, "error", f"{type(error).__name__}: {error}")
            return
        if self.quitting or not self._from_thread(self._opened, bridge, describe):
            bridge.close()  # the app quit while the ports were opening

    def _from_thread(self, callback, *args) -> bool:
        try:
            self.app.call_from_thread(callback, *args)
            return True
        except RuntimeError:  # the app is no longer running
            return False

    def _opened(self, bridge, describe: str) -> None:
        if self.quitting:
            bridge.close()
            return
        app = self.app
        app.bridge = bridge
        app.connection = Connection("open", describe)
        app.show_status()

    def failed(self, state: str, text: str) -> None:
        """No bridge ("no-midi" or "error"): the notice says why, in place of the pattern."""
        app = self.app
        app.connection = Connection(state, text)
        app.query_one("#no-midi", NoMidiNotice).show_failure(state, text)
        app.pattern.display = False
        app.show_status()

    # -- running ---------------------------------------------------------------------------

    def send(self, command) -> bool:
        """A typed command (bridge/live/events.py) to the running bridge; False when there is none."""
        app = self.app
        if app.bridge is None:
            return False
        if isinstance(command, (SetControls, UsePreset)):
            from bridge.settings.controls import Controls

            sent = command.controls if isinstance(command, SetControls) else Controls.from_preset(command.preset)
            self.sent_controls.append(sent)
        try:
            app.bridge.command(command)
        except Exception as error:  # noqa: BLE001 - a bridge that died is reported by the next poll
            app.bridge_log(f"command {type(command).__name__} failed: {error}")
            return False
        return True

    def poll(self) -> None:
        """20 times a second: one status snapshot to the widgets."""
        app = self.app
        app.polls += 1
        if app.bridge is not None:
            try:
                app.status = app.bridge.status()
            except Exception as error:  # noqa: BLE001 - the child process died: say so, keep the app
                app.bridge, app.status = None, None
                self.failed("error", f"the bridge stopped ({type(error).__name__}: {error})")
            else:
                self._follow_engine_controls(app.status.controls)
        app.show_status()

    def _follow_engine_controls(self, controls) -> None:
        """A knob mapped in [midi_cc] moved a control: the editor and the preset follow, as if typed
        (the preset is then unsaved, like a plugin's patch after a knob turn).  Controls the app
        sent itself are skipped, so an older state polled before the engine applied the latest
        edit never undoes it."""
        seen, self.engine_controls = self.engine_controls, controls
        if seen is None or controls == seen or controls in self.sent_controls:
            return
        for (section, key), value in controls.preset_values().items():
            current = self.app.values[section][key]
            if (set(current) != set(value)) if isinstance(value, list) else current != value:
                self.app.change(section, key, value)

    # -- the end ---------------------------------------------------------------------------

    def close(self) -> None:
        app = self.app
        bridge, app.bridge = app.bridge, None
        if bridge is not None:
            bridge.close()

    async def quit(self) -> None:
        """ctrl+q: the bridge switches its notes off before the app exits."""
        self.quitting = True
        await asyncio.to_thread(self.close)  # the child process takes a moment to switch notes off
        self.app.exit()

    def shut_down(self) -> None:
        """The app is unmounting: close the bridge, the spawner thread and the log file."""
        self.quitting = True
        self.close()
        self.spawner.shutdown(wait=False)
        self.app.bridge_log.close()
