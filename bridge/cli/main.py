"""The `beatgen` command: generation and benchmarks here, training tools from model_tools."""

from __future__ import annotations

import argparse
import sys

from bridge.midi_io.midi_files import MidiFileError
from bridge.midi_io.ports import PortError
from bridge.model.files import DEFAULT_MODEL_DIR, ModelError
from bridge.music.sampling import DEFAULT_ADHERENCE
from bridge.settings.presets import PresetError

NO_MIDI_EXIT = 3  # no usable MIDI system (`beatgen run`; the TUI offers offline generation instead)
# Errors a user can cause and fix; anything else is a bug and keeps its traceback.
USER_ERRORS = (
    MidiFileError,
    ModelError,
    PortError,
    PresetError,
    FileNotFoundError,
    FileExistsError,
    ValueError,
    OSError,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="beatgen", description="Beat Generation: an LSTM drum partner.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_generate(commands)
    _add_bench(commands)
    from bridge.cli.live import add_commands as add_live_commands

    add_live_commands(commands)
    _add_tui(commands)
    from model_tools.cli import add_commands

    add_commands(commands)
    return parser


def _add_generate(commands) -> None:
    p = commands.add_parser("generate", help="continue MIDI seed files with the model")
    p.add_argument("inputs", nargs="+", metavar="SEED", help="seed .mid files or folders of them")
    p.add_argument("-o", "--output", metavar="OUT.mid", help="output file (one input)")
    p.add_argument("--out-dir", metavar="DIR", help="output folder (one file per input)")
    p.add_argument("--seed-bars", type=int, default=2, help="bars of the seed the model hears (default 2)")
    p.add_argument("--bars", type=int, default=4, help="bars to generate (default 4)")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (default 1.0)")
    p.add_argument("--top-k", type=int, default=0, help="sample among the K likeliest tokens (0 = all)")
    p.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (1.0 = off)")
    p.add_argument(
        "--adherence",
        type=float,
        default=DEFAULT_ADHERENCE,
        help=f"0-1: how closely to follow what the last bars did (default {DEFAULT_ADHERENCE}; 0 = the model alone)",
    )
    p.add_argument("--random-seed", type=int, help="fix the random seed for reproducible output")
    p.add_argument("--model", default=str(DEFAULT_MODEL_DIR), metavar="DIR", help="model folder (default: bundled)")
    p.add_argument("--variant", choices=["float32", "int8"], default="float32", help="model precision")
    p.add_argument("--include-seed", action="store_true", help="write the seed bars before the continuation")
    p.add_argument("--channel", type=int, default=10, help="MIDI channel 1-16 (default 10)")
    p.set_defaults(handler=_generate)


def _generate(args) -> int:
    from bridge.generate import GenerateOptions, run_generate
    from bridge.model.step_model import StepModel
    from bridge.music.sampling import SamplingSettings

    settings = SamplingSettings(args.temperature, args.top_k, args.top_p, args.adherence)
    options = GenerateOptions(
        args.seed_bars, args.bars, settings, args.random_seed, args.include_seed, args.channel - 1
    )
    model = StepModel(args.model, args.variant)
    return 1 if run_generate(args.inputs, args.output, args.out_dir, model, options) else 0


def _add_bench(commands) -> None:
    p = commands.add_parser("bench", help="measure per-token latency, bar time, import time and memory")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--model", default=str(DEFAULT_MODEL_DIR), metavar="DIR", help="model folder (default: bundled)")
    p.add_argument("--tokens", type=int, default=5000, help="tokens timed per variant (default 5000)")
    p.add_argument("--no-reference", action="store_true", help="skip the notebook-method reference (needs TensorFlow)")
    p.set_defaults(handler=_bench)


def _bench(args) -> int:
    from bridge.cli.bench import run_bench

    return run_bench(args.model, args.tokens, args.json, reference=not args.no_reference)


def _add_tui(commands) -> None:
    """`beatgen tui` (also plain `beatgen`): the options of `beatgen run`; textual is imported only when it runs."""
    from bridge.cli.live import add_bridge_options

    p = commands.add_parser("tui", help="the terminal UI with the live bridge inside (the default command)")
    add_bridge_options(p, None, "preset (default: the last one used, first time the default)")
    # For `beatgen bench-tui`: start headless, quit once the first frame is up, print how long that took.
    p.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    # For `beatgen bench-live --ui`: the whole app, drawing to no terminal, until SIGTERM.
    p.add_argument("--headless", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=_tui)

    p = commands.add_parser("bench-tui", help="how long the terminal UI takes to start (median and p99 of starts)")
    p.add_argument("--runs", type=int, default=15, help="starts measured (default 15)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_bench_tui)


def _tui(args) -> int:
    from tui.app import AppOptions, create_app
    from tui.bench import report_ready

    options = AppOptions(
        preset=args.preset, backend=args.backend, in_name=args.in_name, out_name=args.out_name, model_dir=args.model,
        variant=args.variant, clock=args.clock, log_path=args.log, exit_when_ready=args.exit_when_ready,
        lower_priority=True,
    )  # fmt: skip
    app = create_app(options)
    app.run(headless=args.exit_when_ready or args.headless)
    if args.exit_when_ready:
        report_ready(app)
    return app.return_code or 0


def _bench_tui(args) -> int:
    from tui.bench import run_bench_tui

    return run_bench_tui(args.runs, args.json)


def dispatch(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Run the chosen subcommand; a user's mistake becomes one line on stderr, not a traceback."""
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except USER_ERRORS as error:
        print(f"{parser.prog} {args.command}: error: {error}", file=sys.stderr)
        return NO_MIDI_EXIT if isinstance(error, PortError) else 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    return dispatch(build_parser(), argv or ["tui"])  # plain `beatgen` opens the terminal UI


if __name__ == "__main__":
    sys.exit(main())
