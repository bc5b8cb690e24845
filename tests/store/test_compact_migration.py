"""Migrating a database the previous release wrote (every payload verbatim) to the compact log.

The version-2 database is written by the code of commit 0461e8f itself
(tests/fixtures/make_v2_database.py); the migration is killed halfway with SIGKILL in a real
subprocess, then resumed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.core.history.record import compact
from desktop.core.progression.rebuild import rebuild
from desktop.store.db import Database
from desktop.store.migrations import (
    CONVERT_BATCH,
    MIGRATIONS,
    RECLAIM_WHAT,
    SCHEMA_VERSION,
    VACUUM_DUE_SUFFIX,
    DataStep,
    backup_path,
)
from tests.fixtures.make_v2_database import FAKE_SECRET, events

EXTRA = 3000  # with the 137 + 28 recorded events: more than one batch of conversion
# The version the conversion brings the database to.
COMPACT_STEP = next(n for n, step in enumerate(MIGRATIONS, 1) if isinstance(step, DataStep))
KILL_AT = CONVERT_BATCH + CONVERT_BATCH // 4  # inside the second batch, before its commit

# Runs the migration in a child that SIGKILLs itself at the KILL_AT-th converted event.
KILLER = """
import os, signal, sys
from pathlib import Path
import desktop.core.history.record as record
real, calls = record.compact, [0]
def compact(name, payload):
    calls[0] += 1
    if calls[0] == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)
    return real(name, payload)
record.compact = compact
from desktop.store.db import Database
Database(Path(sys.argv[1]))
"""

# Migrates as Database() does, and SIGKILLs itself inside the VACUUM that gives the dropped
# payloads' space back: SQLite's progress handler runs between the VACUUM's own VM steps.
VACUUM_KILLER = """
import os, signal, sqlite3, sys
from desktop.store.migrations import RECLAIM_WHAT, migrate
conn = sqlite3.connect(sys.argv[1])
conn.execute("PRAGMA journal_mode=WAL")
steps = [0]
def progress(what, done, total):
    if what == RECLAIM_WHAT and done == 0:
        steps[0] = 1
def step():
    if steps[0]:
        steps[0] += 1
        if steps[0] == 50:
            os.kill(os.getpid(), signal.SIGKILL)
    return 0
