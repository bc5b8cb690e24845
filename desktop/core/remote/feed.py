"""The remote side: `claude-rpg remote feed` streams this host's stored events and panes.

It runs under sshd, next to this host's headless app, and only reads: the events from the
app's SQLite file (read-only, WAL lets it read while the app writes), the panes from the
app's /api/panes on loopback with the app's secret. It ends when the link does (a write to a
closed stdout).
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from desktop import __version__
from desktop.core.hooks.installer import HOOK_EVENTS, SettingsError, hooked_events, load_settings
from desktop.core.remote.protocol import BATCH, EVENT_FIELDS, PERSONA_FIELDS, PROTOCOL, encode
from desktop.paths import DataPaths, claude_config_dir

# A quiet feed writes this often, so that it notices a link that is gone (seconds).
HEARTBEAT_S = 5.0
_STORE_SQL = "SELECT value FROM store_meta WHERE key = 'store_id'"
_EVENTS_SQL = (
    f"SELECT {', '.join(EVENT_FIELDS)} FROM hook_event WHERE id > ? ORDER BY id LIMIT {BATCH}"
)

_PERSONAS_SQL = (
    f"SELECT DISTINCT {', '.join('p.' + f for f in PERSONA_FIELDS)} FROM persona p"
    " JOIN persona_session ps ON ps.persona_id = p.id WHERE ps.session_id IN ({marks})"
    " ORDER BY p.id"
)


def hello(store: str | None = None) -> dict[str, Any]:
    """The first line; `store` names the database the event ids belong to (None: none yet)."""
    return {"type": "hello", "protocol": PROTOCOL, "version": __version__, "store": store}


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


class EventReader:
    """Stored events after a cursor, straight from the app's database, read-only.

    It reads the database that was there when it opened (or none): `replaced()` says when the
    file is another one now (deleted and made again by a restarted app), whose ids start
    over. The open connection keeps the old file's inode taken, so a new file never reuses it.
    """

    def __init__(self, database: Path) -> None:
        self.database = database
        self._conn: sqlite3.Connection | None = None
        self._identity = _file_identity(database)
        self.store: str | None = None
        if self._identity is not None:
            self._conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
            self.store = self._read_store()

    def _read_store(self) -> str | None:
        assert self._conn is not None
        try:
            row = self._conn.execute(_STORE_SQL).fetchone()
        except sqlite3.OperationalError:
            return None  # a schema from before store ids (the app there not restarted yet)
        return str(row[0]) if row is not None else None

    def replaced(self) -> bool:
        """Is the database file another one than the one this reader opened (or none)?"""
        return _file_identity(self.database) != self._identity

    def after(self, cursor: int) -> list[dict[str, Any]]:
        if self._conn is None:
            return []  # the app has not run here yet: nothing stored, nothing to send
        rows = self._conn.execute(_EVENTS_SQL, (cursor,)).fetchall()
        return [dict(zip(EVENT_FIELDS, row, strict=True)) for row in rows]

    def personas(self, session_ids: set[str]) -> list[dict[str, Any]]:
        """The rows of the personas these sessions lead to, as stored now (XP included:
        progression writes it in the transaction that stores the event)."""
        if self._conn is None or not session_ids:
            return []
        marks = ", ".join("?" for _ in session_ids)
        rows = self._conn.execute(_PERSONAS_SQL.format(marks=marks), sorted(session_ids))
        personas = [dict(zip(PERSONA_FIELDS, row, strict=True)) for row in rows]
        for persona in personas:
            # Stored as UTC without an offset: the desktop gets an unambiguous time.
            created = datetime.fromisoformat(str(persona["created_at"]))
            persona["created_at"] = (
                created if created.tzinfo else created.replace(tzinfo=UTC)
            ).isoformat()
        return personas

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def read_panes(paths: DataPaths, port: int) -> tuple[list[dict[str, Any]], str | None]:
    """The app's panes, or no panes and why (the app is not running here)."""
    secret = paths.read_secret() or ""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/panes", headers={"X-Claude-RPG-Secret": secret}
    )
    try:
        with urllib.request.urlopen(request, timeout=3) as r:
            panes = json.loads(r.read())
    except (OSError, urllib.error.URLError, ValueError) as e:
        return [], (
            f"claude-rpg is not running there on port {port} ({e}); start it with "
            "`claude-rpg --headless`"
        )
    return (panes if isinstance(panes, list) else []), None


def run_feed(
    paths: DataPaths,
    port: int,
    since: int,
    out: BinaryIO,
    interval: float = 0.2,
    keep_going: Callable[[], bool] = lambda: True,
    heartbeat: float = HEARTBEAT_S,
) -> int:
    """Write hello, then every event after `since` and each change of the panes, until the
    link is gone.

    A quiet host still writes a line every `heartbeat` seconds: only a write notices that the
    desktop went away (its stdin is not a pipe from the desktop), so without it a feed on an
    idle host outlived its link for good.
    """
    reader = EventReader(paths.database)
    cursor = since
    last_panes: Any = None
    try:
        out.write(encode(hello(reader.store)))
        out.flush()
        wrote = time.monotonic()
        while keep_going():
            if reader.replaced():
                # A new database numbers its events from 1 again: this feed's cursor means
                # nothing there. The desktop connects again and reads the new hello's store.
                out.write(encode({"type": "restart", "reason": "the database was replaced"}))
                out.flush()
                return 0
            lines: list[bytes] = []
            events = reader.after(cursor)
            if events:
                lines.append(encode({"type": "events", "events": events}))
                cursor = int(events[-1]["id"])
                personas = reader.personas({str(e["session_id"]) for e in events})
                if personas:
                    lines.append(encode({"type": "personas", "personas": personas}))
            panes, problem = read_panes(paths, port)
            if (panes, problem) != last_panes:
                lines.append(encode({"type": "panes", "panes": panes, "problem": problem}))
                last_panes = (panes, problem)
            if not lines and time.monotonic() - wrote >= heartbeat:
                lines.append(encode({"type": "alive"}))
            if lines:
                out.write(b"".join(lines))
                out.flush()
                wrote = time.monotonic()
            if len(events) < BATCH:  # a full batch: more are waiting, send them at once
                time.sleep(interval)
    except BrokenPipeError:
        return 0  # the desktop (or the link) went away: nothing left to do
    finally:
        reader.close()
    return 0


def hooks_missing() -> list[str]:
    """The events this host's Claude settings do not hook for claude-rpg (all: none are)."""
    try:
        settings = load_settings(claude_config_dir() / "settings.json")
    except SettingsError:
        return list(HOOK_EVENTS)
    hooked = hooked_events(settings)
    return [e for e in HOOK_EVENTS if e not in hooked]


def info(paths: DataPaths, port: int) -> dict[str, Any]:
    """One look at this host for `hosts list` and doctor: version, app, panes, hooks."""
    panes, problem = read_panes(paths, port)
    return {
        **hello(),
        "app_running": problem is None,
        "problem": problem,
        "panes": len(panes),
        "hook_script": paths.hook_script.exists(),
        "hooks_missing": hooks_missing(),
    }
