"""What is wrong with a database file, as one sentence that says what to do.

SQLite reports a damaged file ("file is not a database", "database disk image is
malformed") and a file it may not open (permissions, a read-only or full disk) with error
names; these map each to a cause and the step that fixes it, for the app's start-up, the
window, /api/health and `claude-rpg doctor`.
"""

from __future__ import annotations

import enum
import errno
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import DBAPIError

# SQLite's primary result codes (the low byte of the extended code sqlite3 reports).
_CORRUPT = 11
_NOTADB = 26
_CANTOPEN = 14
_PERM = 3
_READONLY = 8
_IOERR = 10
_FULL = 13


class ProblemKind(enum.Enum):
    """Why the database cannot be used."""

    DAMAGED = "damaged"  # only `claude-rpg db repair` brings it back
    UNREADABLE = "unreadable"  # permissions or a missing folder: fixed outside the app
    READ_ONLY = "read-only"  # the file or its folder may not be written
    FULL = "full"  # no space left on its disk


@dataclass(frozen=True)
class DatabaseProblem:
    """A database the app cannot use, why, and what the person should do."""

    path: Path
    kind: ProblemKind
    detail: str

    def sentence(self, data_dir_flag: str = "", button: bool = False) -> str:
        """The whole message: which file, what is wrong, what to do (in the window: `button`)."""
        if self.kind is ProblemKind.DAMAGED:
            step = "Press Repair" if button else f"Run `claude-rpg db repair{data_dir_flag}`"
            return (
                f"The database {self.path} is damaged ({self.detail}). {step}: it keeps the "
                "damaged file beside it, restores the newest backup (or starts a new database) "
                "and stores again the events it can still read."
            )
        if self.kind is ProblemKind.FULL:
            return (
                f"The disk holding {self.path} is full ({self.detail}). Free some space: "
                "new events wait in the spool and are stored as soon as there is room."
            )
        if self.kind is ProblemKind.READ_ONLY:
            return (
                f"The database {self.path} cannot be written ({self.detail}). Make it and its "
                "folder writable for you (chmod u+rw): new events wait in the spool meanwhile."
            )
        return (
            f"The database {self.path} cannot be opened ({self.detail}). Check that it and its "
            "folder exist and belong to you (chmod u+rwx), or start with --data-dir PATH."
        )


def _sqlite_error(error: BaseException) -> sqlite3.Error | None:
    if isinstance(error, sqlite3.Error):
        return error
    if isinstance(error, DBAPIError) and isinstance(error.orig, sqlite3.Error):
        return error.orig
    return None


def classify(path: Path, error: BaseException) -> DatabaseProblem | None:
    """The problem an exception from SQLite shows; None for anything else (a busy lock, a bug)."""
    if isinstance(error, OSError) and error.errno is not None:
        if error.errno == errno.ENOSPC:
            return DatabaseProblem(path, ProblemKind.FULL, error.strerror or str(error))
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return DatabaseProblem(path, ProblemKind.READ_ONLY, error.strerror or str(error))
        if error.errno == errno.ENOENT:
            return DatabaseProblem(path, ProblemKind.UNREADABLE, error.strerror or str(error))
        return None
    found = _sqlite_error(error)
    if found is None:
        return None
    code = getattr(found, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    detail = str(found)
    if primary in (_CORRUPT, _NOTADB) or (primary is None and type(found) is sqlite3.DatabaseError):
        return DatabaseProblem(path, ProblemKind.DAMAGED, detail)
    if primary == _FULL:
        return DatabaseProblem(path, ProblemKind.FULL, detail)
    if primary == _READONLY:
        return DatabaseProblem(path, ProblemKind.READ_ONLY, detail)
    if primary in (_CANTOPEN, _PERM, _IOERR):
        # SQLite says only "unable to open": a folder that may not be written is the cause
        # the person can fix (a read-only mount, or modes), so name it.
        folder = path.parent
        if folder.is_dir() and not os.access(folder, os.W_OK):
            readonly_fs = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
            why = (
                "its file system is mounted read-only"
                if readonly_fs
                else "its folder is not writable"
            )
            return DatabaseProblem(path, ProblemKind.READ_ONLY, f"{detail}: {why}")
        if primary == _IOERR and folder.is_dir() and _refuses_writes(folder):
            # The kernel turned the file system read-only after a disk error (ext4's
            # errors=remount-ro): the mount still says rw, so only a write tells.
            why = (
                "its file system turned read-only after a disk error; check the disk (fsck) "
                "and mount it again"
            )
            return DatabaseProblem(path, ProblemKind.READ_ONLY, f"{detail}: {why}")
        return DatabaseProblem(path, ProblemKind.UNREADABLE, detail)
    return None


def _refuses_writes(folder: Path) -> bool:
    """Does the file system of `folder` refuse a new file as read-only (EROFS)?"""
    probe = folder / f".claude-rpg-write-probe-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as e:
        return e.errno == errno.EROFS
    os.close(fd)
    probe.unlink(missing_ok=True)
    return False


def read_only_uri(path: Path) -> str:
    """A URI that opens `path` read-only, and creates no -wal/-shm when nothing has it open.

    pathlib percent-encodes the path: a raw f"file:{path}" would read a '#' or '?' in a
    folder name as the URI's end (`x#y` opened `x`, read-write).
    """
    path = path.absolute()
    query = "mode=ro"
    if not any(path.with_name(path.name + s).exists() for s in ("-wal", "-shm")):
        # No -wal/-shm: nothing has it open (SQLite removes them on the last close), so it
        # is read as an unchanging file.
        query += "&immutable=1"
    return f"{path.as_uri()}?{query}"


def check_file(path: Path) -> DatabaseProblem | None:
    """Open the file read-only and run SQLite's quick check; the problem, or None if sound."""
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            verdict = str(conn.execute("PRAGMA quick_check").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error as e:
        return classify(path, e) or DatabaseProblem(path, ProblemKind.UNREADABLE, str(e))
    if verdict != "ok":
        return DatabaseProblem(path, ProblemKind.DAMAGED, verdict.splitlines()[0])
    return None


class DatabaseProblemError(RuntimeError):
    """The database cannot be opened; `problem` says why and what to do."""

    def __init__(self, problem: DatabaseProblem) -> None:
        super().__init__(problem.sentence())
        self.problem = problem
