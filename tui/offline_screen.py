"""Offline generation: pick a MIDI file, continue it with the current preset, save the result.

This is what the app offers where there is no MIDI system (no JACK server,
no ALSA sequencer): the model can still be heard, through a file.  It uses
the same code as `beatgen generate` (bridge.generate.continue_file) with the
options the preset implies (options_from_preset: bar counts, sampling,
random seed, output channel), so what you tune live is what you get here.

The model is loaded on first use and generation runs in a thread: loading
takes a moment and a long continuation must not freeze the screen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DirectoryTree, Footer, Input, Label, Static

from bridge.generate import MIDI_SUFFIXES
from bridge.resources import EXAMPLE_SEED  # examples/seed_groove.mid, or its copy in an installed wheel

if TYPE_CHECKING:
    from .app import BeatGenApp


class MidiTree(DirectoryTree):
    """Folders and MIDI files only."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() in MIDI_SUFFIXES)]


def shown_path(path: Path | None) -> str:
    """Relative to the current folder where it is inside it (shorter, and the same on every machine)."""
    if path is None:
        return ""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def default_output(seed: Path) -> Path:
    return Path("out") / f"{seed.stem}_continued.mid"


class OfflineScreen(Screen[None]):
    DEFAULT_CSS = """
    OfflineScreen > Vertical { padding: 0 1; }
    OfflineScreen #why { color: $warning; height: auto; margin: 0 0 1 0; }
    OfflineScreen Horizontal { height: auto; }
    OfflineScreen .key { width: 10; padding: 1 1 0 0; }
    OfflineScreen Input { width: 1fr; }
    OfflineScreen MidiTree { height: 1fr; min-height: 8; border: round $panel-lighten-2; }
    OfflineScreen #plan { color: $text-muted; height: auto; }
    OfflineScreen #result { height: auto; margin: 1 0 0 0; }
    OfflineScreen #result.-error { color: $error; }
    OfflineScreen Button { margin: 0 1 0 0; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+g", "generate", "Continue the file"),
    ]

    def __init__(
        self,
        preset: Callable,
        model_dir: str | None,
        variant: str = "float32",
        why: str = "",
        start_dir: Path | None = None,
        seed: Path | None = None,
    ) -> None:
        super().__init__()
        self.preset = preset  # the app's current preset (edits included), read when generating
        self.model_dir, self.variant, self.why = model_dir, variant, why
        self.start_dir = start_dir or Path(".")  # relative: the tree shows names, not this machine's absolute path
        self.seed = seed if seed is not None else (EXAMPLE_SEED if EXAMPLE_SEED.is_file() else None)
        self.result_text = ""
        self.done = threading.Event()  # tests wait on it

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Offline generation: continue a MIDI file with the current preset")
            if self.why:
                yield Static(self.why, id="why", markup=False)
            with Horizontal():
                yield Label("seed", classes="key")
                yield Input(shown_path(self.seed), id="seed-path", placeholder="a .mid file (or pick one below)")
            yield MidiTree(self.start_dir, id="tree")
            with Horizontal():
                yield Label("save to", classes="key")
                yield Input(str(default_output(self.seed or Path("seed.mid"))), id="out-path")
            yield Static("", id="plan", markup=False)
            with Horizontal():
                yield Button("Continue", id="generate", variant="primary")
                yield Button("Back", id="back")
            yield Static("", id="result", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._show_plan()
        self.query_one("#seed-path", Input).focus()

    def _options(self):
        import dataclasses

        from bridge.generate import options_from_preset

        # The seed stays in front of the continuation: you hear the answer in context, as you would live.
        return dataclasses.replace(options_from_preset(self.preset()), include_seed=True)

    def _show_plan(self) -> None:
        preset = self.preset()
        try:
            options = self._options()
        except ValueError as error:
            self.query_one("#plan", Static).update(f"preset {preset.name}: {error}")
            return
        controls = options.controls
        seed = "random" if controls.random_seed < 0 else str(controls.random_seed)
        self.query_one("#plan", Static).update(
            f"preset {preset.name}: {options.seed_bars} seed bars, then {options.bars} generated bars, "
            f"style {controls.style}, temperature {controls.temperature:g}, random seed {seed}, "
            f"channel {options.channel + 1}; mute, lock, feel and note map as live"
        )

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.query_one("#seed-path", Input).value = str(event.path)
        self.query_one("#out-path", Input).value = str(default_output(event.path))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_generate()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_generate() if event.button.id == "generate" else self.action_back()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_generate(self) -> None:
        seed = Path(self.query_one("#seed-path", Input).value.strip())
        target = Path(self.query_one("#out-path", Input).value.strip() or default_output(seed))
        if not seed.is_file():
            self._show_result(f"{seed}: no such file; type a path or pick a .mid file in the tree", error=True)
            return
        self.done.clear()
        self._show_result(f"continuing {seed.name}…", error=False, final=False)
        self._generate(seed, target)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _generate(self, seed: Path, target: Path) -> None:
        from bridge.generate import continue_file
        from bridge.midi_io.midi_files import MidiFileError
        from bridge.model.files import ModelError

        try:
            options = self._options()
            from bridge.model.catalog import resolve_model

            # --model when given, else the preset's model; an unknown name is shown like any model error.
            model_dir = str(resolve_model(self.model_dir or self.preset()["generation"]["model"]))
            model = cast("BeatGenApp", self.app).offline_model(model_dir, self.variant)
            target.parent.mkdir(parents=True, exist_ok=True)
            summary = continue_file(model, seed, target, options)
        except (MidiFileError, ModelError, OSError, ValueError) as error:
            self.app.call_from_thread(self._show_result, str(error), True)
            return
        self.app.call_from_thread(self._show_result, summary + " - open it in your DAW (drums on their channel)", False)

    def _show_result(self, text: str, error: bool, final: bool = True) -> None:
        self.result_text = text
        if self.is_attached:
            result = self.query_one("#result", Static)
            result.set_class(error, "-error")
            result.update(text)
        if final:
            self.done.set()