conn.set_progress_handler(step, 100)
migrate(conn, progress=progress)
print("the VACUUM ended before the kill")
"""


@pytest.fixture(scope="module")
def v2_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.fixtures.make_v2_database import build

    out = tmp_path_factory.mktemp("v2") / "claude-rpg.sqlite3"
    build(out, extra=EXTRA)
    return out


@pytest.fixture
def database(v2_database: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data" / v2_database.name
    copy.parent.mkdir()
    shutil.copy(v2_database, copy)
    return copy


def read(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def version(path: Path) -> int:
    return int(str(read(path, "PRAGMA user_version")[0][0]))


def test_the_fixture_is_what_the_old_release_wrote(v2_database: Path) -> None:
    assert version(v2_database) == 2
    [(count,)] = read(v2_database, "SELECT count(*) FROM hook_event")
    assert count == len(list(events(EXTRA)))
    [(payload,)] = read(
        v2_database, "SELECT payload FROM hook_event WHERE dedupe_key = ?", ("synthetic:1",)
    )
    assert FAKE_SECRET in str(payload)  # verbatim, as the issue says


def test_killed_halfway_then_resumed(database: Path) -> None:
    xp_before = dict(read(database, "SELECT session_id, xp FROM persona"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(database), str(KILL_AT)], env=env, capture_output=True
    )
    assert killed.returncode == -9, killed.stderr.decode()

    # One batch committed with its high-water mark; the second rolled back.
    assert version(database) == COMPACT_STEP - 1
    [(mark,)] = read(database, "SELECT high_water FROM migration_mark")
    [(nth_id,)] = read(
        database, "SELECT id FROM hook_event ORDER BY id LIMIT 1 OFFSET ?", (CONVERT_BATCH - 1,)
    )
    assert mark == nth_id
    [(converted,)] = read(database, "SELECT count(*) FROM hook_event WHERE payload = ''")
    assert converted == CONVERT_BATCH
    backup = backup_path(database, 2)
    assert version(backup) == 2 and os.stat(backup).st_mode & 0o777 == 0o600
    backup_bytes = backup.read_bytes()

    seen: list[tuple[str, int, int]] = []
    db = Database(database, progress=lambda what, done, total: seen.append((what, done, total)))
    try:
        report = rebuild(db)
    finally:
        db.close()

    assert version(database) == SCHEMA_VERSION
    columns = {row[1] for row in read(database, "PRAGMA table_info(hook_event)")}
    assert "payload" not in columns
    tables = {row[0] for row in read(database, "SELECT name FROM sqlite_master")}
    assert "migration_mark" not in tables
    # The resumed run started after the committed batch and ran to the end, saying so.
    compacting = [(done, total) for what, done, total in seen if what == "compacting stored events"]
    assert compacting[0] == (CONVERT_BATCH, len(list(events(EXTRA))))
    assert compacting[-1][0] == compacting[-1][1]
    # The copy made before the first attempt is kept as it was.
    assert backup.read_bytes() == backup_bytes

    # Each row holds exactly the compact record of the payload the old release stored.
    stored = {
        key: (tool, cwd, record)
        for key, tool, cwd, record in read(
            database, "SELECT dedupe_key, tool_name, cwd, record FROM hook_event"
        )
    }
    for item in events(EXTRA):
        payload = item["payload"]
        facts = compact(payload["hook_event_name"], payload)
        expected = (facts.tool_name or None, facts.cwd or None, facts.record_json())
        assert stored[item["key"]] == expected, item["key"]

    # XP rebuilt from the compact log is the XP the old release paid live.
    assert {p.persona_id for p in report.personas if p.changed} == set()
    assert dict(read(database, "SELECT session_id, xp FROM persona")) == xp_before
    # No secret is left: not in the events, not in the ledger, not in the file's free pages.
    for path in database.parent.glob(f"{database.name}*"):
        if path != backup:
            assert FAKE_SECRET.encode() not in path.read_bytes(), path.name


def test_a_new_database_gets_no_backup(tmp_path: Path) -> None:
    db = Database(tmp_path / "claude-rpg.sqlite3")
    db.close()
    assert [p.name for p in tmp_path.iterdir() if "backup" in p.name] == []
    assert os.stat(tmp_path / "claude-rpg.sqlite3").st_mode & 0o777 == 0o600


def test_reasons_in_the_ledger_are_redacted(database: Path) -> None:
    before = [r for (r,) in read(database, "SELECT reason FROM xp_award") if FAKE_SECRET in str(r)]
    assert before  # the old release quoted commands, secrets and all
    Database(database).close()
    reasons = [str(r) for (r,) in read(database, "SELECT reason FROM xp_award")]
    assert not [r for r in reasons if FAKE_SECRET in r]
    assert "git commit: Bash: git commit -qm 'rotate [REDACTED]'" in reasons


def test_the_app_migrates_at_start_up_with_its_progress_in_the_log(database: Path) -> None:
    from tests.support.app_process import AppProcess

    xp_before = dict(read(database, "SELECT session_id, xp FROM persona"))
    app = AppProcess(database.parent).start(timeout=120)
    try:
        personas = app.get("/api/personas?limit=1000")
    finally:
        assert app.stop() == 0
    assert {p["session_id"]: p["xp"] for p in personas} == xp_before
    log = app.log()
    assert "database migration: compacting stored events, 100%" in log
    assert "database migration: redacting the XP ledger, 100%" in log
    assert version(database) == SCHEMA_VERSION


def pages(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA page_count").fetchone()[0])
    finally:
        conn.close()


def test_a_vacuum_killed_or_failing_gives_the_space_back_at_a_later_open(
    database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    big = pages(database)
    killed = subprocess.run(
        [sys.executable, "-c", VACUUM_KILLER, str(database)], env=env, capture_output=True
    )
    assert killed.returncode == -9, (killed.stdout, killed.stderr.decode())
    # Converted and correct, but the file is as large as with every payload in it.
    assert version(database) == SCHEMA_VERSION
    assert "payload" not in {row[1] for row in read(database, "PRAGMA table_info(hook_event)")}
    assert pages(database) >= big
    marker = database.with_name(database.name + VACUUM_DUE_SUFFIX)
    assert marker.exists() and os.stat(marker).st_mode & 0o777 == 0o600
    events_before = read(database, "SELECT count(*) FROM hook_event")

    # Another process holds the database: the VACUUM fails, the open goes on, and says so.
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        Database(database).close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "VACUUM failed" in caplog.text
    assert marker.exists() and pages(database) >= big

    # The next open gives the space back.
    seen: list[tuple[str, int, int]] = []
    Database(database, progress=lambda *a: seen.append(a)).close()
    assert seen == [(RECLAIM_WHAT, 0, 1), (RECLAIM_WHAT, 1, 1)]
    assert not marker.exists() and pages(database) < big / 4
    assert read(database, "SELECT count(*) FROM hook_event") == events_before
    # Once given back, an open does not VACUUM again.
    seen.clear()
    Database(database, progress=lambda *a: seen.append(a)).close()
    assert seen == []
