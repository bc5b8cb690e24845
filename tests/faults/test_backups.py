"""Daily online backups: taken from the live file, the last seven kept, reported by doctor."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from desktop.doctor import Level, check_backups
from desktop.paths import DataPaths
from desktop.store.backup import KEPT_BACKUPS, backup_database, backup_due, list_backups
from desktop.store.db import Database
from tests.faults.conftest import stored_count

DAY = dt.timedelta(days=1)
T0 = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def seeded(paths: DataPaths, events: int) -> Database:
    db = Database(paths.database)
    conn = sqlite3.connect(paths.database)
    with conn:
        conn.executemany(
            "INSERT INTO hook_event (dedupe_key, event_name, session_id, stamp, received_at,"
            " record) VALUES (?, 'Stop', 's', ?, '2026-12-01 09:00:00', '{}')",
            [(f"k{n}", float(n)) for n in range(events)],
        )
    conn.close()
    return db


def test_a_backup_a_day_and_only_the_last_seven_are_kept(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data")
    db = seeded(paths, 5)
    assert backup_due(paths.backups, T0)
    for day in range(KEPT_BACKUPS + 3):
        now = T0 + day * DAY
        assert backup_due(paths.backups, now)
        backup_database(paths.database, paths.backups, now)
        assert not backup_due(paths.backups, now + dt.timedelta(hours=23))
    kept = list_backups(paths.backups)
    assert len(kept) == KEPT_BACKUPS
    assert kept[0].name == "claude-rpg-20261210-093000.sqlite3"
    assert kept[-1].name == "claude-rpg-20261204-093000.sqlite3"
    assert all(stored_count(k) == 5 for k in kept)
    assert all(k.stat().st_mode & 0o077 == 0 for k in kept), "backups are the user's only"
    # A wall clock moved back before the newest backup: take one now rather than never.
    assert backup_due(paths.backups, T0)
    db.close()


def test_the_backup_is_taken_while_the_database_is_open_for_writing(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data")
    db = seeded(paths, 3)
    writer = sqlite3.connect(paths.database)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO hook_event (dedupe_key, event_name, session_id, stamp, received_at, record)"
        " VALUES ('late', 'Stop', 's', 9, '2026-12-01 09:00:00', '{}')"
    )
    # The uncommitted row is not in the copy; the committed ones are, whole.
    target = backup_database(paths.database, paths.backups, T0)
    writer.commit()
    writer.close()
    assert stored_count(target) == 3
    assert stored_count(paths.database) == 4
    assert not list(paths.backups.glob(".*partial"))
    db.close()


def test_doctor_says_when_the_last_backup_was_made(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data")
    assert check_backups(paths, T0).level is Level.OK  # no database, nothing to back up
    db = seeded(paths, 1)
    none_yet = check_backups(paths, T0)
    assert none_yet.level is Level.WARN and "no backup" in none_yet.message
    assert "claude-rpg db backup" in str(none_yet.fix)
    backup_database(paths.database, paths.backups, T0)
    recent = check_backups(paths, T0 + dt.timedelta(hours=3))
    assert recent.level is Level.OK
    assert recent.message.startswith("last made 2026-12-01 09:30 UTC (3 h ago), 1 kept in ")
    stale = check_backups(paths, T0 + 3 * DAY)
    assert stale.level is Level.WARN and "(3 days ago)" in stale.message
    db.close()
