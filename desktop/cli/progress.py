"""A progress bar on stderr for long commands (migration, rebuild, export, import)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Draws `what [#####.....] 45% 2,000/4,000` on one terminal line, at most 10 times a second.

    Off a terminal (a pipe, a log) it prints a line per 10% instead of redrawing.
    """

    def __init__(self, out: TextIO | None = None, width: int = 30) -> None:
        self.out = out or sys.stderr
        self.width = width
        self._what = ""
        self._drawn = 0.0
        self._tenth = -1
        self._open = False

    def __call__(self, what: str, done: int, total: int) -> None:
        if what != self._what:
            self.finish()
            self._what, self._tenth = what, -1
        fraction = 1.0 if total <= 0 else min(1.0, done / total)
        text = (
            f"{what} [{'#' * round(fraction * self.width):<{self.width}}] "
            f"{fraction:4.0%} {done:,}/{total:,}"
        )
        if self.out.isatty():
            now = time.monotonic()
            if fraction < 1.0 and now - self._drawn < 0.1:
                return
            self._drawn = now
            self.out.write("\r" + text)
            self._open = True
        elif (tenth := int(fraction * 10)) != self._tenth:
            self._tenth = tenth
            self.out.write(text + "\n")
        self.out.flush()

    def finish(self) -> None:
        """End the bar's line (the next output starts on a line of its own)."""
        if self._open:
            self.out.write("\n")
            self.out.flush()
            self._open = False
