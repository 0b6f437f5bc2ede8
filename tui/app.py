"""The Textual app: the bridge running behind a screen of status, pattern, presets and controls.

`create_app(options)` is the one way in, for `beatgen` / `beatgen tui`, the
start-time benchmark and the tests (which inject a bridge factory and a
preset store).  This module is the wiring: the widgets, the keys, and which
module does what each key, message and action asks for.  Textual looks for
`on_...` handlers and `action_...` methods on the app itself, so those stay
here as one-line delegations:

- bridge_link: the bridge's lifetime (opened in a thread), commands to it and the 20 Hz poll;
- preset_session: the preset being played (file plus edits), each edit sent to the bridge at once;
- preset_files: save, save as, duplicate, delete (factory presets are read-only);
- live_keys: panic, arm, regenerate, temperature, lanes, undo / redo;
- side_screens and midi_export: help, ports, offline generation, export.

Keys are bindings on the app.  `p` (panic) is a priority binding so it
works whatever has focus, over dialogs and in number fields (NumberInput
leaves letters to the app); in a free-text field (a name, a path) Textual
gives the p to the field - a panic key that made "p" untypeable in file
names would be worse - and Esc leaves the field.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Footer, Static

from bridge.settings.presets import Preset

from . import live_keys, midi_export, preset_files, preset_session, side_screens
from .bridge_link import BridgeLink
from .bridge_log import BridgeLog
from .no_midi_notice import NoMidiNotice
from .options import AppOptions, BridgeFactory, prepare_child_processes, real_bridge
from .pattern_view import PatternView
from .preset_editor import PresetEditor
from .preset_list import PresetList
from .status_bar import Connection, StatusBar

# What other code imports from here (tui/cli.py, the tests); AppOptions lives in options.py.
__all__ = ["AppOptions", "BeatGenApp", "create_app"]


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
        Binding("f", "fill", "Fill"),
        Binding("s", "style(1)", "Style"),
        Binding("S", "style(-1)", "Style-", show=False),
        Binding("comma", "density(-1)", "Dens-", key_display=",", show=False),
        Binding("full_stop", "density(1)", "Dens+", key_display=".", show=False),
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
        Binding("ctrl+l", "learn", "Learn"),
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
        self.bridge_link = BridgeLink(self)
        self.offline_models = side_screens.OfflineModels()
        self._shown_log = ""
        self.start_error: str | None = None
        self.preset = preset_session.initial_preset(self)
        self.values = copy.deepcopy(self.preset.values)

    # -- start ---------------------------------------------------------------------------

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
        self.bridge_link.quit_on_signals()
        self.bridge_link.start_spawner(self.options.lower_priority)
        self.open_bridge()

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

    # -- the bridge (bridge_link.py) -----------------------------------------------------

    def open_bridge(self) -> None:
        self.bridge_link.open()

    @work(thread=True, exclusive=True, group="bridge", exit_on_error=False)
    def _open_bridge(self, old, preset: Preset, options: AppOptions) -> None:
        self.bridge_link.open_in_thread(old, preset, options)  # a Textual worker must be a method of the app

    def send(self, command) -> bool:
        return self.bridge_link.send(command)

    def poll(self) -> None:
        self.bridge_link.poll()

    # -- the preset being played (preset_session.py) ------------------------------------------

    def current_preset(self) -> Preset:
        return preset_session.current_preset(self)

    def change(self, section: str, key: str, value: Any, from_editor: bool = False) -> None:
        preset_session.change(self, section, key, value, from_editor)

    def on_preset_editor_field_changed(self, event: PresetEditor.FieldChanged) -> None:
        self.change(event.section, event.key, event.value, from_editor=True)

    def _set_dirty(self, dirty: bool) -> None:
        preset_session.set_dirty(self, dirty)

    def store_entries(self) -> list:
        return preset_session.store_entries(self)

    def refresh_presets(self) -> None:
        preset_session.refresh_presets(self)

    def load_preset_named(self, name: str) -> None:
        preset_session.load_preset_named(self, name)

    def on_preset_list_chosen(self, event: PresetList.Chosen) -> None:
        if event.error:  # listed broken: say why (the list is read again, in case the file was fixed)
            preset_session.show_broken(self, event.error)
        else:
            self.load_preset_named(event.name)

    def on_preset_list_requested(self, event: PresetList.Requested) -> None:
        if event.action == "save_as":
            self.action_save_as()
        elif event.action == "duplicate":
            self.action_duplicate(event.name)
        elif event.action == "delete":
            self.action_delete(event.name)

    # -- preset files (preset_files.py) -------------------------------------------------------------

    def action_save(self) -> None:
        preset_files.save(self)

    def action_save_as(self) -> None:
        preset_files.ask_save_as(self)

    def _save_as(self, name: str | None, overwrite: bool = False) -> None:
        preset_files.save_as(self, name, overwrite)

    def action_duplicate(self, name: str | None = None) -> None:
        preset_files.duplicate(self, name)

    def action_delete(self, name: str | None = None) -> None:
        preset_files.delete(self, name)

    # -- live keys (live_keys.py) -------------------------------------------------------------------

    def action_panic(self) -> None:
        live_keys.panic(self)

    def action_toggle_arm(self) -> None:
        live_keys.toggle_arm(self)

    def action_regenerate(self) -> None:
        live_keys.regenerate(self)

    def action_temperature(self, direction: int) -> None:
        live_keys.step_temperature(self, direction)

    def action_fill(self) -> None:
        live_keys.fill(self)

    def action_style(self, direction: int) -> None:
        live_keys.step_style(self, direction)

    def action_density(self, direction: int) -> None:
        live_keys.step_density(self, direction)

    def action_lane(self, lane: int) -> None:
        live_keys.select_lane(self, lane)

    def on_pattern_view_lane_selected(self, event: PatternView.LaneSelected) -> None:
        live_keys.select_lane(self, event.lane, from_pattern=True)

    def action_lane_flag(self, kind: str) -> None:
        live_keys.toggle_lane_flag(self, kind)

    def action_history(self, which: str) -> None:
        live_keys.history(self, which)

    def action_leave_field(self) -> None:
        self.pattern.focus()

    # -- screens (side_screens.py, midi_export.py) ----------------------------------------------------

    def action_help(self) -> None:
        side_screens.show_help(self)

    def action_learn(self) -> None:
        from .learn_screen import LearnScreen

        self.push_screen(LearnScreen())

    def action_ports(self) -> None:
        side_screens.pick_ports(self)

    def _apply_ports(self, choice) -> None:
        side_screens.apply_ports(self, choice)

    def action_retry(self) -> None:
        side_screens.retry(self)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"offline": self.action_offline, "ports": self.action_ports, "retry": self.action_retry}
        if event.button.id in actions:
            event.stop()
            actions[event.button.id]()

    def action_offline(self) -> None:
        side_screens.offline(self)

    def offline_model(self, model_dir: str, variant: str):
        """The model for offline generation, loaded once (from the offline screen's thread)."""
        return self.offline_models.get(model_dir, variant)

    def action_export(self) -> None:
        midi_export.ask_export(self)

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        from .commands import palette_commands

        yield from palette_commands(self)

    # -- the end ----------------------------------------------------------------------------------------

    async def action_quit(self) -> None:
        await self.bridge_link.quit()

    def on_unmount(self) -> None:
        self.bridge_link.shut_down()
