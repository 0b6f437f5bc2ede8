"""`beatgen run` (the headless bridge) and `beatgen ports`."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from bridge.live.runner import SWITCH_INTERVAL_S, TempoLog  # noqa: F401 - SWITCH_INTERVAL_S: used by tests and benches
from bridge.midi_io.ports import BACKEND_APIS, DEFAULT_IN_NAME, DEFAULT_OUT_NAME, PortError, auto_backends, list_ports
from bridge.settings.presets import DEFAULT_PRESET

BACKEND_CHOICES = ["auto", *BACKEND_APIS]


def add_commands(commands) -> None:
    p = commands.add_parser(
        "run", help="the live bridge: continue what comes in on a MIDI port, in time with its clock"
    )
    add_bridge_options(p, DEFAULT_PRESET, f"preset (default {DEFAULT_PRESET})")
    p.set_defaults(handler=_run)

    p = commands.add_parser("bench-live", help="timing of the bridge through JACK at 90/120/174 BPM (needs jackd)")
    p.add_argument("--bpm", type=float, nargs="+", default=[90.0, 120.0, 174.0], help="tempos (default 90 120 174)")
    p.add_argument("--bars", type=int, default=16, help="generated bars measured per tempo (default 16)")
    p.add_argument("--period", type=int, default=64, help="JACK period in frames at 48 kHz (default 64)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--realtime",
        choices=["auto", "on", "off"],
        default="auto",
        help="run jackd -R (default: when this user may use realtime scheduling)",
    )
    p.add_argument("--port-max", type=int, default=256, help="jackd --port-max (default 256; 0: jackd's default)")
    p.add_argument("--ui", action="store_true", help="measure with the terminal UI running (beatgen tui, headless)")
    p.add_argument(
        "--clock",
        choices=["midi", "link"],
        default="midi",
        help="follow jack_midi_clock (default) or an Ableton Link DAW (in a private network namespace)",
    )
    p.add_argument(
        "--save", type=Path, metavar="DIR", help="keep each tempo's recording, bridge log and jackd log in DIR"
    )
    p.set_defaults(handler=_bench_live)

    p = commands.add_parser("ports", help="list the MIDI inputs and outputs each backend sees")
    p.add_argument("--backend", default="auto", choices=BACKEND_CHOICES, help="one backend (default: all on this OS)")
    p.set_defaults(handler=_ports)


def add_bridge_options(p, preset_default: str | None, preset_help: str) -> None:
    """The options of a running bridge, shared by `beatgen run` and `beatgen tui`."""
    p.add_argument("--preset", default=preset_default, metavar="NAME|PATH", help=preset_help)
    p.add_argument("--backend", default="auto", choices=BACKEND_CHOICES, help="MIDI system (default auto)")
    p.add_argument("--in", dest="in_name", default=DEFAULT_IN_NAME, metavar="NAME", help="input port name")
    p.add_argument("--out", dest="out_name", default=DEFAULT_OUT_NAME, metavar="NAME", help="output port name")
    p.add_argument("--model", metavar="NAME|DIR", help="model name or folder (default: the preset's generation.model)")
    p.add_argument("--variant", choices=["float32", "int8"], default="float32", help="model precision")
    p.add_argument("--log", metavar="FILE", help="also append the bridge's log to FILE")
    p.add_argument(
        "--clock", choices=["auto", "external", "internal", "link"], help="override the preset's clock source"
    )


class Log:
    """Timestamped lines on stderr and, with --log, appended to a file.

    Logging never stops the bridge: a stderr that went away (a pipe whose
    reader quit, as in `beatgen run 2>&1 | head`) or a full disk cost lines,
    never music; the file keeps getting what stderr no longer can.
    """

    def __init__(self, path: str | None) -> None:
        self.file = open(Path(path), "a", encoding="utf-8", buffering=1) if path else None  # noqa: SIM115
        self.stderr_open = True
        self.lost_lines = 0
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        stamp = time.strftime("%H:%M:%S") + f".{int(time.time() * 1000) % 1000:03d}"
        with self._lock:
            if self.stderr_open:
                try:
                    print(f"{stamp} {line}", file=sys.stderr, flush=True)
                except (OSError, ValueError):
                    self.stderr_open = False
                    _stderr_to_devnull()
            if self.file:
                try:
                    self.file.write(f"{stamp} {line}\n")
                except (OSError, ValueError):
                    self.lost_lines += 1

    def close(self) -> None:
        if self.file:
            try:
                self.file.close()
            except OSError:
                pass


def _stderr_to_devnull() -> None:
    """Point sys.stderr (and descriptor 2) at /dev/null once stderr has failed.

    The failed stream keeps the line it could not write; Python flushes
    sys.stderr at exit and a failing flush turns any exit code into 120.  A
    stream on /dev/null flushes fine, so the bridge's own exit code survives.
    """
    try:
        devnull = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    except OSError:
        return
    sys.stderr = devnull


# What ends a process and can be caught: each stops the bridge cleanly (every note switched off) and
# the exit code is then 128 + the signal's number, as a shell reports a process a signal ended.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, name)
)
SERVER_GONE_EXIT = 3  # as for no MIDI system at start: the MIDI system is gone


def _run(args) -> int:
    from bridge.live.runner import LiveBridge
    from bridge.settings.preset_store import PRESET_SEARCH
    from bridge.settings.presets import load_preset
    from bridge.system.native_output import forward_native_stderr

    preset = load_preset(args.preset, PRESET_SEARCH)  # a bad preset is refused before anything opens
    model_dir = preset_model(preset, args.model)  # so is an unknown model name
    log = Log(args.log)
    if args.log:  # libjack's own error lines belong in the log file too
        forward_native_stderr(log)
    bridge = LiveBridge(preset, model_dir, args.variant, args.backend, args.in_name, args.out_name, args.clock, log)
    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum, _frame) -> None:
        received.append(signum)
        stop.set()

    for signum in STOP_SIGNALS:  # before open(): a signal while opening still closes cleanly
        signal.signal(signum, on_signal)
    try:
        bridge.open()
    except BaseException:
        log.close()
        raise
    log("Ctrl-C to stop")
    try:
        fault = _watch(bridge, log, stop)
    finally:
        bridge.close()  # every sounding note switched off, then the ports closed
        log.close()
    if fault:
        return SERVER_GONE_EXIT
    return 128 + received[0] if received else 0


def preset_model(preset, given: str | None) -> Path:
    """--model when given, else the preset's generation.model, as a folder; ModelError naming the known models."""
    from bridge.model.catalog import resolve_model
    from bridge.model.files import ModelError

    if given:
        return resolve_model(given)
    try:
        return resolve_model(preset["generation"]["model"])
    except ModelError as error:
        raise ModelError(f"{preset.path or preset.name}: generation.model: {error}") from None


