"""Schema migrations from an empty database, checked against the SQLModel tables."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import SQLModel, select

import desktop.store.models  # noqa: F401 - registers the tables on SQLModel.metadata
from desktop.store.backup import backup_database
from desktop.store.db import Database
from desktop.store.migrations import MIGRATIONS, SCHEMA_VERSION, SchemaTooNewError, migrate


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def test_empty_database_migrates_to_the_latest_version(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    assert migrate(conn) == SCHEMA_VERSION == len(MIGRATIONS)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for table in SQLModel.metadata.sorted_tables:
        assert table.name in tables, f"migrations never create {table.name}"
        assert _columns(conn, table.name) == {c.name for c in table.columns}, table.name


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    migrate(conn)
    schema = list(conn.execute("SELECT sql FROM sqlite_master ORDER BY name"))
    assert migrate(conn) == SCHEMA_VERSION
    assert list(conn.execute("SELECT sql FROM sqlite_master ORDER BY name")) == schema


def test_each_step_applies_on_top_of_the_previous_one(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    for version in range(1, SCHEMA_VERSION + 1):
        assert migrate(conn, MIGRATIONS[:version]) == version


def test_a_newer_database_is_refused_with_a_sentence(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaTooNewError, match="upgrade claude-rpg"):
        migrate(conn)


def test_database_opens_in_wal_mode(tmp_path: Path) -> None:
    db = Database(tmp_path / "db.sqlite3")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.close()


def test_only_the_opening_thread_writes(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from desktop.store.db import WrongThreadWriteError
    from desktop.store.models import Persona
    from desktop.store.repos import ProgressionRepo

    db = Database(tmp_path / "db.sqlite3")

    def write() -> None:
        with db.session() as s:
            s.add(Persona(session_id="x", name="X", avatar_seed="s"))

    def read() -> int:
        with db.session() as s:
            return len(s.exec(select(Persona)).all())

    def write_plain_sql() -> None:  # the per-event statements skip SQLAlchemy's layers
        with db.session() as s:
            ProgressionRepo(s).set_persona_xp(1, 10, 1)

    with ThreadPoolExecutor(1) as pool:
        for writer in (write, write_plain_sql):
            with pytest.raises(WrongThreadWriteError, match="only the thread that opened it"):
                pool.submit(writer).result()
        assert pool.submit(read).result() == 0  # reading from elsewhere is fine
    write()
    assert read() == 1
    db.close()


def _store_id(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(
            conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()[0]
        )
    finally:
        conn.close()


def test_a_store_has_an_identity_a_backup_keeps_and_a_new_database_does_not(
    tmp_path: Path,
) -> None:
    first = tmp_path / "a.sqlite3"
    Database(first).close()
    ident = _store_id(first)
    assert len(ident) == 32 and int(ident, 16) >= 0
    copy = backup_database(first, tmp_path / "backups", dt.datetime(2026, 12, 4, tzinfo=dt.UTC))
    assert _store_id(copy) == ident  # a restored backup is the same store
    Database(first).close()  # opening (migrating) again changes nothing
    assert _store_id(first) == ident
    again = tmp_path / "b.sqlite3"
    Database(again).close()
    assert _store_id(again) != ident  # a database made anew is another store


def test_remote_events_of_before_store_ids_keep_their_ids_in_the_unnamed_store(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    migrate(conn, MIGRATIONS[:9])
    with conn:
        conn.executemany(
            "INSERT INTO remote_event (host, remote_id, event_name, session_id, stamp, "
            "received_at) VALUES (?, ?, 'Stop', 's', 1.0, '2026-12-04 10:00:00')",
            [("devbox", 1), ("devbox", 2), ("vm", 1)],
        )
    assert migrate(conn) == SCHEMA_VERSION
    rows = conn.execute("SELECT id, host, store, remote_id FROM remote_event ORDER BY id")
    assert rows.fetchall() == [(1, "devbox", "", 1), (2, "devbox", "", 2), (3, "vm", "", 1)]
    # The same remote id twice in one host's store is refused; in another store it is not.
    insert = (
        "INSERT OR IGNORE INTO remote_event (host, store, remote_id, event_name, session_id, "
        "stamp, received_at) VALUES ('devbox', ?, 2, 'Stop', 's', 1.0, '2026-12-04 10:00:00')"
    )
    assert conn.execute(insert, ("",)).rowcount == 0
    assert conn.execute(insert, ("new-store",)).rowcount == 1
    conn.close()
