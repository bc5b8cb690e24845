"""Command line entry point: parse, set up logging, dispatch to a subcommand or run the app."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from desktop.cli import hooks
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
    return parser


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    func = getattr(args, "func", None)
    if func is not None:
        return int(func(args))
    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
