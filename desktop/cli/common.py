"""Options every subcommand shares."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.exc import OperationalError

from desktop.config import configured_settings
from desktop.paths import DataPaths, default_data_dir
from desktop.store.db import Database
from desktop.store.migrations import Progress, SchemaTooNewError


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


def open_database(
    args: argparse.Namespace, nothing_to: str, progress: Progress | None = None
) -> Database | None:
    """The app's database, or None after saying on stderr why there is none to use.

    Opening migrates an older database (with `progress` reporting the long steps).
    """
    paths = data_paths(args)
    if not paths.database.exists():
        print(
            f"claude-rpg: no database at {paths.database}, so nothing to {nothing_to}; "
            "pass the --data-dir the app uses",
            file=sys.stderr,
        )
        return None
    try:
        return Database(paths.database, progress=progress)
    except SchemaTooNewError as e:
        print(f"claude-rpg: {e}", file=sys.stderr)
        return None


def report_locked(
    args: argparse.Namespace,
    error: OperationalError,
    kept: str = "nothing was changed",
    again: str = "the command",
) -> int:
    """Exit status 1 with a sentence for a database another writer kept locked: what `kept`
    of the work, and that `again` can be run in a moment. Any other error is raised."""
    if "locked" not in str(error):
        raise error
    print(
        f"claude-rpg: the database at {data_paths(args).database} stayed locked by another "
        f"writer; {kept}, run {again} again in a moment",
        file=sys.stderr,
    )
    return 1
