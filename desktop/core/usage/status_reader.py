"""Reading what the status-line snippet kept: Claude's own figures and the plan limits.

The snippet keeps one file per session, `<data dir>/status/<session id>.json`, the JSON
Claude last piped to it (written to a `.<session id>.<pid>.tmp` first, then renamed over
it). Releases before kept one `<session id>.<pid>.json` per call: those are read the same
way (the newest file of a session wins) and removed once a few seconds old. What the app
drops: a session's file not written for KEEP_DAYS (the session has long ended), and a
temp file a killed snippet left. The folder is listed only when its own time changed
(every rename changes it) or once in a while to drop what aged out, so a look costs one
stat while nothing happens, and the first look after an upgrade removes the thousands of
per-call files in one go. The plan limits (`rate_limits.five_hour` / `seven_day`, sent
for Pro/Max plans after the first reply) are the same for every session: the newest wins.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# An older file of a session this old is done with: nothing reads it any more.
STALE_AFTER_S = 5.0
# A session whose status line has not run for this long has ended: its file goes.
KEEP_DAYS = 7
# A snippet renames its temp file a few milliseconds after making it; one this old was
# left by a killed snippet.
TEMP_STALE_S = 60.0
# The folder is listed again after this long even when unchanged, to drop what aged out.
RELIST_EVERY_S = 3600.0
# A folder time this close to the last listing may hide a later change in the same tick.
CLOCK_SLACK_S = 2.0
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
    listed: bool = False  # the folder was listed (it changed, or it was time to prune)


@dataclass
class ScanState:
    """What the reader remembers between looks: the files it read (path -> mtime and
    inode) and the folder's time at its last listing."""

    seen: dict[str, tuple[int, int]] = field(default_factory=dict)
    folder_mtime_ns: int | None = None
    listed_at: float = 0.0


def _unlink(path: str, result: StatusScan) -> None:
    try:
        os.unlink(path)
        result.removed += 1
    except OSError:
        pass


def scan(folder: Path, state: ScanState, now: float | None = None) -> StatusScan:
    """Read each session's newest status file that changed since the last look; drop older
    files once stale, sessions not seen for KEEP_DAYS and leftover temp files. Lists the
    folder only when it changed (or after RELIST_EVERY_S). Runs on the reader thread."""
    now = time.time() if now is None else now
    result = StatusScan([])
    try:
        folder_mtime_ns = os.stat(folder).st_mtime_ns
    except OSError:
        return result
    if (
        folder_mtime_ns == state.folder_mtime_ns
        and now - state.listed_at < RELIST_EVERY_S
        and folder_mtime_ns / 1e9 < state.listed_at - CLOCK_SLACK_S
    ):
        return result
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return result
    result.listed = True
    newest: dict[str, tuple[int, str, int]] = {}
    files: list[tuple[str, int, str]] = []
    for entry in entries:
        name = entry.name
        try:
            stat = entry.stat()
        except OSError:
            continue
        if name.startswith("."):
            if name.endswith(".tmp") and now - stat.st_mtime > TEMP_STALE_S:
                _unlink(entry.path, result)
            continue
        if not name.endswith(".json"):
            continue
        session = name.split(".", 1)[0]
        files.append((entry.path, stat.st_mtime_ns, session))
        if stat.st_mtime_ns >= newest.get(session, (-1, "", 0))[0]:
            newest[session] = (stat.st_mtime_ns, entry.path, stat.st_ino)
    keep = {path for _, path, _ in newest.values()}
    for path, mtime_ns, _session in files:
        if path not in keep and now - mtime_ns / 1e9 > STALE_AFTER_S:
            _unlink(path, result)
            state.seen.pop(path, None)
    for session, (mtime_ns, path, _inode) in list(newest.items()):
        if now - mtime_ns / 1e9 > KEEP_DAYS * 86400:
            _unlink(path, result)
            state.seen.pop(path, None)
            del newest[session]
    malformed = False
    for session, (mtime_ns, path, inode) in newest.items():
        if state.seen.get(path) == (mtime_ns, inode):
            continue
        state.seen[path] = (mtime_ns, inode)
        try:
            with open(path, "rb") as f:
                raw = f.read(MAX_STATUS_BYTES)
            reading = parse_status(json.loads(raw), session, mtime_ns / 1e9)
        except (OSError, ValueError, RecursionError):
            reading = None
        if reading is None:
            result.malformed += 1
            malformed = True
            state.seen.pop(path, None)  # perhaps half written: read it again next time
            continue
        result.readings.append(reading)
    # Forget what no longer exists (sessions whose files went).
    for path in [p for p in state.seen if p not in keep]:
        del state.seen[path]
    # A half-written file is read again at the next look, changed folder or not.
    state.folder_mtime_ns = None if malformed else folder_mtime_ns
    state.listed_at = now
    return result
