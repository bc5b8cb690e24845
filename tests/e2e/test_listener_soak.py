"""The listener in the real qasync loop survives a long run of hook requests.

The PySide6 6.12.0 crash (see tests/ui/test_pyside_none_refcount.py) was count-driven: the
app died after a few thousand requests however slowly they came. 20,000 in a row must pass.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.support.app_process import REPO, AppProcess

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


def test_listener_and_client_in_one_qasync_loop_survive_twenty_thousand_requests() -> None:
    """Fails (the child aborts with none_dealloc after ~2,500 requests) on PySide6 6.12.0."""
    python = os.environ.get("CLAUDE_RPG_TEST_PYTHON", sys.executable)
    proc = subprocess.run(
        [python, "-m", "tests.support.soak_in_loop", str(REQUESTS)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["statuses"] == {"200": REQUESTS}
    assert result["health"]["status"] == "ok"
    assert result["health"]["events_accepted"] == REQUESTS
