"""The `beatgen` command: generation, benchmarks and the live bridge here; other commands from entry points.

The terminal UI (`tui`, `bench-tui`) and the training tools (`analyze`,
`train`, `convert`, `evaluate`) add their own subcommands through the
"beatgen.commands" entry-point group (pyproject.toml), so dependencies point
one way: the UI and the training tools use bridge/, and bridge/ imports
neither.
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from typing import NoReturn

from bridge.cli.catalog import add_commands as add_catalog_commands
from bridge.midi_io.midi_files import MidiFileError
from bridge.midi_io.ports import PortError
from bridge.model.catalog import BUNDLED, resolve_model
from bridge.model.files import ModelError
from bridge.music.conditions import FOLLOW
from bridge.music.sampling import DEFAULT_VARIATION
from bridge.settings.presets import PRESET_SCHEMA, PresetError
from bridge.system.safe_text import printable

DISTRIBUTION = "beat-generation"
COMMANDS_GROUP = "beatgen.commands"  # entry points: add_commands(commands) functions of other packages
DEFAULT_COMMAND = "tui"  # plain `beatgen` (registered by tui/ through COMMANDS_GROUP)
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
ERROR_LINE_LIMIT = 1000  # characters of an error line: a path fits, a flood of file content does not
MAX_GENERATED_BARS = 256  # bars `beatgen generate` writes per file: minutes of music, seconds of work
MAX_BENCH_TOKENS = 1_000_000
MODEL_HELP = "model name (see `beatgen models`) or model folder (default: bundled)"


def package_version() -> str:
    """The installed distribution's version; bridge.__version__ where nothing is installed.

    The version is written once, as bridge.__version__; pyproject.toml reads it into the package metadata at
    build time (a dynamic version), so the two agree. The metadata is asked first because it names what pip
    installed (as `pip show` does); the literal covers code run from a checkout that was never installed.
    """
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        from bridge import __version__

        return __version__


class OneLineParser(argparse.ArgumentParser):
    """argparse with its error as one line (the usage block would bury it); --help still shows usage.

    Subcommand parsers are made by the same class (add_subparsers copies it), so every command agrees.
    """

    def error(self, message: str) -> NoReturn:
        line = f"{self.prog}: error: {message} (see {self.prog} --help)"
        self.exit(2, printable(line, ERROR_LINE_LIMIT) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="beatgen", description="Beat Generation: an LSTM drum partner.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_generate(commands)
    _add_styles(commands)
    _add_bench(commands)
    add_catalog_commands(commands)
    from bridge.cli.live import add_commands as add_live_commands

    add_live_commands(commands)
    for entry_point in command_entry_points():
        entry_point.load()(commands)
    return parser


def command_entry_points() -> list[metadata.EntryPoint]:
    """The "beatgen.commands" entry points of the installed packages, by name (a stable order for --help).

    Loading them imports only small argument-parsing modules: textual and TensorFlow are imported by the
    command handlers when they run, so building the parser stays fast (the TUI's start-up time counts).
    """
    return sorted(metadata.entry_points(group=COMMANDS_GROUP), key=lambda entry_point: entry_point.name)


def number_in(kind: type, low: float, high: float):
    """An argparse type: `kind` (int or float) from `low` to `high`; NaN and infinities are refused.

    Out-of-range values are refused when the arguments are read, with argparse's
    one line naming the option, before any file is read or written.
    """
    noun = "whole number" if kind is int else "number"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{printable(repr(text), 60)} is not a {noun}") from None
        if not low <= value <= high:  # NaN fails every comparison, inf is above any high
            shown = printable(text, 60)
            raise argparse.ArgumentTypeError(f"{shown} is out of range: a {noun} from {_plain(low)} to {_plain(high)}")
        return value

    parse.__name__ = noun  # argparse names the type in some messages
    return parse


def _plain(number: float) -> str:
    """1 for 1.0, 4294967295 for 2**32-1: how a user would type the bound."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _preset_range(section: str, key: str, kind: type = float):
    """The same range a preset allows for this setting (docs/presets.md), so the CLI and presets agree."""
    field = PRESET_SCHEMA[section][key]
    assert field.low is not None and field.high is not None
    return number_in(kind, field.low, field.high)


def _add_generate(commands) -> None:
    p = commands.add_parser("generate", help="continue MIDI seed files with the model")
    p.add_argument("inputs", nargs="+", metavar="SEED", help="seed .mid files or folders of them")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT.mid",
        help="output file (one input); a regular file there is replaced whole, never an input, a link or a device",
    )
    p.add_argument(
        "--out-dir", metavar="DIR", help="output folder (one NAME_continued.mid per input; names must not collide)"
    )
    p.add_argument(
        "--preset",
        metavar="NAME|PATH",
        help="play as this preset does live: its bars, controls, feel, mute, lock and note map; "
        "every flag below overrides its value (default: the flags' defaults, General MIDI notes)",
    )
    seed_bars = _preset_range("mode", "listen_bars", int)
    p.add_argument("--seed-bars", type=seed_bars, help="bars of the seed the model hears (1-16, default 2)")
    p.add_argument(
        "--bars",
        type=number_in(int, 1, MAX_GENERATED_BARS),
        help=f"bars to generate (1-{MAX_GENERATED_BARS}, default 4, or the preset's answer or loop)",
    )
    p.add_argument(
        "--temperature",
        type=_preset_range("generation", "temperature"),
        help="sampling temperature (0.05-3, default 1.0)",
    )
    p.add_argument(
        "--top-k",
        type=_preset_range("generation", "top_k", int),
        help="sample among the K likeliest tokens (0-200, 0 = all)",
    )
    p.add_argument("--top-p", type=_preset_range("generation", "top_p"), help="nucleus sampling mass (1.0 = off)")
    p.add_argument(
        "--variation",
        type=number_in(float, 0, 1),
        help=f"0-1: 0 holds the groove exactly, 1 roams freely (default {DEFAULT_VARIATION})",
    )
    p.add_argument("--style", metavar="NAME", help="style to play (default follow: the seed decides; see styles)")
    p.add_argument(
        "--density",
        type=_preset_range("generation", "density"),
        help="hits per bar relative to the seed (0-2, default 1; 0 = silence)",
    )
    p.add_argument(
        "--fill-every",
        type=number_in(int, 0, MAX_GENERATED_BARS),
        metavar="N",
        help="a fill on every N-th bar, counted from the seed's first bar (0 = none, the default)",
    )
    p.add_argument("--fill-last", action="store_true", help="make the last generated bar a fill")
    p.add_argument(
        "--random-seed",
        type=number_in(int, 0, 2**31 - 1),
        help="fix the random seed for reproducible output (0 to 2**31-1); the live bridge plays the same "
        "for a preset with this random_seed",
    )
    p.add_argument(
        "--model",
        metavar="NAME|DIR",
        help="model name (see `beatgen models`) or folder (default: the preset's, else bundled)",
    )
    p.add_argument("--variant", choices=["float32", "int8"], default="float32", help="model precision")
    p.add_argument("--include-seed", action="store_true", help="write the seed bars before the continuation")
    p.add_argument("--channel", type=number_in(int, 1, 16), help="MIDI channel 1-16 (default 10)")
    p.set_defaults(handler=_generate)


