"""Claude's live registry file, <config dir>/sessions/<pid>.json, found through the process."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The status values Claude Code 2.1 writes; anything else is read as "unknown".
KNOWN_STATUSES = frozenset({"busy", "idle", "waiting"})


@dataclass(frozen=True)
class SessionFile:
    """What a running claude process says about itself in its sessions/<pid>.json."""

    pid: int
    session_id: str
    status: str  # busy | idle | waiting | "" (unknown to this version of the app)
    waiting_for: str
    status_since: float  # wall-clock seconds when `status` took its value
    version: str = ""


def process_environ(pid: int, proc_root: str = "/proc") -> dict[str, str] | None:
    """The environment a process was started with, or None when /proc does not show it."""
    try:
        with open(f"{proc_root}/{pid}/environ", "rb") as f:
            raw = f.read(256 * 1024)
    except OSError:
        return None
    env: dict[str, str] = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            env[key.decode(errors="replace")] = value.decode(errors="replace")
    return env


def claude_dir_of(pid: int, fallback: Path, proc_root: str = "/proc") -> Path:
    """The config dir a claude process uses: its own CLAUDE_CONFIG_DIR or HOME, else fallback.

    Claude may run with another HOME than the app (a container, sudo, a test's throwaway
    HOME), so the process's own environment decides where its files are.
    """
    env = process_environ(pid, proc_root)
    if env:
        if env.get("CLAUDE_CONFIG_DIR"):
            return Path(env["CLAUDE_CONFIG_DIR"])
        if env.get("HOME"):
            return Path(env["HOME"]) / ".claude"
    return fallback


def _millis(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value) / 1000.0
    return None


def parse_session_file(
    data: Any, pid: int, start_ticks: int | None, mtime: float
) -> SessionFile | None:
    """The registry entry for this very process, or None (another pid, or a stale file)."""
    if not isinstance(data, dict) or data.get("pid") != pid:
        return None
    proc_start = data.get("procStart")
    # A SIGKILLed claude leaves its file behind; a later process may reuse the pid.
    if start_ticks is not None and proc_start is not None and str(proc_start) != str(start_ticks):
        return None
    status = data.get("status")
    waiting_for = data.get("waitingFor")
    since = _millis(data.get("statusUpdatedAt")) or _millis(data.get("updatedAt")) or mtime
    session_id = data.get("sessionId")
    version = data.get("version")
    return SessionFile(
        pid=pid,
        session_id=session_id if isinstance(session_id, str) else "",
        status=status if status in KNOWN_STATUSES else "",
        waiting_for=waiting_for if isinstance(waiting_for, str) else "",
        status_since=since,
        version=version if isinstance(version, str) else "",
    )


def read_session_file(pid: int, start_ticks: int | None, claude_dir: Path) -> SessionFile | None:
    """Read <claude_dir>/sessions/<pid>.json; None when missing, unreadable or not this process."""
    path = claude_dir / "sessions" / f"{pid}.json"
    try:
        with open(path, "rb") as f:
            raw = f.read(64 * 1024)
            mtime = os.fstat(f.fileno()).st_mtime
    except OSError:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        # Claude rewrites the file in place now and then: a half-written file is no signal.
        return None
    return parse_session_file(data, pid, start_ticks, mtime)