def _watch(bridge, log, stop: threading.Event) -> str | None:
    """Log the tempo the clock settles on (state changes are logged by the engine itself), until a
    signal or a fault; returns the fault.  The headless bridge exits on a fault rather than waiting
    for the server: whatever started it (a script, systemd) can start it again, with fresh clients."""
    tempo = TempoLog(log)
    while not stop.wait(0.5):
        fault = bridge.fault()
        if fault:
            log(f"{fault}; stopping (start the JACK server again, then the bridge)")
            return fault
        tempo.update(bridge.status())
    return None


def _bench_live(args) -> int:
    run_bench_live = _devtools_bench_live()
    if run_bench_live is None:
        print("beatgen bench-live needs a checkout of the repository (devtools/ is not installed)", file=sys.stderr)
        return 2
    return run_bench_live(
        tuple(args.bpm), args.bars, args.period, args.json, args.realtime, args.port_max or None, args.ui, args.save,
        args.clock,
    )  # fmt: skip


def _devtools_bench_live():
    """devtools.bench_live.run_bench_live, or None where devtools/ is absent (an installed wheel ships no devtools).

    devtools/ sits beside bridge/ in the checkout but is no installed package, so an editable install finds
    it only through the checkout's folder, added to the import path here whatever the current folder is.
    """
    from bridge.resources import checkout_root

    root = checkout_root()
    if root is not None and (root / "devtools" / "__init__.py").is_file() and str(root) not in sys.path:
        sys.path.append(str(root))
    try:
        from devtools.bench_live import run_bench_live
    except ModuleNotFoundError as error:
        if error.name != "devtools":
            raise  # devtools is there but something it needs is not: a real error, with its traceback
        return None
    return run_bench_live


def _ports(args) -> int:
    backends = auto_backends() if args.backend == "auto" else (args.backend,)
    found = False
    for backend in backends:
        try:
            inputs, outputs = list_ports(backend)
        except PortError as error:
            print(f"unavailable - {error}")
            continue
        found = True
        print(f"{backend}:")
        print("  inputs (we can listen to):  " + (", ".join(inputs) or "none"))
        print("  outputs (we can send to):   " + (", ".join(outputs) or "none"))
    return 0 if found else 1
