"""The Textual app: the bridge running behind a screen of status, pattern, presets and controls.

`create_app(options)` is the one way in, for `beatgen` / `beatgen tui`, the
start-time benchmark and the tests (which inject a bridge factory and a
preset store).  The app owns:

- the bridge, opened in a thread so the screen is interactive at once.  The
  real factory gives a `BridgeProcess`: the engine runs in a child process,
  so drawing here never takes the GIL from the thread that keeps time.
  A PortError (no JACK server, no ALSA sequencer) is not fatal: the app says
  why and what to do, and offers offline generation and the port picker.
- the preset being played: the loaded file plus your edits.  Each edit goes
  to the running bridge at once: live controls (temperature, density,
  mute/lock, feel, offset...) as a new Controls, the internal tempo as
  "bpm", anything else (mode, bar counts, maps, triggers) as the whole
  preset.  ctrl+s writes it back; factory presets are read-only.
- a poll timer (20 Hz) that reads one status snapshot and hands it to the
  status bar and the pattern view, which redraw only what changed.

Keys are bindings on the app.  `p` (panic) is a priority binding so it
works whatever has focus, over dialogs and in number fields (NumberInput
leaves letters to the app); in a free-text field (a name, a path) Textual
gives the p to the field - a panic key that made "p" untypeable in file
names would be worse - and Esc leaves the field.
"""

from __future__ import annotations

import asyncio
import copy
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Static

from bridge.model.files import DEFAULT_MODEL_DIR
from bridge.music.drums import DRUM_NAMES
from bridge.settings.presets import DEFAULT_PRESET, PRESET_SCHEMA, Preset, PresetError
from bridge.system.priority import lower_drawing_priority

from .pattern_view import PatternView
from .preset_editor import PresetEditor
from .preset_list import PresetList
from .status_bar import Connection, StatusBar

# Same names as bridge.ports (not imported from there: that would load rtmidi before the first frame).
DEFAULT_IN_NAME = "Beat Generation In"
DEFAULT_OUT_NAME = "Beat Generation Out"
POLL_HZ = 20.0
TEMPERATURE_STEP = 0.1
# Preset keys that are live Controls in the engine (bridge/controls.py): sent as "controls".
CONTROL_FIELDS = {
    *(("generation", key) for key in ("temperature", "top_k", "top_p", "adherence", "density", "random_seed")),
    *(("feel", key) for key in ("velocity_scale", "swing", "humanize_ms", "quantize")),
    ("drums", "mute"),
    ("drums", "lock"),
    ("output", "offset_ms"),
    ("output", "thru"),
}
NOT_LIVE = {("preset", "description")}  # nothing in the engine depends on it
NO_MIDI_HELP = (
    "What to do: start a JACK server (jackd, or run under PipeWire's pw-jack) or load the ALSA sequencer "
    "(modprobe snd-seq), then press r to retry; w picks another backend or port names. "
    "docs/setup.md shows how to route a DAW. Meanwhile o continues a MIDI file offline with this preset."
)


@dataclass(frozen=True)
class AppOptions:
    """What `beatgen tui` was asked for (the same options as `beatgen run`)."""

    preset: str | None = None  # name or path; None = the last used (the default preset the first time)
    backend: str = "auto"
    in_name: str = DEFAULT_IN_NAME
    out_name: str = DEFAULT_OUT_NAME
    model_dir: str = str(DEFAULT_MODEL_DIR)
    variant: str = "float32"
    clock: str | None = None
    log_path: str | None = None
    user_presets_dir: Path | None = None  # None = bridge.preset_store.USER_PRESETS_DIR
    state_file: Path | None = None  # where the last used preset is remembered (None = the store's default)
    poll_hz: float = POLL_HZ
    scan_ports: bool = True  # the port picker lists what each backend sees
    offline_seed: Path | None = None  # the file offline generation offers first (None = the bundled example groove)
    exit_when_ready: bool = False  # the start-time benchmark: quit as soon as the first frame is up
    # beatgen tui: the drawing thread yields to the bridge (not in tests: the test process keeps its priority)
    lower_priority: bool = False


