"""The app's clocks, in one seam: the wall clock for what is dated, an elapsed clock for spans.

The wall clock moves: NTP, a person setting it, a laptop resuming in another time zone.
A duration ("idle for 3m") measured on it goes negative or jumps by an hour, so durations
use the elapsed clock instead: CLOCK_BOOTTIME, which never moves with the wall clock and,
unlike CLOCK_MONOTONIC, keeps counting while the machine sleeps (a session idle through a
suspend has been idle that long). Tests move time only through a Clock they hand in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


def elapsed_seconds() -> float:
    """Seconds on the elapsed clock (since boot, suspend included); only differences mean."""
    try:
        return time.clock_gettime(time.CLOCK_BOOTTIME)
    except (AttributeError, OSError):  # not Linux: monotonic, without the suspended time
        return time.monotonic()


def wall_now() -> datetime:
    """The wall clock, timezone-aware (UTC)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Clock:
    """Where the app reads time: `wall` for timestamps, `elapsed` for durations."""

    wall: Callable[[], datetime] = field(default=wall_now)
    elapsed: Callable[[], float] = field(default=elapsed_seconds)


SYSTEM_CLOCK = Clock()
