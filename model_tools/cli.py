"""Subcommands analyze, train, convert and evaluate; shared by `beatgen` and `python -m model_tools`.

`beatgen` finds add_commands through the "beatgen.commands" entry point
(pyproject.toml); bridge/ never imports model_tools/.  Keep this module light:
it is imported whenever `beatgen` builds its parser (TensorFlow only when a
command runs).
"""

from __future__ import annotations

import argparse
import os

from bridge.model.files import DEFAULT_MODEL_DIR
from bridge.music.sampling import DEFAULT_VARIATION

from .config import TrainConfig

# TensorFlow's C++ start-up chatter (CUDA probing, CPU flags) hides our own output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def add_commands(commands) -> None:
    p = commands.add_parser("analyze", help="distributions of a MIDI folder and the vocabulary they imply")
    p.add_argument("folder", help="folder of MIDI files (info.csv splits are used when present)")
    p.add_argument("--split", default="train", help="which split to analyze (default train)")
    p.add_argument("--write", metavar="FILE.json", help="also write the derived tokenizer configuration")
    p.set_defaults(handler=_analyze)

    p = commands.add_parser("train", help="train the LSTM on a MIDI folder (needs the 'train' extra)")
    p.add_argument("folder", help="folder of MIDI files; info.csv splits, else a stable 90/10 split")
    p.add_argument("-o", "--run-dir", required=True, help="folder for checkpoints, history and run.json")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in --run-dir")
    p.add_argument("--quiet", action="store_true", help="one line per epoch instead of a progress bar")
    for field, default in TrainConfig().to_json().items():
        p.add_argument(f"--{field.replace('_', '-')}", type=type(default), default=default, dest=field)
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
    from .train import train

    config = TrainConfig.from_json(vars(args))
    best = train(args.folder, args.run_dir, config, resume=args.resume, verbose=2 if args.quiet else 1)
    print(f"best model: {best}")
    return 0


def _convert(args) -> int:
    from .convert import convert

    convert(args.run_dir, args.model_dir)
    return 0


def _evaluate(args) -> int:
    from .evaluate import run_evaluation

    run_evaluation(args)
    return 0


def main(argv: list[str] | None = None) -> int:
    from bridge.cli.main import dispatch

    parser = argparse.ArgumentParser(prog="python -m model_tools", description="Train and convert the drum LSTM.")
    add_commands(parser.add_subparsers(dest="command", metavar="COMMAND"))
    return dispatch(parser, argv)
