"""`beatgen run` (the headless bridge) and `beatgen ports`."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

from bridge.live.runner import SWITCH_INTERVAL_S, TempoLog  # noqa: F401 - SWITCH_INTERVAL_S: used by tests and benches
from bridge.midi_io.ports import BACKEND_APIS, DEFAULT_IN_NAME, DEFAULT_OUT_NAME, PortError, auto_backends, list_ports
from bridge.model.files import DEFAULT_MODEL_DIR
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
    p.add_argument("--model", default=str(DEFAULT_MODEL_DIR), metavar="DIR", help="model folder (default: bundled)")
    p.add_argument("--variant", choices=["float32", "int8"], default="float32", help="model precision")
    p.add_argument("--log", metavar="FILE", help="also append the bridge's log to FILE")
    p.add_argument("--clock", choices=["auto", "external", "internal"], help="override the preset's clock source")


class Log:
    """Timestamped lines on stderr and, with --log, appended to a file."""

    def __init__(self, path: str | None) -> None:
        self.file = open(Path(path), "a", encoding="utf-8", buffering=1) if path else None  # noqa: SIM115
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        stamp = time.strftime("%H:%M:%S") + f".{int(time.time() * 1000) % 1000:03d}"
        with self._lock:
            print(f"{stamp} {line}", file=sys.stderr, flush=True)
            if self.file:
                self.file.write(f"{stamp} {line}\n")

    def close(self) -> None:
        if self.file:
            self.file.close()


def _run(args) -> int:
    from bridge.live.runner import LiveBridge
    from bridge.settings.preset_store import PRESET_SEARCH
    from bridge.settings.presets import load_preset

    preset = load_preset(args.preset, PRESET_SEARCH)  # a bad preset is refused before anything opens
    log = Log(args.log)
    bridge = LiveBridge(preset, args.model, args.variant, args.backend, args.in_name, args.out_name, args.clock, log)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # before open(): a signal while opening still closes cleanly
        signal.signal(signum, lambda *_: stop.set())
    try:
        bridge.open()
    except BaseException:
        log.close()
        raise
    log("Ctrl-C to stop")
    try:
        _watch(bridge, log, stop)
    finally:
        bridge.close()  # every sounding note switched off, then the ports closed
        log.close()
    return 0


def _watch(bridge, log, stop: threading.Event) -> None:
    """Log the tempo the clock settles on (state changes are logged by the engine itself)."""
    tempo = TempoLog(log)
    while not stop.wait(0.5):
        tempo.update(bridge.status())


def _bench_live(args) -> int:
    run_bench_live = _devtools_bench_live()
    if run_bench_live is None:
        print("beatgen bench-live needs a checkout of the repository (devtools/ is not installed)", file=sys.stderr)
        return 2
    return run_bench_live(
        tuple(args.bpm), args.bars, args.period, args.json, args.realtime, args.port_max or None, args.ui, args.save
    )


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
