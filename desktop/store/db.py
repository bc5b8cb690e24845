"""The SQLite engine: WAL mode, migrations on open, one place that knows the URL."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

from desktop.store.migrations import Progress, backup_path, current_version, migrate
from desktop.store.problems import DatabaseProblemError, classify


def user_only(path: Path) -> None:
    """Create the database file readable by its user only, or make an existing one so.

    SQLite gives its -wal and -shm files the mode of the database file.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


# Every commit is on disk before it returns (the WAL fsynced once per transaction): the
# spool deletes an event's record, and the listener replies to its hook, only after the
# commit that stored it, so that commit must outlive a power cut, an OS crash or a disk
# error. NORMAL left the last commits in the page cache, their records already deleted:
# those events were lost (tests/faults/test_emergency_read_only.py). Ingest commits a batch
# at a time (group commit), so the fsync is paid per batch, not per event.
# bench/_plain_ingest.py uses the same setting.
SYNCHRONOUS = "FULL"


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers (the API) run while the loop thread writes; the busy timeout covers
    # a second process (e.g. `progression rebuild`) holding the write lock for a moment.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
# Where a pooled connection remembers the thread allowed to write through it (driver_* below).
_WRITER_INFO = "claude_rpg_writer_thread"


class WrongThreadWriteError(RuntimeError):
    """A write reached SQLite from a thread that does not own the database."""


class Database:
    """An open, migrated SQLite database file, written only by the thread that opened it."""

    def __init__(self, path: Path, progress: Progress | None = None) -> None:
        self.path = path
        # In the app that is the loop thread: every write happens there, so no write ever
        # races another or waits on SQLite's lock inside the UI (see _check_writer).
        self.writer_thread = threading.get_ident()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            user_only(path)
            conn = sqlite3.connect(path)
            try:
                with conn:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA busy_timeout=5000")
                    backup_to = backup_path(path, current_version(conn))
                    migrate(conn, progress=progress, backup_to=backup_to)
            finally:
                conn.close()
        except (sqlite3.Error, OSError) as e:
            # A damaged or unreadable file ends in a sentence saying what to do, not a trace.
            problem = classify(path, e)
            if problem is None:
                raise
            raise DatabaseProblemError(problem) from e
        self.engine: Engine = create_engine(f"sqlite:///{path}")
        event.listen(self.engine, "connect", _on_connect)
        event.listen(self.engine, "connect", self._remember_writer)
        event.listen(self.engine, "before_cursor_execute", self._check_writer)

    def _remember_writer(self, _dbapi_conn: Any, record: Any) -> None:
        record.info[_WRITER_INFO] = self.writer_thread

    def _check_writer(self, *args: Any) -> None:
        statement = str(args[2]).lstrip()[:7].upper()
        if statement.startswith(_WRITES) and threading.get_ident() != self.writer_thread:
            raise WrongThreadWriteError(
                f"a write to {self.path.name} came from thread "
                f"{threading.current_thread().name}; only the thread that opened it writes"
            )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with Session(self.engine, expire_on_commit=False) as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def close(self) -> None:
        self.engine.dispose()


def _driver(s: Session, sql: str) -> sqlite3.Connection:
    proxied = s.connection().connection
    if sql.lstrip()[:7].upper().startswith(_WRITES):
        writer = proxied.info.get(_WRITER_INFO)
        if writer is not None and writer != threading.get_ident():
            raise WrongThreadWriteError(
                f"a write to the database came from thread {threading.current_thread().name}; "
                "only the thread that opened it writes"
            )
    conn = proxied.driver_connection
    assert isinstance(conn, sqlite3.Connection)
    return conn


def driver_execute(s: Session, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
    """Run one statement on the session's own sqlite3 connection, inside its transaction.

    For the statements ingest runs per event: SQLAlchemy's per-statement work costs several
    times SQLite's own there. Writes are held to the writer thread like every other statement.
    """
    return _driver(s, sql).execute(sql, params)


def driver_executemany(s: Session, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
    """driver_execute() for many rows of parameters at once."""
    return _driver(s, sql).executemany(sql, rows)