# generate's flags that override a preset key: (flag's dest, section, key).
GENERATE_OVERRIDES = (
    ("temperature", "generation", "temperature"),
    ("top_k", "generation", "top_k"),
    ("top_p", "generation", "top_p"),
    ("variation", "generation", "variation"),
    ("style", "generation", "style"),
    ("density", "generation", "density"),
    ("fill_every", "generation", "fill_every"),
    ("random_seed", "generation", "random_seed"),
    ("channel", "output", "channel"),
)


def _generate(args) -> int:
    import dataclasses

    from bridge.generate import GenerateOptions, options_from_preset, run_generate
    from bridge.model.controls import check_generate_controls
    from bridge.model.step_model import StepModel
    from bridge.settings.preset_store import PRESET_SEARCH
    from bridge.settings.presets import Preset, load_preset, validate

    # One shaping path: the flags become preset values, and the preset what the live bridge plays.
    preset = load_preset(args.preset, PRESET_SEARCH) if args.preset else Preset("flags", None, validate({}))
    values = preset.values
    for dest, section, key in GENERATE_OVERRIDES:
        if getattr(args, dest) is not None:
            values[section][key] = getattr(args, dest)
    options = options_from_preset(Preset(preset.name, preset.path, values))
    if not args.preset:  # no preset: generate's own defaults, not the default preset's answer length
        options = dataclasses.replace(options, seed_bars=GenerateOptions.seed_bars, bars=GenerateOptions.bars)
    options = dataclasses.replace(
        options,
        seed_bars=args.seed_bars or options.seed_bars,
        bars=args.bars or options.bars,
        include_seed=args.include_seed,
        fill_last=args.fill_last,
    )
    model = StepModel(resolve_model(args.model or values["generation"]["model"]), args.variant)
    check_generate_controls(model.info, options.controls.style, options.controls.fill_every > 0 or args.fill_last)
    return 1 if run_generate(args.inputs, args.output, args.out_dir, model, options) else 0


def _add_styles(commands) -> None:
    p = commands.add_parser("styles", help="list the styles the model can play (for generate --style)")
    p.add_argument("--model", default=BUNDLED, metavar="NAME|DIR", help=MODEL_HELP)
    p.set_defaults(handler=_styles)


def _styles(args) -> int:
    from bridge.model.controls import model_styles
    from bridge.model.files import load_model_info

    info, _vocabulary = load_model_info(resolve_model(args.model))
    for name in model_styles(info):
        print(f"{name}  (the seed decides)" if name == FOLLOW else name)
    return 0


def _add_bench(commands) -> None:
    p = commands.add_parser("bench", help="measure per-token latency, bar time, import time and memory")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--model", default=BUNDLED, metavar="NAME|DIR", help=MODEL_HELP)
    p.add_argument(
        "--tokens",
        type=number_in(int, 1, MAX_BENCH_TOKENS),
        default=5000,
        help="tokens timed per variant (default 5000)",
    )
    p.add_argument("--no-reference", action="store_true", help="skip the notebook-method reference (needs TensorFlow)")
    p.set_defaults(handler=_bench)


def _bench(args) -> int:
    from bridge.cli.bench import run_bench

    return run_bench(str(resolve_model(args.model)), args.tokens, args.json, reference=not args.no_reference)


def dispatch(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Run the chosen subcommand; a user's mistake becomes one line on stderr, not a traceback."""
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except USER_ERRORS as error:
        # Errors quote file names and file contents: escaped and bounded, so one line stays one line.
        print(f"{parser.prog} {args.command}: error: {printable(error, ERROR_LINE_LIMIT)}", file=sys.stderr)
        return NO_MIDI_EXIT if isinstance(error, PortError) else 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    return dispatch(build_parser(), argv or [DEFAULT_COMMAND])  # plain `beatgen` opens the terminal UI


if __name__ == "__main__":
    sys.exit(main())
