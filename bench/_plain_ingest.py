"""The ingest baseline: plain aiohttp on plain asyncio, storing each hook event as the app's row.

Run by bench/ingest.py as a child process: `_plain_ingest.py PORT DATABASE SECRET [qasync]`
(with `qasync`: on a QApplication running a qasync loop, the app's kind of loop). It
answers POST /hooks/{event} like the app (secret check, JSON object with session_id and
hook_event_name, one SQLite transaction per event in the app's own schema, stored before
the 2xx reply) and GET /api/health with `events_accepted`, and nothing else: no personas,
no panes, no UI. It prints `ready` once it listens on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import signal
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web

from desktop.core.history.record import compact
from desktop.store.db import SYNCHRONOUS
from desktop.store.migrations import migrate

INSERT = (
    "INSERT INTO hook_event (dedupe_key, event_name, session_id, pane_id, claude_pid, stamp,"
    " received_at, tool_name, cwd, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)


class PlainIngest:
    """One table, one connection, one transaction per event."""

    def __init__(self, database: Path, secret: str) -> None:
        self.secret = secret.encode()
        self.db = sqlite3.connect(database, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # As durable as the app's own commits: a reply means the event is on disk.
        self.db.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
        migrate(self.db)
        self.accepted = 0

    async def post_hook(self, request: web.Request) -> web.Response:
        supplied = request.headers.get("X-Claude-RPG-Secret", "").encode()
        if not hmac.compare_digest(supplied, self.secret):
            return web.json_response({"error": "wrong secret"}, status=401)
        data = json.loads(await request.read())
        if not isinstance(data.get("session_id"), str) or not isinstance(
            data.get("hook_event_name"), str
        ):
            return web.json_response({"error": "invalid hook payload"}, status=422)
        pid = request.headers.get("X-Claude-Pid", "")
        facts = compact(data["hook_event_name"], data)  # the row the app keeps, not the payload
        with self.db:
            self.db.execute("BEGIN")
            cursor = self.db.execute(
                INSERT,
                (
                    request.headers.get("X-Hook-Id", ""),
                    data["hook_event_name"],
                    data["session_id"],
                    request.headers.get("X-Tmux-Pane"),
                    int(pid) if pid.isdigit() else None,
                    float(request.headers.get("X-Hook-Stamp") or time.time()),
                    datetime.now(UTC).isoformat(sep=" "),
                    facts.tool_name or None,
                    facts.cwd or None,
                    facts.record_json(),
                ),
            )
        stored = cursor.rowcount == 1
        self.accepted += stored
        return web.json_response({"stored": stored})

    async def health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "events_accepted": self.accepted})


async def serve(port: int, database: Path, secret: str, on_qt: bool = False) -> None:
    ingest = PlainIngest(database, secret)
    app = web.Application()
    app.router.add_post("/hooks/{event_name}", ingest.post_hook)
    app.router.add_get("/api/health", ingest.health)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    if on_qt:
        # qasync has no add_signal_handler: a plain handler, and a tick so Python runs it.
        loop = asyncio.get_running_loop()
        signal.signal(signal.SIGTERM, lambda *_: loop.call_soon_threadsafe(stop.set))
    else:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.2)
    await runner.cleanup()
    ingest.db.close()


def serve_on_qt(port: int, database: Path, secret: str) -> None:
    """The same server on the app's own loop: a QApplication running qasync (AppEventLoop)."""
    from PySide6.QtWidgets import QApplication

    from desktop.qt_loop import AppEventLoop

    qt_app = QApplication([])
    with asyncio.Runner(loop_factory=lambda: AppEventLoop(qt_app)) as runner:
        runner.run(serve(port, database, secret, on_qt=True))


if __name__ == "__main__":
    args = (int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
    if sys.argv[4:] == ["qasync"]:
        serve_on_qt(*args)
    else:
        asyncio.run(serve(*args))
