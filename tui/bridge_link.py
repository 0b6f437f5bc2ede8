"""The bridge's lifetime in the app: opening it in a thread, commands to it, the 20 Hz poll, closing it.

The real factory gives a `BridgeProcess`: the engine runs in a child
process, so drawing here never takes the GIL from the thread that keeps
time.  The bridge is opened in a worker thread so the screen is interactive
at once; a PortError (no JACK server, no ALSA sequencer) is not fatal: the
app says why and what to do (NoMidiNotice).  The poll timer reads one status
snapshot and hands it to the status bar and the pattern view, which redraw
only what changed.  The app keeps the state tests and widgets read (bridge,
connection, status, polls); this object keeps the rest.

A bridge that stops on its own (its child killed, its JACK server gone) is
noticed by the next poll (BridgeProcess.exit_reason): the notice says why
and offers r, which opens a new one with the preset as it stands and makes
it switch every note off first (see NoMidiNotice's GONE_HELP for the limit).

SIGINT, SIGTERM, SIGHUP (a closed terminal) and SIGQUIT quit like ctrl+q,
the bridge switching every note off first, and the app then exits with
128 + the signal's number, the status a shell reports for a process killed
by that signal, so a script still sees how the UI ended.
"""

from __future__ import annotations

import asyncio
import signal
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from bridge.live.events import Panic, SetControls, UsePreset
from bridge.settings.presets import Preset
from bridge.system.priority import lower_drawing_priority

from .no_midi_notice import NoMidiNotice
from .options import AppOptions
from .status_bar import Connection

if TYPE_CHECKING:
    from .app import BeatGenApp


# Each quits the app as ctrl+q does; SIGQUIT too (its default, a core dump, would leave notes sounding).
QUIT_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")


