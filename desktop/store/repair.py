"""Repairing a damaged database: keep it aside, restore the newest sound backup, salvage events.

Nothing is deleted: the damaged file (with its -wal and -shm) is renamed beside it. The
hook events still readable in it are handed back to the caller, which replays them through
the spool (those already in the restored backup come back as duplicates and are skipped).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from desktop.store.backup import list_backups
from desktop.store.problems import check_file, read_only_uri

log = logging.getLogger(__name__)

_SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class SalvagedEvent:
    """One hook event read back from a damaged database: its compact row (HookEvent)."""

    dedupe_key: str
    stamp: float
    pane_id: str | None
    claude_pid: int | None
    event_name: str
    session_id: str
    tool_name: str | None
    cwd: str | None
    record: str

    def values(self) -> dict[str, object]:
        """The row's column values, as EventRepo.append_values_id takes them."""
        return {
            "dedupe_key": self.dedupe_key,
            "event_name": self.event_name,
            "session_id": self.session_id,
            "pane_id": self.pane_id,
            "claude_pid": self.claude_pid,
            "stamp": self.stamp,
            "tool_name": self.tool_name,
            "cwd": self.cwd,
            "record": self.record,
        }


@dataclass
class RepairReport:
    """What a repair did."""

    moved_to: Path
    restored_from: Path | None  # None: no sound backup, a new database starts
    salvaged: list[SalvagedEvent] = field(default_factory=list)
    skipped_backups: list[Path] = field(default_factory=list)  # backups that failed the check


def aside_name(path: Path, now: dt.datetime) -> Path:
    """Where the damaged file goes: beside it, named for when it was found damaged."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    return candidate


def salvage_events(path: Path) -> Iterator[SalvagedEvent]:
    """The hook events SQLite can still read in `path`, in stored order, up to the damage."""
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
    except sqlite3.Error:
        return
    try:
        rows = conn.execute(
            "SELECT dedupe_key, stamp, pane_id, claude_pid, event_name, session_id, tool_name,"
            " cwd, record FROM hook_event ORDER BY id"
        )
        for key, stamp, pane, pid, event_name, session_id, tool, cwd, record in rows:
            yield SalvagedEvent(
                str(key),
                float(stamp),
                pane,
                pid if isinstance(pid, int) else None,
                str(event_name),
                str(session_id),
                tool,
                cwd,
                str(record or "{}"),
            )
    except sqlite3.Error as e:
        # A damaged page ends the walk; what was read before it is kept.
        log.warning("salvage of %s stopped: %s", path, e)
    finally:
        conn.close()


def repair_database(path: Path, backups: Path, now: dt.datetime) -> RepairReport:
    """Move the damaged file aside, restore the newest backup that passes SQLite's check."""
    moved_to = aside_name(path, now)
    os.replace(path, moved_to)
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, moved_to.with_name(moved_to.name + suffix))
    log.warning("the damaged database %s was moved to %s", path, moved_to)
    report = RepairReport(moved_to, None, list(salvage_events(moved_to)))
    for backup in list_backups(backups):
        if check_file(backup) is not None:
            report.skipped_backups.append(backup)
            continue
        partial = path.with_name(f".{path.name}.restoring")
        shutil.copyfile(backup, partial)
        os.chmod(partial, 0o600)
        os.replace(partial, path)
        report.restored_from = backup
        log.info("database restored from the backup %s", backup)
        break
    return report
