"""Online backups of the database (SQLite's backup API): one a day, the last seven kept.

A backup is a complete, consistent copy taken while the app runs (a read transaction on
the live file, so the app keeps writing in WAL mode meanwhile). `claude-rpg db repair`
restores the newest backup that passes SQLite's own check.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from pathlib import Path

from desktop.store.problems import read_only_uri

log = logging.getLogger(__name__)

KEPT_BACKUPS = 7
BACKUP_EVERY = dt.timedelta(days=1)
_PREFIX = "claude-rpg-"
_SUFFIX = ".sqlite3"
_STAMP = "%Y%m%d-%H%M%S"


def backup_name(when: dt.datetime, label: str = "") -> str:
    """The file name of a backup taken at `when` (UTC); a label says why (e.g. a migration)."""
    stamp = when.astimezone(dt.UTC).strftime(_STAMP)
    return f"{_PREFIX}{stamp}{'-' + label if label else ''}{_SUFFIX}"


def backup_time(path: Path) -> dt.datetime | None:
    """When a backup was taken, read from its name; None for a file that is not one."""
    name = path.name
    if not (name.startswith(_PREFIX) and name.endswith(_SUFFIX)):
        return None
    stamp = name[len(_PREFIX) : len(_PREFIX) + 15]
    try:
        return dt.datetime.strptime(stamp, _STAMP).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def list_backups(folder: Path) -> list[Path]:
    """The backups in `folder`, newest first."""
    try:
        found = [p for p in folder.iterdir() if p.is_file() and backup_time(p) is not None]
    except FileNotFoundError:
        return []
    return sorted(found, key=lambda p: (backup_time(p), p.name), reverse=True)


def last_backup_time(folder: Path) -> dt.datetime | None:
    """When the newest backup was taken, or None when there is none."""
    newest = list_backups(folder)
    return backup_time(newest[0]) if newest else None


def backup_due(folder: Path, now: dt.datetime) -> bool:
    """True when no backup is younger than a day (or the newest is from the future)."""
    last = last_backup_time(folder)
    return last is None or not (dt.timedelta(0) <= now - last < BACKUP_EVERY)


def backup_database(
    database: Path, folder: Path, now: dt.datetime, label: str = "", keep: int = KEPT_BACKUPS
) -> Path:
    """Copy the live database into `folder` with SQLite's backup API; keep the newest `keep`.

    Reads only: safe from any thread while the app writes. The copy is written under a
    temporary name and renamed, so a backup cut short (a full disk) never looks complete.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / backup_name(now, label)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(read_only_uri(database), uri=True)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        copy = sqlite3.connect(partial)
        try:
            # One step (pages=-1): one read transaction, so writers never restart the copy.
            source.backup(copy)
        finally:
            copy.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    os.replace(partial, target)
    prune_backups(folder, keep)
    log.info("database backed up to %s", target)
    return target


def prune_backups(folder: Path, keep: int = KEPT_BACKUPS) -> list[Path]:
    """Delete all but the newest `keep` backups; returns the deleted ones."""
    old = list_backups(folder)[keep:]
    for path in old:
        path.unlink(missing_ok=True)
    return old
