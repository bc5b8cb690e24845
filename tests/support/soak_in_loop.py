"""Run the listener and a hook-like client together in one qasync loop; print a JSON result.

Started as a child process by tests/e2e/test_listener_soak.py, so that a crash of the
interpreter (PySide6 6.12.0's `none_dealloc` abort) fails the test instead of killing pytest.
Client and server share the loop, so both sides' Qt calls count, as in the real app with
its window, and each request opens a new connection, as the hook command does.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["QT_API"] = "pyside6"

import aiohttp
from PySide6.QtCore import QCoreApplication

from desktop.app import CoreApp, Options
from desktop.qt_loop import AppEventLoop


async def soak(core: CoreApp, requests: int) -> dict[str, object]:
    await core.start()
    secret = core.paths.secret()
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(force_close=True)
    try:
        async with aiohttp.ClientSession(connector=connector) as http:
            for i in range(requests):
                payload = {"session_id": f"soak-{i % 20}", "hook_event_name": "PostToolUse"}
                async with http.post(
                    f"{core.listener.url}/hooks/PostToolUse",
                    json=payload,
                    headers={"X-Claude-RPG-Secret": secret, "X-Hook-Id": f"k{i}"},
                ) as resp:
                    await resp.read()
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1
            async with http.get(f"{core.listener.url}/api/health") as resp:
                health = await resp.json()
    finally:
        await core.stop()
    return {"statuses": statuses, "health": health}


def main() -> int:
    requests = int(sys.argv[1])
    app = QCoreApplication([])
    data = Path(tempfile.mkdtemp(prefix="soak-"))
    core = CoreApp(Options(port=0, data_dir=data, tmux_socket=str(data / "no-tmux.sock")))
    with asyncio.Runner(loop_factory=lambda: AppEventLoop(app)) as runner:
        result = runner.run(soak(core, requests))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