BridgeFactory = Callable[[Preset, AppOptions, Callable[[str], None]], Any]


def real_bridge(preset: Preset, options: AppOptions, log: Callable[[str], None]):
    """The bridge in a child process (bridge.live_bridge.BridgeProcess), not yet open."""
    from bridge.live.runner import BridgeProcess

    return BridgeProcess(
        preset,
        options.model_dir,
        options.variant,
        backend=options.backend,
        in_name=options.in_name,
        out_name=options.out_name,
        clock=options.clock,
        log=log,
    )


def prepare_child_processes() -> None:
    """Start multiprocessing's resource tracker now, while sys.stderr is still the terminal.

    BridgeProcess spawns its child from inside the running app, where
    Textual has replaced sys.stderr with an object whose fileno() is -1;
    the tracker, started on first spawn, passes sys.stderr's fd to its own
    process and fails there with "bad value(s) in fds_to_keep".
    """
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


def create_app(
    options: AppOptions | None = None, bridge_factory: BridgeFactory | None = None, store=None
) -> BeatGenApp:
    """The app for these options; tests pass a fake bridge factory and a store on a temporary folder."""
    options = options or AppOptions()
    if bridge_factory is None:
        prepare_child_processes()
    if store is None:
        from bridge.settings.preset_store import PresetStore

        store = PresetStore(user_dir=options.user_presets_dir, state_file=options.state_file)
    return BeatGenApp(options, bridge_factory or real_bridge, store)


