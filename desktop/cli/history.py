"""`claude-rpg export`, `claude-rpg import` and `claude-rpg db migrate`: the user's history."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.exc import OperationalError

from desktop.cli.common import add_common, data_paths, open_database, report_locked
from desktop.cli.progress import ProgressBar
from desktop.core.history.transfer import ImportFileError, export_lines, export_to, import_from
from desktop.store.db import Database
from desktop.store.migrations import SCHEMA_VERSION, backup_path, current_version


def register_migrate(db_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`claude-rpg db migrate` (desktop/cli/db.py holds the `db` command)."""
    migrate = db_sub.add_parser(
        "migrate", help="bring the database up to date now, with a progress bar (resumable)"
    )
    add_common(migrate)
    migrate.set_defaults(func=cmd_migrate)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser("export", help="write personas and the event log as JSON lines")
    add_common(export)
    export.add_argument(
        "--output", "-o", type=Path, default=None, help="file to write (default: stdout)"
    )
    export.set_defaults(func=cmd_export)

    imp = sub.add_parser("import", help="add the personas and events of an export (idempotent)")
    add_common(imp)
    imp.add_argument("file", type=Path, help="a file `claude-rpg export` wrote ('-': stdin)")
    imp.set_defaults(func=cmd_import)


def cmd_migrate(args: argparse.Namespace) -> int:
    paths = data_paths(args)
    before = 0
    if paths.database.exists():
        with sqlite3.connect(f"file:{paths.database}?mode=ro", uri=True) as conn:
            before = current_version(conn)
        conn.close()
    bar = ProgressBar()
    try:
        db = open_database(args, "migrate", progress=bar)
    except OperationalError as e:
        bar.finish()
        return report_locked(args, e, kept="what was done so far is kept")
    bar.finish()
    if db is None:
        return 1
    db.close()
    if before == SCHEMA_VERSION:
        print(f"claude-rpg: {paths.database} is up to date (schema version {before})")
        return 0
    print(f"claude-rpg: {paths.database} migrated from schema version {before} to {SCHEMA_VERSION}")
    copy = backup_path(paths.database, before)
    if copy.exists():
        print(f"claude-rpg: the database as it was is kept at {copy}; delete it when all is well")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    bar = ProgressBar()
    db = open_database(args, "export", progress=bar)
    if db is None:
        return 1
    try:
        if args.output is None:
            for line in export_lines(db):
                sys.stdout.write(line)
            return 0
        count = export_to(db, args.output, progress=bar)
    finally:
        bar.finish()
        db.close()
    print(f"claude-rpg: wrote {count:,} lines to {args.output}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    paths = data_paths(args)
    paths.ensure()
    bar = ProgressBar()
    # Importing into a new data dir is fine: the database is made on first open.
    db = Database(paths.database, progress=bar)
    try:
        if str(args.file) == "-":
            report = import_from(db, sys.stdin, progress=bar)
        else:
            with open(args.file, encoding="utf-8") as source:
                report = import_from(db, source, progress=bar)
    except FileNotFoundError:
        print(f"claude-rpg: no file at {args.file}; nothing imported", file=sys.stderr)
        return 1
    except ImportFileError as e:
        print(f"claude-rpg: {args.file}: {e}", file=sys.stderr)
        return 1
    except OperationalError as e:
        return report_locked(args, e, kept="what was done so far is kept")
    finally:
        bar.finish()
        db.close()
    print(
        f"claude-rpg: imported {report.events_added:,} events and {report.personas_added} "
        f"personas ({report.events_known:,} events were already there)"
    )
    return 0
