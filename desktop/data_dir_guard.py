"""The data dir removed while the app runs (`rm -rf`, a cleaner): put back with nothing lost.

SQLite keeps writing to a database file that was deleted under it, and the hook script and
secret are gone with it: Claude's hooks would then write nowhere, and everything stored
after the removal would vanish with the app. The guard notices within a tick, recreates
the folders, writes the hook script and the secret back as they were, copies the live
database (still open, still whole) back to its path with SQLite's backup API, and makes
the store reopen it there.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

from desktop import logs
from desktop.paths import DataPaths
from desktop.store.db import Database

log = logging.getLogger(__name__)

NOTICE_SECONDS = 300.0


def _write_private(path: Path, data: bytes, mode: int) -> None:
    partial = path.with_name(f".{path.name}.restoring")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(partial, mode)
    os.replace(partial, path)


class DataDirGuard:
    """Watches the database file, the hook script and the secret; restores what vanished."""

    def __init__(self, paths: DataPaths, db: Database, secret: str) -> None:
        self.paths = paths
        self.db = db
        self.secret = secret
        self.restored = 0
        self._inode = self._current_inode()
        self._hook: bytes | None = None
        self._hook_mtime: int | None = None
        self._notice_at: float | None = None
        self.remember_hook()

    def remember_hook(self) -> None:
        """Keep the hook script as it is installed now (read again whenever it changes)."""
        try:
            mtime = os.stat(self.paths.hook_script).st_mtime_ns
            if mtime != self._hook_mtime:
                self._hook = self.paths.hook_script.read_bytes()
                self._hook_mtime = mtime
        except OSError:
            return

    def _current_inode(self) -> int | None:
        try:
            return os.stat(self.db.path).st_ino
        except OSError:
            return None

    @property
    def notice(self) -> str:
        """The sentence for the banner while the last restore is recent, else ''."""
        if self._notice_at is None or time.monotonic() - self._notice_at > NOTICE_SECONDS:
            return ""
        return (
            f"The data dir {self.paths.root} was removed while claude-rpg ran; it was put back "
            "(database, hook script, secret) and no event was lost."
        )

    def check(self) -> bool:
        """Restore what is missing; True when the database itself had to be put back."""
        self.remember_hook()
        # The log file too (kept under the data dir with --data-dir): else every later line,
        # an unexpected error's traceback included, goes to the deleted file.
        logs.reopen_if_removed()
        database_gone = self._inode is not None and self._current_inode() is None
        hook_gone = self._hook is not None and not self.paths.hook_script.exists()
        secret_gone = not self.paths.secret_file.exists()
        if not (database_gone or hook_gone or secret_gone):
            return False
        self.paths.ensure()
        if secret_gone:
            _write_private(self.paths.secret_file, (self.secret + "\n").encode(), 0o600)
        if hook_gone and self._hook is not None:
            _write_private(self.paths.hook_script, self._hook, 0o700)
        if database_gone:
            self._restore_database()
        self._notice_at = time.monotonic()
        log.warning(
            "the data dir %s was removed while the app ran; put back: %s",
            self.paths.root,
            ", ".join(
                what
                for what, gone in (
                    ("database", database_gone),
                    ("hook script", hook_gone),
                    ("secret", secret_gone),
                )
                if gone
            ),
        )
        return database_gone

    def _restore_database(self) -> None:
        # The open connection still reads the deleted file (and its WAL) whole.
        partial = self.db.path.with_name(f".{self.db.path.name}.restoring")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        with self.db.engine.connect() as conn:
            live = conn.connection.driver_connection
            assert isinstance(live, sqlite3.Connection)
            copy = sqlite3.connect(partial)
            try:
                live.backup(copy)
            finally:
                copy.close()
        os.replace(partial, self.db.path)
        # Pooled connections hold the deleted file: new ones open the restored one.
        self.db.engine.dispose()
        self._inode = self._current_inode()
        self.restored += 1
