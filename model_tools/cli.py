"""Subcommands analyze, train, convert and evaluate; shared by `beatgen` and `python -m model_tools`.

`beatgen` finds add_commands through the "beatgen.commands" entry point
(pyproject.toml); bridge/ never imports model_tools/.  Keep this module light:
it is imported whenever `beatgen` builds its parser (TensorFlow only when a
command runs).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from bridge.model.files import DEFAULT_MODEL_DIR
from bridge.music.sampling import DEFAULT_VARIATION

from .config import OPTION_HELP, TrainConfig

# TensorFlow's C++ start-up chatter (CUDA probing, CPU flags) hides our own output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def add_commands(commands) -> None:
    p = commands.add_parser("analyze", help="distributions of a MIDI folder and the vocabulary they imply")
    p.add_argument("folder", help="folder of MIDI files (info.csv splits are used when present)")
    p.add_argument("--split", default="train", help="which split to analyze (default train)")
    p.add_argument("--write", metavar="FILE.json", help="also write the derived tokenizer configuration")
    p.set_defaults(handler=_analyze)

    p = commands.add_parser(
        "train",
        help="train the LSTM on a MIDI folder, or fine-tune a model on your clips (--from); needs the 'train' extra",
    )
    p.add_argument("folder", help="folder of MIDI files; info.csv splits, else a stable share of the clips is held out")
    p.add_argument(
        "-o",
        "--run-dir",
        required=True,
        metavar="DIR|NAME",
        help="from scratch: folder for checkpoints, history and run.json; with --from: the new model "
        "(a plain NAME goes to your models folder, see `beatgen models`)",
    )
    p.add_argument(
        "--from",
        dest="base",
        metavar="MODEL",
        help="fine-tune this model (bundled, one of yours, or a model folder) on the folder's clips",
    )
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in -o")
    p.add_argument("--quiet", action="store_true", help="one line per epoch instead of a progress bar")
    for field, default in TrainConfig().to_json().items():
        # SUPPRESS: an option not given stays out of args, so a fine-tuning run can tell the
        # user's values from the defaults (its own defaults differ, finetune.FINE_TUNE_DEFAULTS).
        p.add_argument(
            f"--{field.replace('_', '-')}",
            type=type(default),
            default=argparse.SUPPRESS,
            dest=field,
            help=f"{OPTION_HELP[field]} (default {default!r})",
        )
    p.set_defaults(handler=_train)

    p = commands.add_parser("convert", help="trained run -> streaming TFLite step model + model.json")
    p.add_argument("run_dir", help="folder written by `beatgen train`")
    p.add_argument(
        "-o", "--model-dir", required=True, help="where to write model.tflite, model_int8.tflite, model.json"
    )
    p.set_defaults(handler=_convert)

    p = commands.add_parser("evaluate", help="bits/bar and groove metrics against baselines")
    p.add_argument("folder", help="dataset folder with info.csv")
    p.add_argument("--split", default="validation", help="split to evaluate (default validation)")
    p.add_argument("--model", default=str(DEFAULT_MODEL_DIR), metavar="DIR", help="model folder (default: bundled)")
    p.add_argument("--variant", choices=["float32", "int8"], default="float32")
    p.add_argument("--samples", type=int, default=1, help="sampled continuations per window (default 1)")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-k", type=int, default=0)
    p.add_argument("--top-p", type=float, default=1.0)
    p.add_argument(
        "--variation", type=float, default=DEFAULT_VARIATION, help="0 holds the groove, 1 roams (default 0.2)"
    )
    p.add_argument(
        "--curves", action="store_true", help="also sweep density, variation and temperature, and compare fills"
    )
    p.add_argument(
        "--styles", action="store_true", help="also judge requested styles with a classifier (in --curves too)"
    )
    p.add_argument("--random-seed", type=int, default=0)
    p.add_argument("--max-windows", type=int, default=0, help="evaluate at most this many windows (0 = all)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.set_defaults(handler=_evaluate)


def _analyze(args) -> int:
    from .analyze import run

    run(args.folder, args.split, args.write)
    return 0


def _train(args) -> int:
    if not training_extra_installed("train"):
        return 2
    from .clips import split_clips
    from .train import train

    given = {key: value for key, value in vars(args).items() if key in TrainConfig.__dataclass_fields__}
    verbose = 2 if args.quiet else 1
    if args.base:
        return _fine_tune(args, given, verbose)
    config = TrainConfig.from_json({**TrainConfig().to_json(), **given})
    clips = split_clips(args.folder, config.max_files)  # before TensorFlow starts: a bad folder is one line
    best = train(args.folder, args.run_dir, config, resume=args.resume, verbose=verbose, clips=clips)
    print(f"best model: {best}")
    return 0


def _fine_tune(args, given: dict, verbose: int) -> int:
    from .clips import FINE_TUNE_HELD_OUT_SHARE, split_clips
    from .convert import convert
    from .finetune import RUN_SUBDIR, base_model, fine_tune_config, model_folder
    from .train import train

    base = base_model(args.base)
    target = model_folder(args.run_dir)
    config = fine_tune_config(base, given)
    # Before TensorFlow starts, so a folder that cannot be used is one line, not one after TF's chatter.
    clips = split_clips(args.folder, 0, base.meters, FINE_TUNE_HELD_OUT_SHARE)
    train(args.folder, str(target / RUN_SUBDIR), config, args.resume, verbose, base=base, clips=clips)
    convert(str(target / RUN_SUBDIR), str(target))
    print(f"model written to {target}; play it with --model {args.run_dir} (see `beatgen models`)")
    return 0


def training_extra_installed(command: str) -> bool:
    """False, after one line naming the install command, when TensorFlow/Keras are not installed."""
    # Found without importing it: TensorFlow's start-up chatter must not bury a one-line error that follows.
    try:
        found = importlib.util.find_spec("keras") is not None and importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules (how tests hide it)
        found = False
    if not found:
        print(
            f"beatgen {command}: needs the 'train' extra (TensorFlow): pip install 'beat-generation[train]'",
            file=sys.stderr,
        )
        return False
    return True


def _convert(args) -> int:
    if not training_extra_installed("convert"):
        return 2
    from .convert import convert

    convert(args.run_dir, args.model_dir)
    return 0


def _evaluate(args) -> int:
    if not training_extra_installed("evaluate"):
        return 2
    from .evaluate import run_evaluation

    run_evaluation(args)
    return 0


def main(argv: list[str] | None = None) -> int:
    from bridge.cli.main import dispatch

    parser = argparse.ArgumentParser(prog="python -m model_tools", description="Train and convert the drum LSTM.")
    add_commands(parser.add_subparsers(dest="command", metavar="COMMAND"))
    return dispatch(parser, argv)
