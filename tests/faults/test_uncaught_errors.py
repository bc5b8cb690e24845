"""An exception raised in a Qt slot or a loop callback: logged with its traceback, a notice
in the window's banner, and the app goes on storing every event that comes after."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop.app import CoreApp, Options
from desktop.core.hooks.command import write_script
from desktop.logs import setup_logging
from desktop.paths import DataPaths
from desktop.qt_loop import AppEventLoop
from desktop.ui.bridge import CoreBridge
from desktop.ui.shell import DesktopShell
from desktop.unexpected import UnexpectedErrors
from tests.core.test_spool import fire, numbered
from tests.faults.conftest import OFFSCREEN_NOISE, stored_count
from tests.support.app_process import free_port
from tests.ui.fakes import FakeTrayIcon, RecordingNotifications


def boom_in_a_slot() -> None:
    raise ZeroDivisionError("a slot divided by zero")


def boom_in_a_callback() -> None:
    raise KeyError("no-such-pane")


async def until(condition: object, what: str, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, f"{what} within {timeout} s"
        await asyncio.sleep(0.05)


@pytest.mark.qt_no_exception_capture
@pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)
def test_an_exception_in_a_slot_or_a_callback_is_logged_shown_and_survived(
    qapp: QApplication, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    paths = DataPaths(data)
    log_file = setup_logging(False, tmp_path / "logs")
    assert log_file is not None
    errors = UnexpectedErrors()
    port = free_port()
    core = CoreApp(Options(port=port, data_dir=data, tmux_socket=str(tmp_path / "no")), errors)
    write_script(paths, port)
    banner_lines: list[str] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        errors.install(loop)
        bridge = CoreBridge(core.registry, core.ingest, core.problems)
        shell = DesktopShell(bridge, FakeTrayIcon(), [RecordingNotifications()])
        await core.start()
        try:
            shell.start()
            fire(paths, numbered(10))
            await until(lambda: core.ingest.accepted == 10, "10 events stored")
            QTimer.singleShot(0, boom_in_a_slot)
            await until(lambda: errors.count == 1, "the slot's error reported")
            bridge.check_problems()
            banner_lines.append(shell.window.banner.text())
            loop.call_soon(boom_in_a_callback)
            await until(lambda: errors.count == 2, "the callback's error reported")
            bridge.check_problems()
            banner_lines.append(shell.window.banner.text())
            assert shell.window.banner.isVisibleTo(shell.window)
            # The app goes on: the events after the errors are stored like those before.
            fire(paths, numbered(25)[10:])
            await until(lambda: core.ingest.accepted == 25, "25 events stored")
        finally:
            errors.uninstall()
            shell.close()
            await core.stop()

    try:
        with asyncio.Runner(loop_factory=lambda: AppEventLoop(qapp)) as runner:
            runner.run(scenario())
    finally:
        setup_logging(False, None)
    assert stored_count(paths.database) == 25
    slot, callback = banner_lines
    assert "An unexpected error happened in test_uncaught_errors.py:" in slot
    assert "boom_in_a_slot() (ZeroDivisionError: a slot divided by zero)" in slot
    assert f"claude-rpg goes on, the traceback is in {log_file}." in slot
    assert "boom_in_a_callback() (KeyError: 'no-such-pane')" in callback
    logged = log_file.read_text()
    assert "Traceback (most recent call last)" in logged
    assert 'raise ZeroDivisionError("a slot divided by zero")' in logged
    assert 'raise KeyError("no-such-pane")' in logged
    assert logged.count("unexpected error in ") == 2
