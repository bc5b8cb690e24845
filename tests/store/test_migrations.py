"""Schema migrations from an empty database, checked against the SQLModel tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlmodel import SQLModel, select

import desktop.store.models  # noqa: F401 - registers the tables on SQLModel.metadata
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
