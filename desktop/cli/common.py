"""Options every subcommand shares."""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop.paths import DEFAULT_PORT, DataPaths, default_data_dir


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="listener port (4011)")
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="where the database and logs live"
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log debug messages")


def data_paths(args: argparse.Namespace) -> DataPaths:
    return DataPaths(args.data_dir or default_data_dir())
