"""Reading what the status-line snippet kept: Claude's own figures and the plan limits.

Each status-line run leaves `<data dir>/status/<session id>.<pid>.json`, the JSON Claude
piped to it. The newest file of each session is read (on the reader thread); older ones
are deleted once they are a few seconds old (a snippet may still be handing its file to
the user's command). The plan limits (`rate_limits.five_hour` / `seven_day`, sent for
Pro/Max plans after the first reply) are the same for every session: the newest wins.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# A file this old is done with: nothing reads it any more.
STALE_AFTER_S = 5.0
MAX_STATUS_BYTES = 1024 * 1024


@dataclass(frozen=True)
class RateLimit:
    """One plan window: how much of it is used, and when it starts again."""

    used_percent: float
    resets_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "used_percentage": self.used_percent,
            "resets_at": self.resets_at.isoformat() if self.resets_at else None,
        }


@dataclass(frozen=True)
class PlanLimits:
    """The 5-hour and 7-day windows of a Pro/Max plan, as the newest status line said."""

    five_hour: RateLimit | None
    seven_day: RateLimit | None
    seen_at: float  # when the status line said so (the file's time)

    def to_json(self) -> dict[str, Any]:
        return {
            "five_hour": self.five_hour.to_json() if self.five_hour else None,
            "seven_day": self.seven_day.to_json() if self.seven_day else None,
            "seen_at": datetime.fromtimestamp(self.seen_at, UTC).isoformat(),
        }


@dataclass(frozen=True)
class StatusReading:
    """The figures of one status-line input that the app uses."""

    session_id: str
    model_id: str
    window_tokens: int | None  # context_window.context_window_size
    cost_usd: float | None  # cost.total_cost_usd: Claude's own figure for the session
    limits: PlanLimits | None
    mtime: float


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _when(value: Any) -> datetime | None:
    """`resets_at` as Claude sends it: epoch seconds (or milliseconds), or ISO 8601 text."""
    number = _number(value)
    if number is not None:
        seconds = number / 1000 if number > 1e11 else number
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _limit(value: Any) -> RateLimit | None:
    if not isinstance(value, dict):
        return None
    used = _number(value.get("used_percentage"))
    if used is None:
        return None
    return RateLimit(max(0.0, min(100.0, used)), _when(value.get("resets_at")))


def parse_status(data: Any, session_id: str, mtime: float) -> StatusReading | None:
    """The figures of one status-line input; None when it is no JSON object."""
    if not isinstance(data, dict):
        return None
    model = data.get("model")
    model_id = model.get("id") if isinstance(model, dict) else None
    window = data.get("context_window")
    size = _number(window.get("context_window_size")) if isinstance(window, dict) else None
    cost = data.get("cost")
    total = _number(cost.get("total_cost_usd")) if isinstance(cost, dict) else None
    limits = None
    raw = data.get("rate_limits")
    if isinstance(raw, dict):
        five, seven = _limit(raw.get("five_hour")), _limit(raw.get("seven_day"))
        if five is not None or seven is not None:
            limits = PlanLimits(five, seven, mtime)
    sid = data.get("session_id")
    return StatusReading(
        sid if isinstance(sid, str) and sid else session_id,
        model_id if isinstance(model_id, str) else "",
        int(size) if size and size > 0 else None,
        total,
        limits,
        mtime,
    )


@dataclass
class StatusScan:
    """What one look at the status folder found."""

    readings: list[StatusReading]
    malformed: int = 0
    removed: int = 0


def scan(folder: Path, seen: dict[str, float], now: float | None = None) -> StatusScan:
    """Read each session's newest status file that changed since `seen` (path -> mtime,
    updated in place); delete older files once stale. Runs on the reader thread."""
    now = time.time() if now is None else now
    result = StatusScan([])
    newest: dict[str, tuple[float, str]] = {}
    files: list[tuple[str, float, str]] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return result
    for entry in entries:
        if not entry.name.endswith(".json") or entry.name.startswith("."):
            continue
        try:
            mtime = entry.stat().st_mtime
        except OSError:
            continue
        session = entry.name.split(".", 1)[0]
        files.append((entry.path, mtime, session))
        if mtime >= newest.get(session, (-1.0, ""))[0]:
            newest[session] = (mtime, entry.path)
    keep = {path for _, path in newest.values()}
    for path, mtime, _session in files:
        if path not in keep and now - mtime > STALE_AFTER_S:
            try:
                os.unlink(path)
                result.removed += 1
            except OSError:
                pass
            seen.pop(path, None)
    for session, (mtime, path) in newest.items():
        if seen.get(path) == mtime:
            continue
        seen[path] = mtime
        try:
            with open(path, "rb") as f:
                raw = f.read(MAX_STATUS_BYTES)
            reading = parse_status(json.loads(raw), session, mtime)
        except (OSError, ValueError, RecursionError):
            reading = None
        if reading is None:
            result.malformed += 1
            seen.pop(path, None)  # perhaps half written: read it again next time
            continue
        result.readings.append(reading)
    return result