class BridgeLink:
    """Opens, feeds, polls and closes the app's bridge; every change shows on the app's widgets."""

    def __init__(self, app: BeatGenApp) -> None:
        self.app = app
        self.quitting = False
        # Controls this app sent (recent ones), and the engine's controls at the last poll: a change
        # in the engine that is none of ours came from a MIDI CC (see _follow_engine_controls).
        self.sent_controls: deque = deque(maxlen=16)
        self.engine_controls = None
        self.requests_seen: int | None = None  # the newest request of the bridge's status handled
        self.spawner: ThreadPoolExecutor | None = None  # set by start_spawner (on_mount), before the first open
        self.silence_first = False  # the next bridge opened replaces one that died: it switches notes off first

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
        """SIGINT / SIGTERM / SIGHUP (a closed terminal) / SIGQUIT quit like ctrl+q: the bridge switches every
        note off; the exit status is then 128 + the signal's number (module docstring)."""
        loop = asyncio.get_running_loop()
        for name in QUIT_SIGNALS:
            signum = getattr(signal, name, None)
            if signum is None:
                continue
            try:
                loop.add_signal_handler(signum, self._quit_by_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError):
                # Windows' event loop has no signal handlers, and only the main thread may set them.
                # Without them the bridge child still switches its notes off: it closes itself when
                # its pipe to this process ends (bridge/live_bridge.py).
                return

    def _quit_by_signal(self, signum: int) -> None:
        if self.quitting:  # a second signal while the first closes the bridge (Ctrl-C twice, a group signal)
            return
        self.app.bridge_log(f"{signal.Signals(signum).name} received: quitting, every note off")
        self.app.run_worker(self.quit(128 + signum))

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
        self.requests_seen = None  # and its requests are counted afresh
        app.pattern.clear()
        app._open_bridge(old, app.current_preset(), app.options)  # the app's worker runs open_in_thread

    def open_in_thread(self, old, preset: Preset, options: AppOptions) -> None:
        """In the worker thread: close the old bridge, open a new one, report back to the app's thread."""
        from bridge.midi_io.ports import PortError

        if old is not None:
            old.close()
        try:
            bridge = self.app.bridge_factory(preset, options, self.app.bridge_log)
            assert self.spawner is not None  # started in on_mount, before the first open
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
        if self.silence_first:
            # The bridge before this one died with notes on: the new one switches its channel off
            # (All Notes Off, All Sound Off) as soon as its ports are open, through its own engine.
            self.silence_first = False
            if self.send(Panic()):
                app.bridge_log("restarted after the bridge stopped: all notes off sent on the new port")
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
        reason = self._exit_reason(app.bridge)
        if reason is not None:
            self.gone(reason)
        elif app.bridge is not None:
            try:
                app.status = app.bridge.status()
            except Exception as error:  # noqa: BLE001 - the child process died: say so, keep the app
                app.bridge, app.status = None, None
                self.failed("error", f"the bridge stopped ({type(error).__name__}: {error})")
            else:
                self._follow_engine_controls(app.status.controls)
                self._follow_requests(app.status.requests)
        app.show_status()

    @staticmethod
    def _exit_reason(bridge) -> str | None:
        """Why the bridge stopped by itself, or None (still running, none, or a bridge that cannot say)."""
        exit_reason = getattr(bridge, "exit_reason", None)
        return exit_reason() if exit_reason is not None else None

    def gone(self, reason: str) -> None:
        """The bridge stopped while it ran: say why, offer r; the next bridge opened switches notes off first.

        This process has no MIDI port of its own (only the child ever had one), so the silence it can
        give is through the next bridge: see NoMidiNotice.GONE_HELP, which the notice shows.
        """
        app = self.app
        bridge, app.bridge, app.status = app.bridge, None, None
        self.silence_first = True
        text = f"the bridge stopped unexpectedly ({reason})"
        app.bridge_log(f"{text}; press r to restart it")
        app.connection = Connection("gone", f"{text} - r restarts it")
        app.query_one("#no-midi", NoMidiNotice).show_gone(text)
        app.pattern.display = False
        if bridge is not None:
            bridge.close()  # the child has exited: this only joins it and closes the pipe (no waiting)

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

    def _follow_requests(self, requests) -> None:
        """Buttons and pads mapped to a mode or a preset change (ControlSurface's requests): the mode
        the engine switched to shows in the editor; the next or previous preset is loaded here, the one
        place that holds the list.  Requests the bridge kept from before this app saw it are not replayed."""
        newest = requests[-1][0] if requests else 0
        seen, self.requests_seen = self.requests_seen, newest
        if seen is None:
            return
        for number, action, value in requests:
            if number <= seen:
                continue
            if action == "mode":
                self.app.change("mode", "kind", value)
            elif action in ("preset_next", "preset_previous"):
                self._step_preset(1 if action == "preset_next" else -1)

    def _step_preset(self, direction: int) -> None:
        app = self.app
        names = [entry.name for entry in app.store_entries() if entry.error is None]
        if not names:
            return
        index = names.index(app.preset.name) if app.preset.name in names else -direction
        app.load_preset_named(names[(index + direction) % len(names)])

    # -- the end ---------------------------------------------------------------------------

    def close(self) -> None:
        app = self.app
        bridge, app.bridge = app.bridge, None
        if bridge is not None:
            bridge.close()

    async def quit(self, return_code: int = 0) -> None:
        """ctrl+q (or a signal, with its exit status): the bridge switches its notes off before the app exits."""
        if self.quitting:
            return  # a second ctrl+q or signal while the first is closing the bridge
        self.quitting = True
        await asyncio.to_thread(self.close)  # the child process takes a moment to switch notes off
        self.app.exit(return_code=return_code)

    def shut_down(self) -> None:
        """The app is unmounting: close the bridge, the spawner thread and the log file.

        Also after a failed start (on_mount raised before the spawner existed): nothing here may
        raise over the error Textual is about to report.
        """
        self.quitting = True
        self.close()
        if self.spawner is not None:
            self.spawner.shutdown(wait=False)
        self.app.bridge_log.close()
