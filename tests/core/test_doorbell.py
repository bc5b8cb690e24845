"""The doorbell and the spool as the running app sees them: the ring carries no secret; an
app that cannot bind its UDP port says so (window banner, /api/health, doctor) and still
stores every event from the spool; records the capped spool dropped are counted and said."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest

from desktop.app import CoreApp, Options
from desktop.core.hooks.command import (
    DROPPED_PREFIX,
    command_for,
    find_bash,
    render_script,
    write_script,
)
from desktop.doctor import DoctorTarget, Level, check_listener
from desktop.paths import DataPaths
from tests.support.app_process import free_port

STOP = b'{"session_id":"s","hook_event_name":"Stop"}'


def run_hook(paths: DataPaths, body: bytes = STOP) -> subprocess.CompletedProcess[bytes]:
    """The installed command as Claude 2.1.197 runs it: /bin/sh -c, payload on stdin."""
    return subprocess.run(
        ["sh", "-c", command_for(paths.hook_script, "Stop")],
        input=body,
        capture_output=True,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin"},
        timeout=30,
        check=False,
    )


def test_the_ring_carries_no_secret(tmp_path: Path) -> None:
    """Anyone may bind the doorbell port while the app is down: they hear only record ids."""
    paths = DataPaths(tmp_path / "data")
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    squatter.bind(("127.0.0.1", 0))
    squatter.settimeout(10)
    try:
        write_script(paths, squatter.getsockname()[1])
        secret = paths.secret()
        done = run_hook(paths)
        ring = squatter.recv(4096)
    finally:
        squatter.close()
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    [record] = paths.spool.glob("*.rec")
    assert ring == f"{record.stem}\n".encode()
    assert secret.encode() not in ring


def test_a_busy_udp_port_is_said_everywhere_and_the_spool_still_drains(tmp_path: Path) -> None:
    port = free_port()
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    squatter.bind(("127.0.0.1", port))
    core = CoreApp(Options(port=port, data_dir=tmp_path / "data", tmux_socket="/none.sock"))
    write_script(core.paths, port)

    async def scenario() -> None:
        await core.start()
        try:
            assert core.doorbell is None
            [banner] = [p for p in core.problems() if p]
            assert f"UDP port {port}" in banner and "through the spool" in banner
            async with aiohttp.ClientSession() as http:
                reply = await http.get(f"{core.listener.url}/api/health")
                health = await reply.json()
            assert health["spool"]["doorbell_error"] == banner
            finding = await asyncio.to_thread(
                check_listener, DoctorTarget(core.paths, port, claude_settings=tmp_path / "s")
            )
            assert finding.level is Level.WARN and banner in finding.message
            # The ring goes to the squatter; the spool watch stores the event anyway.
            done = await asyncio.to_thread(run_hook, core.paths)
            assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
            deadline = time.monotonic() + 10
            while core.ingest.accepted < 1:
                assert time.monotonic() < deadline, "the spool watch never stored the event"
                await asyncio.sleep(0.05)
            assert not list(core.paths.spool.glob("*.rec"))
        finally:
            await core.stop()
            squatter.close()

    asyncio.run(scenario())


def test_the_app_says_how_many_records_the_capped_spool_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The app is down; the real hook (cap 1 MB, checked on every record) keeps the newest;
    the app, when it starts, stores those and says how many were dropped: log, health and
    the window's banner."""
    port = free_port()
    paths = DataPaths(tmp_path / "data")
    write_script(paths, port, cap_mb=1)
    text = render_script(paths, port, find_bash(), cap_mb=1, every_min=1)
    paths.hook_script.write_text(text)
    pad = "x" * 100_000
    for n in range(30):
        body = json.dumps({"session_id": "s", "hook_event_name": "Stop", "n": n, "pad": pad})
        done = run_hook(paths, body.encode())
        assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")

    def counted() -> int:
        return sum(int(p.read_text()) for p in paths.spool.glob(f"{DROPPED_PREFIX}*"))

    # The cap checks run in the background of each hook: wait until every record is either
    # in the spool or counted as dropped.
    def settled() -> bool:
        records = list(paths.spool.glob("*.rec"))
        size = sum(p.stat().st_size for p in records)
        return len(records) + counted() == 30 and size <= 1024 * 1024

    deadline, held = time.monotonic() + 15, 0
    while held < 2:  # twice 0.2 s apart: no check still on its way
        assert time.monotonic() < deadline, "the cap checks never settled"
        held = held + 1 if settled() else 0
        time.sleep(0.2)
    kept = len(list(paths.spool.glob("*.rec")))
    assert 0 < kept < 30
    caplog.set_level(logging.WARNING, "desktop.core.hooks.spool")
    core = CoreApp(Options(port=port, data_dir=paths.root, tmux_socket="/none.sock"))
    core.spool.cap_mb = 1

    async def scenario() -> None:
        await core.start()
        try:
            async with aiohttp.ClientSession() as http:
                reply = await http.get(f"{core.listener.url}/api/health")
                health = await reply.json()
        finally:
            await core.stop()
        assert health["spool"]["dropped"] == 30 - kept and health["spool"]["waiting"] == 0
        assert core.ingest.accepted == kept
        [sentence] = [p for p in core.problems() if "dropped" in p]
        assert sentence.startswith(f"{30 - kept} hook events were dropped") and "1 MB" in sentence

    asyncio.run(scenario())
    assert f"{30 - kept} hook events were dropped while claude-rpg was not running" in caplog.text
    assert counted() == 0  # counted once, then gone
