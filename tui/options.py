"""What `beatgen tui` was asked for (AppOptions), and the real bridge the app opens with those options.

Kept apart from the app so `create_app`'s callers, the bridge factory and
the tests share one definition, and so nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.settings.presets import Preset

# Same names as bridge.ports (not imported from there: that would load rtmidi before the first frame).
DEFAULT_IN_NAME = "Beat Generation In"
DEFAULT_OUT_NAME = "Beat Generation Out"
POLL_HZ = 20.0


@dataclass(frozen=True)
class AppOptions:
    """What `beatgen tui` was asked for (the same options as `beatgen run`)."""

    preset: str | None = None  # name or path; None = the last used (the default preset the first time)
    backend: str = "auto"
    in_name: str = DEFAULT_IN_NAME
    out_name: str = DEFAULT_OUT_NAME
    model_dir: str | None = None  # a model name or folder; None = the preset's generation.model
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
    from bridge.live.bridge_process import BridgeProcess

    return BridgeProcess(
        preset,
        model_for(preset, options),
        options.variant,
        backend=options.backend,
        in_name=options.in_name,
        out_name=options.out_name,
        clock=options.clock,
        log=log,
    )


def model_for(preset: Preset, options: AppOptions) -> Path:
    """The model folder to play: --model when given, else the preset's; ModelError naming the known models."""
    from bridge.model.catalog import resolve_model

    return resolve_model(options.model_dir or preset["generation"]["model"])


def prepare_child_processes() -> None:
    """Start multiprocessing's resource tracker now, while sys.stderr is still the terminal.

    BridgeProcess spawns its child from inside the running app, where
    Textual has replaced sys.stderr with an object whose fileno() is -1;
    the tracker, started on first spawn, passes sys.stderr's fd to its own
    process and fails there with "bad value(s) in fds_to_keep".
    """
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
