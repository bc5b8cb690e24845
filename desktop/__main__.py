"""Command line entry point: parse, set up logging, dispatch to a subcommand or run the app."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from desktop import logs
from desktop.cli import db, desktop_entry, doctor, history, hooks, hosts, progression, report, usage
from desktop.cli.common import add_common
from desktop.cli.run import add_run_options, run_app


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="claude-rpg", description="Watch the Claude Code sessions in your tmux panes."
    )
    add_common(parser)
    add_run_options(parser)
    sub = parser.add_subparsers(dest="command")
    # Each subcommand module registers its parser and sets `func`.
    hooks.register(sub)
    desktop_entry.register(sub)
    doctor.register(sub)
    progression.register(sub)
    history.register(sub)
    report.register(sub)
    usage.register(sub)
    db.register(sub)
    hosts.register(sub)
    return parser


def setup_logging(verbose: bool, log_dir: Path | None = None) -> None:
    logs.setup_logging(verbose, log_dir)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func = getattr(args, "func", None)
    # Only the app itself writes the log file; subcommands talk to the terminal.
    setup_logging(args.verbose, None if func else logs.log_dir_for(args.data_dir))
    if func is not None:
        return int(func(args))
    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
