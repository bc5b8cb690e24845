"""The app's clocks, in one seam: the wall clock for what is dated, an elapsed clock for spans.

The wall clock moves: NTP, a person setting it, a laptop resuming in another time zone.
A duration ("idle for 3m") measured on it goes negative or jumps by an hour, so durations
use the elapsed clock instead: CLOCK_BOOTTIME, which never moves with the wall clock and,
unlike CLOCK_MONOTONIC, keeps counting while the machine sleeps (a session idle through a
suspend has been idle that long). Tests move time only through a Clock they hand in.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


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


def machine_zone() -> tzinfo:
    """The machine's time zone with its daylight saving rules ($TZ, else /etc/localtime).

    Not `datetime.now().astimezone()`: that is today's fixed offset, so midnight of a day on
    the other side of a DST change would be an hour off. A zone that cannot be read falls
    back to that fixed offset.
    """
    name = os.environ.get("TZ", "").removeprefix(":")
    try:
        if name:
            return ZoneInfo(name)
        with open("/etc/localtime", "rb") as f:
            return ZoneInfo.from_file(f, key="localtime")
    except (OSError, ValueError, ZoneInfoNotFoundError):
        fixed = datetime.now().astimezone().tzinfo
        assert fixed is not None
        return fixed


def local_now() -> datetime:
    """Now in the machine's zone: calendar days (reports, streaks) are the person's days."""
    return datetime.now(machine_zone())


# Offsets change months apart (DST) or at most a few times in a year: sampling this often
# finds every change in a span, then bisection finds its second.
_OFFSET_STEP_S = 6 * 3600.0


def offset_spans(zone: tzinfo, since: float, until: float) -> list[tuple[float, float, float]]:
    """[since, until) cut where `zone`'s UTC offset changes: (start, end, offset in seconds).

    For counting local calendar days in SQL (`date(stamp + offset, 'unixepoch')`), which takes
    one offset per query: a year of stamps crosses two DST changes.
    """

    def offset(at: float) -> float:
        found = datetime.fromtimestamp(at, zone).utcoffset()
        return found.total_seconds() if found is not None else 0.0

    spans: list[tuple[float, float, float]] = []
    start, current = since, offset(since)
    probe = since
    while probe < until:
        nxt = min(probe + _OFFSET_STEP_S, until)
        if offset(nxt) != current:
            # Offsets change on a whole second: find it (offset(low) is still `current`).
            low, high = math.floor(probe), math.ceil(nxt)
            while high - low > 1:
                mid = (low + high) // 2
                low, high = (mid, high) if offset(mid) == current else (low, mid)
            spans.append((start, float(high), current))
            start, current = float(high), offset(high)
        probe = nxt
    spans.append((start, until, current))
    return spans
