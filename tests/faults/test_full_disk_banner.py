"""A full disk, as the window shows it: the banner says so, and goes once storing works again.

The app's real core and window (offscreen) run on a data dir that is a 4 MB tmpfs, in a
mount namespace of the test's own. Events come through the installed hook script; the disk
is filled (a ballast file until ENOSPC) while they wait in the spool, as
test_disk_faults does for /api/health.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from desktop.app import CoreApp, Options
from desktop.core.hooks.command import write_script
from desktop.paths import DataPaths
from desktop.qt_loop import AppEventLoop
from desktop.ui.bridge import CoreBridge
from desktop.ui.shell import DesktopShell
from tests.core.test_spool import fire, numbered
from tests.faults.conftest import OFFSCREEN_NOISE, stored_count
from tests.faults.private_mount import fill, run_inside, skip_outside, tmpfs
from tests.faults.test_uncaught_errors import until
from tests.support.app_process import free_port
from tests.ui.fakes import FakeTrayIcon, RecordingNotifications


def test_the_window_says_the_disk_is_full_and_stops_saying_it_when_there_is_room(
    tmp_path: Path,
) -> None:
    run_inside(__file__, "test_inside_a_private_mount_namespace", tmp_path)


@pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)
def test_inside_a_private_mount_namespace(qapp: QApplication, tmp_path: Path) -> None:
    skip_outside()
    with tmpfs(tmp_path / "data") as data:
        paths = DataPaths(data)
        port = free_port()
        core = CoreApp(Options(port=port, data_dir=data, tmux_socket=str(tmp_path / "no")))
        write_script(paths, port)
        events = numbered(30)
        shown: list[tuple[str, bool]] = []

        async def scenario() -> None:
            bridge = CoreBridge(core.registry, core.ingest, core.problems)
            shell = DesktopShell(bridge, FakeTrayIcon(), [RecordingNotifications()])
            await core.start()
            try:
                shell.start()
                banner = shell.window.banner
                fire(paths, events[:10])
                await until(lambda: core.ingest.accepted == 10, "the first events stored")
                bridge.check_problems()
                shown.append((banner.text(), banner.isVisibleTo(shell.window)))
                # The loop waits while these reach the spool and the disk fills up (as if the
                # app were busy): then it tries to store them.
                fire(paths, events[10:30])
                ballast = fill(data)
                await until(lambda: core.spool.store_error is not None, "the store failing")
                bridge.check_problems()
                shown.append((banner.text(), banner.isVisibleTo(shell.window)))
                await until(
                    lambda: banner.height() >= banner.heightForWidth(banner.width()),
                    "the window to lay the longer banner out",
                )
                shell.window.grab().save(str(tmp_path / "disk-full.png"))
                ballast.unlink()
                await until(lambda: core.ingest.accepted == 30, "the spooled events stored")
                bridge.check_problems()
                shown.append((banner.text(), banner.isVisibleTo(shell.window)))
            finally:
                shell.close()
                await core.stop()

        with asyncio.Runner(loop_factory=lambda: AppEventLoop(qapp)) as runner:
            runner.run(scenario())
        # The banner also says that no tmux server runs (this test starts none).
        full_disk = f"The disk holding {paths.database} is full"
        (before, _), (text, visible), (after, _) = shown
        assert full_disk not in before
        assert visible
        (line,) = [line for line in text.splitlines() if line.startswith(full_disk)]
        assert line.endswith(
            "new events wait in the spool and are stored as soon as there is room."
        )
        assert full_disk not in after
        assert stored_count(paths.database) == 30  # as many stored as sent
