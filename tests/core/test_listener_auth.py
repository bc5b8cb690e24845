"""Who may use the API: the secret on every route but /api/health, a secret that is never
empty, and a data dir only its user can read (a second local user is the adversary)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import stat
from pathlib import Path

import aiohttp
import pytest

from desktop.app import CoreApp, Options
from desktop.core.hooks.command import write_script
from desktop.core.hooks.listener import SECRET_HEADER
from desktop.paths import DataPaths
from tests.support.app_process import free_port

STOP = {"session_id": "s", "hook_event_name": "Stop"}
# Reads every release has had; the test also walks the router, so a route added later is
# covered without being listed here.
READS = (
    "/api/panes",
    "/api/personas",
    "/api/personas/1",
    "/api/personas/1/challenges",
    "/api/personas/1/xp",
    "/api/leaderboard",
)


def api_reads(core: CoreApp) -> list[str]:
    """Every GET route under /api the app serves, its {parameters} filled with 1."""
    found = set(READS)
    for route in core.listener.app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if route.method == "GET" and path and path.startswith("/api/"):
            found.add(re.sub(r"\{[^}]*\}", "1", path))
    return sorted(found)


def core_on(data_dir: Path) -> CoreApp:
    return CoreApp(Options(port=free_port(), data_dir=data_dir, tmux_socket="/nonexistent.sock"))


async def with_core(core: CoreApp, scenario: object) -> None:
    await core.start()
    try:
        async with aiohttp.ClientSession() as http:
            await scenario(http, core.listener.url)  # type: ignore[operator]
    finally:
        await core.stop()


def test_every_route_but_health_needs_the_secret(tmp_path: Path) -> None:
    core = core_on(tmp_path / "data")
    secret = core.paths.read_secret()
    assert secret

    reads = api_reads(core)
    assert set(READS) < set(reads) and "/api/health" in reads
    reads.remove("/api/health")

    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        for path in reads:
            for headers in ({}, {SECRET_HEADER: ""}, {SECRET_HEADER: secret + "x"}):
                reply = await http.get(url + path, headers=headers)
                body = await reply.json()
                assert reply.status == 401, path
                assert SECRET_HEADER in body["error"] and "<data dir>/secret" in body["error"]
            reply = await http.get(url + path, headers={SECRET_HEADER: secret})
            assert reply.status in (200, 400, 404), path  # 404: no persona 1 yet
        reply = await http.get(url + "/api/health")
        assert reply.status == 200 and (await reply.json())["status"] == "ok"
        for path in ("/hooks/Stop", "/event"):
            reply = await http.post(url + path, json=STOP)
            assert reply.status == 401
        assert core.ingest.accepted == 0

    asyncio.run(with_core(core, scenario))


def test_an_empty_secret_file_is_made_anew_and_never_accepted(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data")
    paths.ensure()
    paths.secret_file.write_text("\n")
    core = core_on(paths.root)
    fresh = paths.read_secret()
    assert fresh and len(fresh) >= 20 and core.listener.secret == fresh

    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        # A forged event with the empty secret the file held: refused.
        reply = await http.post(url + "/hooks/Stop", json=STOP, headers={SECRET_HEADER: ""})
        assert reply.status == 401
        reply = await http.get(url + "/api/panes", headers={SECRET_HEADER: ""})
        assert reply.status == 401
        reply = await http.post(url + "/hooks/Stop", json=STOP, headers={SECRET_HEADER: fresh})
        assert reply.status == 200

    asyncio.run(with_core(core, scenario))
    assert core.ingest.accepted == 1


def test_an_empty_secret_in_the_listener_refuses_an_empty_header(tmp_path: Path) -> None:
    core = core_on(tmp_path / "data")
    core.listener.secret = ""  # as if the file had been emptied under the running app

    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        for headers in ({}, {SECRET_HEADER: ""}):
            reply = await http.post(url + "/hooks/Stop", json=STOP, headers=headers)
            assert reply.status == 401
            assert (await http.get(url + "/api/panes", headers=headers)).status == 401

    asyncio.run(with_core(core, scenario))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_loose_modes_are_tightened_at_start_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A data dir made by an older release (or by hand) with 0755/0644 modes."""
    paths = DataPaths(tmp_path / "data")
    first = core_on(paths.root)
    write_script(paths, first.options.port)
    first.db.close()
    (paths.spool / "rejected").mkdir()
    record = paths.spool / "rejected" / "1.0-1.rec"
    record.write_text("x")
    neighbour = paths.root / "not-ours.txt"
    neighbour.write_text("a file of the user's that happens to live here")
    status = paths.root / "status"  # the status line's copies of Claude's status JSON
    status.mkdir(exist_ok=True)  # the app makes it for the status line
    (status / "s.1.json").write_text("{}")
    os.chmod(status / "s.1.json", 0o644)
    for path in (paths.root, paths.spool, paths.spool / "rejected", paths.logs, status):
        os.chmod(path, 0o755)
    for path in (paths.database, paths.secret_file, record, neighbour):
        os.chmod(path, 0o644)
    os.chmod(paths.hook_script, 0o755)
    caplog.set_level(logging.WARNING, "desktop.app")

    core = core_on(paths.root)
    core.db.close()

    for path in (paths.root, paths.spool, paths.spool / "rejected", paths.logs, status):
        assert mode(path) == 0o700, path
    for path in (paths.database, paths.secret_file, record, status / "s.1.json"):
        assert mode(path) == 0o600, path
    assert mode(paths.hook_script) == 0o700
    assert mode(neighbour) == 0o644  # not the app's: left alone
    assert "made them readable by you only" in caplog.text
    assert str(paths.database) in caplog.text or "more" in caplog.text

    caplog.clear()
    core_on(paths.root).db.close()
    assert "readable by you only" not in caplog.text  # nothing loose, nothing said


def test_a_new_data_dir_is_private_from_the_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "desktop.app")
    old = os.umask(0o022)
    try:
        core = core_on(tmp_path / "data")
    finally:
        os.umask(old)
    core.db.close()
    assert mode(core.paths.database) == 0o600 and mode(core.paths.root) == 0o700
    assert "readable by you only" not in caplog.text  # nothing was ever loose