class BridgeLog:
    """The bridge's log lines: kept for the screen (last few) and, with --log, appended to a file.

    Called from the bridge's threads, so it only appends; the poll timer shows them.
    """

    def __init__(self, path: str | None) -> None:
        self.lines: deque[str] = deque(maxlen=200)
        self._lock = threading.Lock()
        self._file = open(Path(path), "a", encoding="utf-8", buffering=1) if path else None  # noqa: SIM115
        self.count = 0

    def __call__(self, line: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        with self._lock:
            self.lines.append(f"{stamp} {line}")
            self.count += 1
            if self._file:
                self._file.write(f"{stamp} {line}\n")

    def last(self) -> str:
        with self._lock:
            return self.lines[-1] if self.lines else ""

    def close(self) -> None:
        if self._file:
            self._file.close()
            self._file = None


class NoMidiNotice(Vertical):
    """Shown instead of the pattern when the bridge cannot open MIDI ports."""

    DEFAULT_CSS = """
    NoMidiNotice { height: auto; border: round $warning; padding: 0 1; display: none; }
    NoMidiNotice.-shown { display: block; }
    NoMidiNotice #no-midi-reason { color: $warning; }
    NoMidiNotice Horizontal { height: auto; }
    NoMidiNotice Button { margin: 0 1 0 0; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="no-midi-reason", markup=False)
        yield Static(NO_MIDI_HELP, markup=False)
        with Horizontal():
            yield Button("Offline generation (o)", id="offline", variant="primary")
            yield Button("Ports (w)", id="ports")
            yield Button("Retry (r)", id="retry")


class BeatGenApp(App[None]):
    TITLE = "Beat Generation"
    CSS = """
    Screen { layout: vertical; }
    #log-line { height: 1; color: $text-muted; padding: 0 1; }
    #lower { height: 1fr; }
    """
    BINDINGS = [
        Binding("p", "panic", "Panic", priority=True),
        Binding("space", "toggle_arm", "Arm"),
        Binding("g", "regenerate", "Regen"),
        Binding("left_square_bracket", "temperature(-1)", "Temp-", key_display="["),
        Binding("right_square_bracket", "temperature(1)", "Temp+", key_display="]"),
        *(Binding(str(n), f"lane({n - 1})", f"Lane {n}", show=False) for n in range(1, 10)),
        Binding("l", "lane_flag('lock')", "Lock"),
        Binding("m", "lane_flag('mute')", "Mute"),
        Binding("ctrl+z", "history('undo')", "Undo"),
        Binding("ctrl+y", "history('redo')", "Redo"),
        Binding("ctrl+s", "save", "Save"),
        Binding("e", "export", "Export"),
        Binding("w", "ports", "Ports"),
        Binding("o", "offline", "Offline"),
        Binding("r", "retry", "Retry", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("escape", "leave_field", "Leave field", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, options: AppOptions, bridge_factory: BridgeFactory, store) -> None:
        super().__init__()
        self.options = options
        self.bridge_factory = bridge_factory
        self.store = store
        self.bridge = None
        self.connection = Connection("opening")
        self.status = None
        self.lane = 0
        self.dirty = False
        self.bridge_log = BridgeLog(options.log_path)
        self.polls = 0
        self.ready_at: float | None = None
        self._quitting = False
        self._offline_model = None
        self._model_lock = threading.Lock()
        self._shown_log = ""
        # Controls this app sent (recent ones), and the engine's controls at the last poll: a change
        # in the engine that is none of ours came from a MIDI CC (see _follow_engine_controls).
        self._sent_controls: deque = deque(maxlen=16)
        self._engine_controls = None
        self.start_error: str | None = None
        self.preset = self._initial_preset()
        self.values = copy.deepcopy(self.preset.values)

    # -- start ---------------------------------------------------------------------------

    def _initial_preset(self) -> Preset:
        """The asked-for preset, else the last used, else the default; a broken one is reported, not fatal."""
        wanted = self.options.preset
        if wanted is None:
            try:
                wanted = self.store.last_used() or DEFAULT_PRESET
            except (OSError, PresetError):
                wanted = DEFAULT_PRESET
        try:
            return self._load(wanted)
        except PresetError as error:
            self.start_error = f"{error} - using {DEFAULT_PRESET} instead"
            return self._load(DEFAULT_PRESET)

    def _load(self, name: str) -> Preset:
        if name.endswith(".toml") or "/" in name:
            from bridge.settings.presets import load_preset

            return load_preset(name)
        return self.store.load(name)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield NoMidiNotice(id="no-midi")
        yield PatternView(id="pattern")
        yield Static("", id="log-line", markup=False)
        with Horizontal(id="lower"):
            yield PresetList(id="presets")
            yield PresetEditor(self.values, id="editor")
        yield Footer()

    def on_mount(self) -> None:
        self.pattern.focus()
        self.refresh_presets()
        self.show_status()
        if self.start_error:
            self.notify(self.start_error, severity="error", timeout=15)
        self.set_interval(1 / self.options.poll_hz, self.poll)
        self._quit_on_signals()
        # The bridge child is started from this thread, created before the UI's own
        # priority is lowered: a new thread or process inherits its creator's nice value.
        self._spawner = ThreadPoolExecutor(1, thread_name_prefix="beatgen-bridge-spawner")
        self._spawner.submit(int).result()
        if self.options.lower_priority:
            lower_drawing_priority()  # measured with `beatgen bench-live --ui`: docs/tui.md
        self.open_bridge()

    def _quit_on_signals(self) -> None:
        """SIGTERM / SIGHUP (a closed terminal, `kill`) quit like ctrl+q: the bridge switches every note off."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if signum is None:
                continue
            try:
                loop.add_signal_handler(signum, lambda: self.run_worker(self.action_quit()))
            except (NotImplementedError, RuntimeError, ValueError):
                # Windows' event loop has no signal handlers, and only the main thread may set them.
                # Without them the bridge child still switches its notes off: it closes itself when
                # its pipe to this process ends (bridge/live_bridge.py).
                return

    def on_ready(self) -> None:
        self.ready_at = time.time()  # wall clock: the benchmark compares it with its launch time
        if self.options.exit_when_ready:
            self.exit()

    # -- widgets -------------------------------------------------------------------------

    @property
    def pattern(self) -> PatternView:
        return self.query_one("#pattern", PatternView)

    @property
    def editor(self) -> PresetEditor:
        return self.query_one("#editor", PresetEditor)

    @property
    def preset_list(self) -> PresetList:
        return self.query_one("#presets", PresetList)

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    # -- the bridge ----------------------------------------------------------------------

    def open_bridge(self) -> None:
        self.connection = Connection("opening")
        self.query_one("#no-midi", NoMidiNotice).set_class(False, "-shown")
        self.pattern.display = True
        self.show_status()
        old, self.bridge, self.status = self.bridge, None, None
        self._engine_controls = None  # the new bridge starts from the preset as it stands
        self.pattern.clear()
        self._open_bridge(old, self.current_preset(), self.options)

    @work(thread=True, exclusive=True, group="bridge", exit_on_error=False)
    def _open_bridge(self, old, preset: Preset, options: AppOptions) -> None:
        from bridge.midi_io.ports import PortError

        if old is not None:
            old.close()
        try:
            bridge = self.bridge_factory(preset, options, self.bridge_log)
            self._spawner.submit(bridge.open).result()
            describe = bridge.describe()
        except PortError as error:
            self._from_thread(self._bridge_failed, "no-midi", str(error))
            return
        except Exception as error:  # noqa: BLE001 - a bad model or a dead child is shown, the app stays
            self._from_thread(self._bridge_failed, "error", f"{type(error).__name__}: {error}")
            return
        if self._quitting or not self._from_thread(self._bridge_opened, bridge, describe):
            bridge.close()  # the app quit while the ports were opening

    def _from_thread(self, callback, *args) -> bool:
        try:
            self.call_from_thread(callback, *args)
            return True
        except RuntimeError:  # the app is no longer running
            return False

    def _bridge_opened(self, bridge, describe: str) -> None:
        if self._quitting:
            bridge.close()
            return
        self.bridge = bridge
        self.connection = Connection("open", describe)
        self.show_status()

    def _bridge_failed(self, state: str, text: str) -> None:
        self.connection = Connection(state, text)
        notice = self.query_one("#no-midi", NoMidiNotice)
        reason = f"No MIDI: {text}" if state == "no-midi" else f"The bridge could not start: {text}"
        notice.query_one("#no-midi-reason", Static).update(reason)
        notice.set_class(True, "-shown")
        self.pattern.display = False
        self.show_status()

    def send(self, name: str, value=None) -> bool:
        """A command to the running bridge; False (and a word on screen) when there is none."""
        if self.bridge is None:
            return False
        if name in ("controls", "preset"):
            from bridge.settings.controls import Controls

            self._sent_controls.append(value if name == "controls" else Controls.from_preset(value))
        try:
            self.bridge.command(name, value)
        except Exception as error:  # noqa: BLE001 - a bridge that died is reported by the next poll
            self.bridge_log(f"command {name} failed: {error}")
            return False
        return True

    def poll(self) -> None:
        """20 times a second: one status snapshot to the widgets."""
        self.polls += 1
        if self.bridge is not None:
            try:
                self.status = self.bridge.status()
            except Exception as error:  # noqa: BLE001 - the child process died: say so, keep the app
                self.bridge, self.status = None, None
                self._bridge_failed("error", f"the bridge stopped ({type(error).__name__}: {error})")
            else:
                self._follow_engine_controls(self.status.controls)
        self.show_status()

    def _follow_engine_controls(self, controls) -> None:
        """A knob mapped in [midi_cc] moved a control: the editor and the preset follow, as if typed
        (the preset is then unsaved, like a plugin's patch after a knob turn).  Controls the app
        sent itself are skipped, so an older state polled before the engine applied the latest
        edit never undoes it."""
        seen, self._engine_controls = self._engine_controls, controls
        if seen is None or controls == seen or controls in self._sent_controls:
            return
        for (section, key), value in controls.preset_values().items():
            current = self.values[section][key]
            if (set(current) != set(value)) if isinstance(value, list) else current != value:
                self.change(section, key, value)

    def show_status(self) -> None:
        status = self.status
        label = self.preset.name + ("*" if self.dirty else "")
        self.status_bar.show(status, self.connection, label, self.lane)
        if status is not None:
            controls = status.controls
            self.pattern.show(status.bars, status.position_ticks, status.running, controls.mute, controls.lock)
        line = self.bridge_log.last()
        if line != self._shown_log:
            self._shown_log = line
            self.query_one("#log-line", Static).update(line)

    # -- the preset being played ---------------------------------------------------------------

    def current_preset(self) -> Preset:
        return Preset(self.preset.name, self.preset.path, copy.deepcopy(self.values))

    def change(self, section: str, key: str, value: Any, from_editor: bool = False) -> None:
        """One preset value changed (editor or keys): keep it, show it, send it to the bridge."""
        if self.values[section][key] == value:
            return
        self.values[section][key] = value
        if not from_editor:
            self.editor.set_value(section, key, value)
        self._set_dirty(True)
        if (section, key) in NOT_LIVE:
            return
        if (section, key) in CONTROL_FIELDS:
            from bridge.settings.controls import Controls

            self.send("controls", Controls.from_preset(self.current_preset()))
        elif (section, key) == ("clock", "bpm"):
            self.send("bpm", value)
        else:
            self.send("preset", self.current_preset())

    def on_preset_editor_field_changed(self, event: PresetEditor.FieldChanged) -> None:
        self.change(event.section, event.key, event.value, from_editor=True)

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self.dirty:
            self.dirty = dirty
            self.refresh_presets()
            self.show_status()

    def store_entries(self) -> list:
        try:
            return list(self.store.entries())
        except OSError as error:
            self.notify(f"cannot list presets: {error}", severity="error")
            return []

    def refresh_presets(self) -> None:
        self.preset_list.set_entries(self.store_entries(), self.preset.name, self.dirty)

    def load_preset_named(self, name: str) -> None:
        """Load a preset (list, palette); unsaved edits are only dropped after a yes."""
        if self.dirty:
            from .dialogs import ConfirmDialog

            question = f"Discard the unsaved changes to {self.preset.name} and load {name}?"
            self.push_screen(ConfirmDialog(question, "Discard"), lambda yes: yes and self._switch_to(name))
            return
        self._switch_to(name)

    def _switch_to(self, name: str) -> None:
        try:
            preset = self._load(name)
        except PresetError as error:
            self.notify(str(error), title="Broken preset", severity="error", timeout=15)
            self.refresh_presets()
            return
        self._use(preset)
        self.notify(f"preset {preset.name}: {preset['preset']['description'] or preset['mode']['kind']}", timeout=3)

    def _use(self, preset: Preset) -> None:
        self.preset = preset
        self.values = copy.deepcopy(preset.values)
        self.editor.set_values(self.values)
        self.dirty = False
        self._remember(preset.name)
        self.refresh_presets()
        self.send("preset", self.current_preset())
        self.show_status()

    def _remember(self, name: str) -> None:
        try:
            self.store.remember(name)
        except OSError as error:
            self.notify(f"cannot remember the preset: {error}", severity="warning")

    def on_preset_list_chosen(self, event: PresetList.Chosen) -> None:
        self.load_preset_named(event.name)

    def on_preset_list_requested(self, event: PresetList.Requested) -> None:
        if event.action == "save_as":
            self.action_save_as()
        elif event.action == "duplicate":
            self.action_duplicate(event.name)
        elif event.action == "delete":
            self.action_delete(event.name)

    # -- preset files -----------------------------------------------------------------------------

    def action_save(self) -> None:
        name = self.preset.name
        if self.preset.path is None or self.store.is_factory(name) or not self._in_store(name):
            reason = "is a factory preset" if self._in_store(name) else "is not in the presets folder"
            self.notify(f"{name} {reason}: save your settings under a new name", severity="warning")
            self.action_save_as()
            return
        try:
            self.preset = self.store.save(name, self.values)
        except (PresetError, OSError) as error:
            self.notify(str(error), title="Not saved", severity="error", timeout=10)
            return
        self._set_dirty(False)
        self.notify(f"saved {self.preset.path}", timeout=3)

    def _in_store(self, name: str) -> bool:
        return any(entry.name == name for entry in self.store_entries())

    def action_save_as(self) -> None:
        from .dialogs import NameDialog

        initial = self.preset.name if not self.store.is_factory(self.preset.name) else f"my-{self.preset.name}"
        self.push_screen(NameDialog("Save the current settings as", initial), self._save_as)

    def _save_as(self, name: str | None, overwrite: bool = False) -> None:
        if not name:
            return
        entries = {entry.name: entry for entry in self.store_entries()}
        if name in entries and entries[name].factory:
            self.notify(f"{name} is a factory preset and cannot be overwritten: choose another name", severity="error")
            return
        if name in entries and not overwrite:
            from .dialogs import ConfirmDialog

            question = f"Replace the user preset {name} with the current settings?"
            self.push_screen(ConfirmDialog(question, "Replace"), lambda yes: yes and self._save_as(name, True))
            return
        try:
            preset = self.store.save_as(name, self.values, overwrite=overwrite)
        except (PresetError, OSError) as error:
            self.notify(str(error), title="Not saved", severity="error", timeout=10)
            return
        self.preset = preset
        self.dirty = False
        self._remember(name)
        self.refresh_presets()
        self.show_status()
        self.notify(f"saved {preset.path}", timeout=3)

    def action_duplicate(self, name: str | None = None) -> None:
        name = name or self.preset.name
        try:
            preset = self.store.duplicate(name)
        except (PresetError, OSError) as error:
            self.notify(str(error), title="Not duplicated", severity="error", timeout=10)
            return
        self.notify(f"duplicated {name} as {preset.name}", timeout=3)
        self.load_preset_named(preset.name)

    def action_delete(self, name: str | None = None) -> None:
        name = name or self.preset.name
        if self.store.is_factory(name):
            self.notify(f"{name} is a factory preset and cannot be deleted", severity="error")
            return
        from .dialogs import ConfirmDialog

        self.push_screen(ConfirmDialog(f"Delete the user preset {name}? This removes its file.", "Delete"),
                         lambda yes: yes and self._delete(name))  # fmt: skip

    def _delete(self, name: str) -> None:
        try:
            self.store.delete(name)
        except (PresetError, OSError) as error:
            self.notify(str(error), title="Not deleted", severity="error", timeout=10)
            return
        self.notify(f"deleted {name}", timeout=3)
        if name == self.preset.name:
            self.dirty = False
            self._switch_to(DEFAULT_PRESET)
        else:
            self.refresh_presets()

    # -- live keys ----------------------------------------------------------------------------------

    def action_panic(self) -> None:
        if self.send("panic"):
            self.bridge_log("panic: all notes off (sent)")
        else:
            self.bridge_log("panic: no bridge running, nothing is sounding")
        self.show_status()

    def action_toggle_arm(self) -> None:
        armed = self.status.armed if self.status is not None else True
        if self.send("disarm" if armed else "arm"):
            self.bridge_log("disarmed: listening only" if armed else "armed: the bridge answers / continues")
            self.show_status()

    def action_regenerate(self) -> None:
        if self.send("trigger"):
            self.bridge_log("regenerate: asked for a new answer / loop")
            self.show_status()

    def action_temperature(self, direction: int) -> None:
        field = PRESET_SCHEMA["generation"]["temperature"]
        current = self.values["generation"]["temperature"]
        value = round(min(max(current + direction * TEMPERATURE_STEP, field.low), field.high), 2)
        self.change("generation", "temperature", value)

    def action_lane(self, lane: int) -> None:
        self.lane = lane
        self.pattern.select_lane(lane)
        self.show_status()

    def on_pattern_view_lane_selected(self, event: PatternView.LaneSelected) -> None:
        self.lane = event.lane
        self.show_status()

    def action_lane_flag(self, kind: str) -> None:
        """Toggle mute or lock of the selected lane (kept in drum order, like the schema's lists)."""
        drum = DRUM_NAMES[self.lane]
        names = set(self.values["drums"][kind]) ^ {drum}
        self.change("drums", kind, [name for name in DRUM_NAMES if name in names])

    def action_history(self, which: str) -> None:
        if self.send(which):
            self.bridge_log(f"{which}: asked for the {'previous' if which == 'undo' else 'next'} take")
            self.show_status()

    def action_leave_field(self) -> None:
        self.pattern.focus()

    # -- screens --------------------------------------------------------------------------------------

    def action_help(self) -> None:
        from .help_screen import HelpScreen

        self.push_screen(HelpScreen())

    def action_ports(self) -> None:
        from .port_picker import PortChoice, PortPicker

        current = PortChoice(self.options.backend, self.options.in_name, self.options.out_name)
        self.push_screen(PortPicker(current, scan=self.options.scan_ports), self._apply_ports)

    def _apply_ports(self, choice) -> None:
        if choice is None:
            return
        self.options = replace(self.options, backend=choice.backend, in_name=choice.in_name, out_name=choice.out_name)
        self.open_bridge()

    def action_retry(self) -> None:
        if self.connection.state in ("no-midi", "error"):
            self.open_bridge()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"offline": self.action_offline, "ports": self.action_ports, "retry": self.action_retry}
        if event.button.id in actions:
            event.stop()
            actions[event.button.id]()

    def action_offline(self) -> None:
        from .offline_screen import OfflineScreen

        why = self.connection.text if self.connection.state == "no-midi" else ""
        options = self.options
        screen = OfflineScreen(self.current_preset, options.model_dir, options.variant, why, seed=options.offline_seed)
        self.push_screen(screen)

    def offline_model(self, model_dir: str, variant: str):
        """The model for offline generation, loaded once (from the offline screen's thread)."""
        from bridge.model.step_model import StepModel

        with self._model_lock:
            key = (model_dir, variant)
            if self._offline_model is None or self._offline_model[0] != key:
                self._offline_model = (key, StepModel(model_dir, variant))
            return self._offline_model[1]

    def action_export(self) -> None:
        if self.bridge is None:
            self.notify("nothing to export: the bridge is not running", severity="warning")
            return
        from .export_screen import ExportScreen

        self.push_screen(ExportScreen(), self._export)

    def _export(self, request) -> None:
        if request is None or self.bridge is None:
            return
        from bridge.midi_io.export import export_midi
        from bridge.settings.note_maps import load_note_map

        output = self.values["output"]
        try:
            bars = list(self.bridge.history(limit_bars=256))
            bpm = (self.status.bpm if self.status and self.status.bpm else None) or self.values["clock"]["bpm"]
            request.path.parent.mkdir(parents=True, exist_ok=True)
            # The notes and channel the bridge plays on, so the file drops onto the same DAW track.
            notes = load_note_map(output["note_map"]).output_notes
            path = export_midi(request.path, bars, bpm, request.generated_bars, notes, output["channel"] - 1)
        except (OSError, ValueError, RuntimeError) as error:  # RuntimeError: the bridge process is gone
            self.notify(str(error), title="Not exported", severity="error", timeout=10)
            return
        self.notify(f"exported {path}", timeout=5)

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        from .commands import palette_commands

        yield from palette_commands(self)

    # -- the end ----------------------------------------------------------------------------------------

    async def action_quit(self) -> None:
        self._quitting = True
        await asyncio.to_thread(self.close_bridge)  # the child process takes a moment to switch notes off
        self.exit()

    def close_bridge(self) -> None:
        bridge, self.bridge = self.bridge, None
        if bridge is not None:
            bridge.close()

    def on_unmount(self) -> None:
        self._quitting = True
        self.close_bridge()
        self._spawner.shutdown(wait=False)
        self.bridge_log.close()
