"""The listener in the real qasync loop survives a long run of hook requests.

The PySide6 6.12.0 crash (see tests/ui/test_pyside_none_refcount.py) was count-driven: the
app died after a few thousand requests however slowly they came. 20,000 in a row must pass.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from tests.support.app_process import AppProcess

REQUESTS = 20_000
CLIENTS = 8


async def _hammer(app: AppProcess) -> list[int]:
    secret = app.secret
    statuses: list[int] = []

    async def client(worker: int, http: aiohttp.ClientSession) -> None:
        for i in range(worker, REQUESTS, CLIENTS):
            payload = {
                "session_id": f"soak-{i % 50}",
                "hook_event_name": "PreToolUse" if i % 2 else "PostToolUse",
                "tool_name": "Bash",
                "tool_input": {"command": f"echo {i}"},
            }
            async with http.post(
                f"{app.url}/hooks/{payload['hook_event_name']}",
                json=payload,
                headers={"X-Claude-RPG-Secret": secret, "X-Hook-Id": f"soak-{i}"},
            ) as resp:
                await resp.read()
                statuses.append(resp.status)

    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(client(w, http) for w in range(CLIENTS)))
    return statuses


def test_twenty_thousand_hook_requests_in_the_qasync_loop(tmp_path: Path) -> None:
    app = AppProcess(tmp_path / "data", tmux_socket=tmp_path / "no-tmux.sock").start()
    try:
        statuses = asyncio.run(_hammer(app))
        assert len(statuses) == REQUESTS
        assert set(statuses) == {200}
        assert app.proc is not None and app.proc.poll() is None, app.log()
        health = app.get("/api/health")
        assert health["status"] == "ok"
        assert health["events_accepted"] == REQUESTS
        assert len(app.get("/api/personas")) == 50
    finally:
        code = app.stop()
    assert code == 0, app.log()
