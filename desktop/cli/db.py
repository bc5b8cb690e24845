"""`claude-rpg db repair` and `claude-rpg db backup`: the database's way back, and a copy now."""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys

from desktop.cli import history
from desktop.cli.common import add_common, data_paths
from desktop.paths import data_dir_flag
from desktop.repair import repair
from desktop.store.backup import backup_database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="repair, back up or migrate the database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    repair_p = db_sub.add_parser(
        "repair",
        help="keep a damaged database aside, restore the newest backup, replay what is readable",
    )
    add_common(repair_p)
    repair_p.set_defaults(func=cmd_repair)
    backup_p = db_sub.add_parser("backup", help="take a backup of the database now")
    add_common(backup_p)
    backup_p.set_defaults(func=cmd_backup)
    history.register_migrate(db_sub)


def _app_running(args: argparse.Namespace) -> bool:
    # The running app holds this lock; repairing under it would pull the file from under it.
    from desktop.ui.single_instance import instance_lock

    lock = instance_lock(data_paths(args).root)
    if not lock.tryLock(0):
        return True
    lock.unlock()
    return False


def cmd_repair(args: argparse.Namespace) -> int:
    paths = data_paths(args)
    if _app_running(args):
        print(
            f"claude-rpg: claude-rpg is running for {paths.root}; quit it, then run "
            f"`claude-rpg db repair{data_dir_flag(args.data_dir)}` again "
            "(or press Repair in its window)",
            file=sys.stderr,
        )
        return 1
    try:
        outcome = repair(paths)
    except OSError as e:
        print(
            f"claude-rpg: the repair could not move or write files in {paths.root} ({e}); "
            "make that folder writable and run it again (nothing was deleted)",
            file=sys.stderr,
        )
        return 1
    print(f"claude-rpg: {outcome.sentence(str(paths.database))}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    paths = data_paths(args)
    if not paths.database.exists():
        print(
            f"claude-rpg: no database at {paths.database}, so nothing to back up", file=sys.stderr
        )
        return 1
    try:
        target = backup_database(paths.database, paths.backups, dt.datetime.now(dt.UTC))
    except (OSError, sqlite3.Error) as e:
        print(
            f"claude-rpg: the backup of {paths.database} failed ({e}); "
            "run `claude-rpg doctor` to see what is wrong",
            file=sys.stderr,
        )
        return 1
    print(f"claude-rpg: backed up to {target}")
    return 0
