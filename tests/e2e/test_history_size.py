"""A busy stretch of work keeps the data dir small and free of tool output and secrets.

1,000 PostToolUse calls, each with a 100 KB tool response holding a fake secret (which the
commands hold too), go through the real app's listener. The reference for the XP is the
release that stored every payload whole (commit 0461e8f, run on the same events by
tests/fixtures/make_v2_database.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.fixtures.make_v2_database import FAKE_SECRET, build, events
from tests.support.app_process import AppProcess

pytestmark = pytest.mark.e2e

COUNT = 1000
RESPONSE_BYTES = 100_000
LIMIT_BYTES = 10 * 1024 * 1024


def xp_by_session(database: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return {str(sid): int(xp) for sid, xp in conn.execute("SELECT session_id, xp FROM persona")}
    finally:
        conn.close()


def test_a_thousand_big_tool_calls_leave_a_small_clean_data_dir(tmp_path: Path) -> None:
    sent = list(events(COUNT, RESPONSE_BYTES, recorded=False))
    assert all(len(str(item["payload"])) >= RESPONSE_BYTES * 0.9 for item in sent[1:4])

    reference = tmp_path / "stored-everything.sqlite3"
    build(reference, COUNT, RESPONSE_BYTES, recorded=False)
    assert reference.stat().st_size > 0.9 * COUNT * RESPONSE_BYTES  # the old way: all of it

    app = AppProcess(tmp_path / "data").start()
    try:
        for item in sent:
            reply = app.post_event(
                item["payload"],
                headers={"X-Hook-Stamp": repr(item["stamp"]), "X-Hook-Id": item["key"]},
            )
            assert reply["stored"] is True
        health = app.get("/api/health")
        assert health["events_accepted"] == COUNT
    finally:
        assert app.stop() == 0

    database = app.data_dir / "claude-rpg.sqlite3"
    conn = sqlite3.connect(database)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (stored,) = conn.execute("SELECT count(*) FROM hook_event").fetchone()
    finally:
        conn.close()
    assert stored == COUNT

    files = [p for p in app.data_dir.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    assert size < LIMIT_BYTES, f"the data dir holds {size} bytes"
    secret = FAKE_SECRET.encode()
    for path in [*files, app.log_path]:
        assert secret not in path.read_bytes(), f"{path} holds the secret"

    assert xp_by_session(database) == xp_by_session(reference)
    assert sum(xp_by_session(database).values()) > 0
