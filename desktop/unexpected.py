"""Exceptions nobody caught (a Qt slot, a loop callback, a thread): logged, shown, survived.

Qt calls sys.excepthook for an exception raised in a slot and carries on; asyncio hands
one raised in a callback or a forgotten task to the loop's exception handler. Both end
here: the traceback goes to the log file, a one-line notice goes to the window's banner
(for a few minutes), and the app keeps running. Nothing is swallowed silently, nothing
aborts.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from desktop.logs import current_log_file

log = logging.getLogger(__name__)

# How long the banner shows the last notice (the log keeps every traceback).
NOTICE_SECONDS = 300.0


def _where(tb: TracebackType | None, fallback: str) -> str:
    """The innermost frame of a traceback as `file.py:line function()`."""
    frames = traceback.extract_tb(tb) if tb is not None else []
    if not frames:
        return fallback
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno} {last.name}()"


class UnexpectedErrors:
    """Logs each uncaught exception with its traceback and keeps a notice for the window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.count = 0
        self._notice = ""
        self._at = 0.0
        self._saved: tuple[Any, ...] | None = None

    @property
    def notice(self) -> str:
        """The last error's one-line notice while it is recent, else ''."""
        if self._notice and self.clock() - self._at > NOTICE_SECONDS:
            self._notice = ""
        return self._notice

    def report(self, origin: str, error: BaseException) -> None:
        """Log `error` (raised in `origin`) with its traceback; make it the window's notice."""
        where = _where(error.__traceback__, origin)
        log.error(
            "unexpected error in %s at %s; claude-rpg goes on",
            origin,
            where,
            exc_info=(type(error), error, error.__traceback__),
        )
        self.count += 1
        first = (str(error).strip().splitlines() or [""])[0][:120]
        logged = current_log_file()
        details = f"the traceback is in {logged}" if logged else "the traceback is in the log"
        self._notice = (
            f"An unexpected error happened in {where} ({type(error).__name__}"
            f"{': ' + first if first else ''}); claude-rpg goes on, {details}."
        )
        self._at = self.clock()

    # --- the hooks ---------------------------------------------------------------------

    def loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """asyncio's exception handler: a callback or a task raised."""
        error = context.get("exception")
        message = str(context.get("message") or "a loop callback")
        if isinstance(error, BaseException):
            self.report(f"the event loop ({message})", error)
        else:
            log.error("event loop: %s", message)

    def excepthook(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        """sys.excepthook: Qt calls it for an exception raised in a slot or a virtual method."""
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        if error.__traceback__ is None:
            error = error.with_traceback(tb)
        self.report("a Qt slot or the main thread", error)

    def thread_hook(self, args: threading.ExceptHookArgs) -> None:
        """threading.excepthook: a worker thread died of an exception."""
        if args.exc_value is not None:
            name = args.thread.name if args.thread is not None else "a thread"
            self.report(f"thread {name}", args.exc_value)

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Route the loop's, Qt's and the threads' uncaught exceptions here until uninstall()."""
        self._saved = (loop, loop.get_exception_handler(), sys.excepthook, threading.excepthook)
        loop.set_exception_handler(self.loop_handler)
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_hook

    def uninstall(self) -> None:
        if self._saved is None:
            return
        loop, handler, hook, thread_hook = self._saved
        loop.set_exception_handler(handler)
        sys.excepthook = hook
        threading.excepthook = thread_hook
        self._saved = None
