"""Options every subcommand shares."""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop.config import configured_settings
from desktop.paths import DataPaths, default_data_dir


def add_common(parser: argparse.ArgumentParser) -> None:
    # The settings file gives the defaults; a flag on the command line wins for that run.
    port = configured_settings().port
    parser.add_argument("--port", type=int, default=port, help=f"listener port ({port})")
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="where the database and logs live"
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log debug messages")


def data_paths(args: argparse.Namespace) -> DataPaths:
    return DataPaths(args.data_dir or default_data_dir())
