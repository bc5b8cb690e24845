"""The doorbell: its ring carries no secret, and an app that cannot bind its UDP port says
so (window banner, /api/health, doctor) and still stores every event from the spool."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from pathlib import Path

import aiohttp

from desktop.app import CoreApp, Options
from desktop.core.hooks.command import command_for, write_script
from desktop.doctor import DoctorTarget, Level, check_listener
from desktop.paths import DataPaths
from tests.support.app_process import free_port

STOP = b'{"session_id":"s","hook_event_name":"Stop"}'


def run_hook(paths: DataPaths) -> subprocess.CompletedProcess[bytes]:
    """The installed command as Claude 2.1.197 runs it: /bin/sh -c, payload on stdin."""
    return subprocess.run(
        ["sh", "-c", command_for(paths.hook_script, "Stop")],
        input=STOP,
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
