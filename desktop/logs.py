"""Logging: the terminal plus a rotating log file (XDG state dir, or the --data-dir's logs/)."""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import TextIO

from desktop.paths import DataPaths, default_state_dir

LOG_FILE_NAME = "claude-rpg.log"
MAX_LOG_BYTES = 1024 * 1024
KEPT_LOG_FILES = 5
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_active_log_file: Path | None = None


class _OurHandler:
    """Marks handlers installed here, so a second setup replaces them instead of doubling."""


class _StreamHandler(logging.StreamHandler, _OurHandler):  # type: ignore[type-arg]
    """Terminal output, to whatever sys.stderr is when a line is written (as logging's own
    last-resort handler does), so a replaced or closed stderr never breaks logging."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


class _FileHandler(logging.handlers.RotatingFileHandler, _OurHandler):
    """The rotating log file, readable by the user only (it names folders and commands)."""

    def _open(self) -> io.TextIOWrapper:
        # Every file this handler opens, the first and each one after a rollover, is 0600
        # whatever the umask; an existing one keeps its mode (the app tightens it at start).
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def reopen_if_removed() -> bool:
    """Open the log file again when it was deleted under the app (its data dir removed);
    True when it was. Lines written meanwhile went to the deleted file."""
    path = _active_log_file
    if path is None or path.exists():
        return False
    for handler in logging.getLogger().handlers:
        if isinstance(handler, _FileHandler):
            handler.acquire()
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                if handler.stream is not None:
                    handler.stream.close()
                handler.stream = handler._open()
            finally:
                handler.release()
    return True


def default_log_dir() -> Path:
    """$XDG_STATE_HOME/claude-rpg/log."""
    return default_state_dir() / "log"


def log_dir_for(data_dir: Path | None) -> Path:
    """Where the app logs: an explicit --data-dir keeps its logs (tests, second setups) apart."""
    return DataPaths(data_dir).logs if data_dir is not None else default_log_dir()


def current_log_file() -> Path | None:
    """The file this process logs to, if any ("Open log folder" shows its folder)."""
    return _active_log_file


def setup_logging(verbose: bool, log_dir: Path | None = None) -> Path | None:
    """Log to stderr and, when log_dir is given, to a rotating file there; returns that file."""
    global _active_log_file
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(handler)
        handler.close()
    level = logging.DEBUG if verbose else logging.INFO
    root.setLevel(level)
    formatter = logging.Formatter(_FORMAT)
    stream = _StreamHandler()
    stream.setFormatter(formatter)
    root.addHandler(stream)
    _active_log_file = None
    if log_dir is None:
        return None
    path = log_dir / LOG_FILE_NAME
    try:
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        file_handler = _FileHandler(
            path, maxBytes=MAX_LOG_BYTES, backupCount=KEPT_LOG_FILES, encoding="utf-8"
        )
    except OSError as e:
        logging.getLogger(__name__).warning(
            "cannot write the log file %s (%s); logging to the terminal only: "
            "make that folder writable or start with --data-dir",
            path,
            e.strerror or e,
        )
        return None
    file_handler.setFormatter(formatter)
    root.addHandler(file_handler)
    _active_log_file = path
    return path
