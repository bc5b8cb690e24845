"""Saved settings reach the running core without a restart: poll interval, port, autostart."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from desktop.app import CoreApp, Options
from desktop.config import SettingsStore
from desktop.core.hooks.command import script_port, spare_script, write_script
from desktop.freedesktop import autostart_file
from desktop.settings_apply import SettingsApplier
from tests.support.app_process import free_port


def health(port: int) -> dict[str, object]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as r:
        data: dict[str, object] = json.loads(r.read())
    return data


async def fetch(port: int) -> dict[str, object]:
    return await asyncio.to_thread(health, port)


@pytest.fixture
def core(tmp_path: Path) -> CoreApp:
    options = Options(
        port=free_port(), data_dir=tmp_path / "data", tmux_socket=str(tmp_path / "none.sock")
    )
    return CoreApp(options)


def run_with_core(core: CoreApp, body: Callable[[SettingsApplier], Awaitable[None]]) -> list[str]:
    """Start the core, run body(applier, problems) on the loop, stop; return the problems."""
    problems: list[str] = []

    async def main() -> None:
        await core.start()
        applier = SettingsApplier(core, SettingsStore(core.paths.root / "s.toml"), problems.append)
        try:
            await body(applier)
        finally:
            applier.close()
            await core.stop()

    asyncio.run(main())
    return problems


def test_a_new_port_moves_the_listener_and_the_hook_script(core: CoreApp) -> None:
    old_port, new_port = core.options.port, free_port()
    write_script(core.paths, old_port)

    async def body(applier: SettingsApplier) -> None:
        assert (await fetch(old_port))["status"] == "ok"
        applier.store.change(port=new_port)
        await applier.wait_idle()
        assert (await fetch(new_port))["listener"] == {"port": new_port, "error": None}
        with pytest.raises(urllib.error.URLError):
            await fetch(old_port)
        # The running app's spare script follows too (it is removed when the app stops).
        assert script_port(spare_script(core.paths.hook_script)) == new_port

    assert run_with_core(core, body) == []
    assert script_port(core.paths.hook_script) == new_port
    assert not spare_script(core.paths.hook_script).exists()


def udp_port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def test_the_hooks_doorbell_moves_with_the_port(core: CoreApp) -> None:
    old_port, new_port = core.options.port, free_port()

    async def body(applier: SettingsApplier) -> None:
        assert udp_port_taken(old_port)
        assert core.doorbell is not None and core.doorbell.bound_socket is not None
        old_socket = core.doorbell.bound_socket
        applier.store.change(port=new_port)
        await applier.wait_idle()
        assert udp_port_taken(new_port)
        # Our old socket is closed. (Whether the port number is free again is not ours to
        # say: any process's unbound UDP socket may be handed it as an ephemeral port.)
        assert old_socket.fileno() == -1
        assert (await fetch(new_port))["spool"]["doorbell_error"] is None  # type: ignore[index]

    assert run_with_core(core, body) == []


def test_a_busy_port_keeps_the_old_one_and_says_so(core: CoreApp) -> None:
    old_port = core.options.port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]

        async def body(applier: SettingsApplier) -> None:
            applier.store.change(port=busy)
            await applier.wait_idle()
            assert (await fetch(old_port))["status"] == "ok"

        problems = run_with_core(core, body)
    assert len(problems) == 1
    assert f"port {busy} is in use by another program" in problems[0]
    assert problems[0].endswith(f"claude-rpg keeps using port {old_port}.")
    assert core.options.port == old_port


def test_a_busy_udp_port_keeps_the_old_one_and_says_so(core: CoreApp) -> None:
    old_port = core.options.port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        busy = taken.getsockname()[1]

        async def body(applier: SettingsApplier) -> None:
            applier.store.change(port=busy)
            await applier.wait_idle()
            assert (await fetch(old_port))["listener"] == {"port": old_port, "error": None}
            assert udp_port_taken(old_port)

        problems = run_with_core(core, body)
    assert len(problems) == 1
    assert f"UDP port {busy} on 127.0.0.1 is not available" in problems[0]
    assert problems[0].endswith(f"claude-rpg keeps using port {old_port}.")


def test_poll_interval_and_autostart_apply_at_once(core: CoreApp) -> None:
    async def body(applier: SettingsApplier) -> None:
        applier.store.change(poll_interval=4.0, autostart=True)
        assert core.poller.interval == 4.0
        assert autostart_file().is_file()
        applier.store.change(autostart=False)
        assert not autostart_file().exists()

    assert run_with_core(core, body) == []


def test_a_new_spool_cap_rewrites_the_hook_script(core: CoreApp) -> None:
    write_script(core.paths, core.options.port)
    assert "total > 104857600" in core.paths.hook_script.read_text()  # 100 MB by default

    async def body(applier: SettingsApplier) -> None:
        applier.store.change(spool_cap_mb=7)
        assert core.spool.cap_mb == 7
        assert f"total > {7 * 1024 * 1024}" in spare_script(core.paths.hook_script).read_text()

    assert run_with_core(core, body) == []
    script = core.paths.hook_script.read_text()
    assert f"total > {7 * 1024 * 1024}" in script and "104857600" not in script
    assert script_port(core.paths.hook_script) == core.options.port
