"""Subcommands `beatgen tui` (also plain `beatgen`) and `beatgen bench-tui`.

Registered through the "beatgen.commands" entry point (pyproject.toml), so
the bridge's command line does not import the UI.  This module must stay
light: it is imported every time `beatgen` builds its parser, and textual is
imported only when the UI runs (tests/tui/test_tui_units.py checks this).
"""

from __future__ import annotations

import argparse

from bridge.cli.live import add_bridge_options


def add_commands(commands) -> None:
    """`beatgen tui`: the options of `beatgen run`; `beatgen bench-tui`: its start-up time."""
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
