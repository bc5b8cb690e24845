"""The window on the qasync loop, fed by the real claude CLI through the installed hooks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from desktop.app import CoreApp, Options
from desktop.core.model import PaneState, Status
from desktop.ui.bridge import CoreBridge
from desktop.ui.card import PLACEHOLDER_NAME
from desktop.ui.notify import Kind
from desktop.ui.shell import DesktopShell, core_problems
from tests.support.app_process import free_port
from tests.support.claude_session import PERMISSION_DIALOG, start_claude, type_prompt
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.install import install_hooks
from tests.support.private_tmux import PrivateTmux
from tests.ui.fakes import FakeTrayIcon, RecordingNotifications
from tests.ui.test_app_loop import pane_where, run_on_qasync


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[PrivateTmux, FakeAnthropic]]:
    with PrivateTmux() as tmux, FakeAnthropic() as fake:
        yield tmux, fake


@pytest.mark.e2e
def test_real_claude_turns_drive_the_card_and_the_notifications(
    qapp: QApplication, tmp_path: Path, rig: tuple[PrivateTmux, FakeAnthropic]
) -> None:
    tmux, fake = rig
    home, project, data = tmp_path / "home", tmp_path / "project", tmp_path / "data"
    port = free_port()
    install_hooks(home, data, port)
    core = CoreApp(
        Options(port=port, data_dir=data, tmux_socket=str(tmux.socket_path), poll_interval=0.2)
    )
    notices = RecordingNotifications()

    async def scenario() -> None:
        bridge = CoreBridge(core.registry, core.ingest, core_problems(core))
        shell = DesktopShell(bridge, FakeTrayIcon(), [notices])
        first_seen: list[object] = []

        def remember_first_card(pane: PaneState) -> None:
            if not first_seen:
                first_seen.append(shell.window.grid.card_for(pane.pane_id))

        bridge.pane_changed.connect(remember_first_card)
        await core.start()
        try:
            shell.start()
            # start_claude blocks on tmux: off the loop, which keeps serving the hooks.
            pane_id = await asyncio.to_thread(start_claude, tmux, fake, home, project)
            bound = await pane_where(
                bridge, lambda p: p.pane_id == pane_id and p.persona is not None
            )
            card = shell.window.grid.card_for(pane_id)
            assert card is not None and first_seen == [card]  # the placeholder's own widget
            assert bound.persona is not None and card.name.text() == bound.persona.name
            assert card.name.text() != PLACEHOLDER_NAME

            await asyncio.to_thread(type_prompt, tmux, pane_id, "BASH:touch approved.txt")
            await asyncio.to_thread(tmux.wait_for, pane_id, PERMISSION_DIALOG)
            await pane_where(bridge, lambda p: p.status is Status.NEEDS_INPUT, timeout=5)
            assert card.chip.text() == "needs input"
            assert card.activity.text() == "permission: Bash: touch approved.txt"
            assert [n.kind for n in notices.notices] == [Kind.NEEDS_INPUT]
            assert notices.notices[0].title.startswith(bound.persona.name)

            await asyncio.to_thread(tmux.send_keys, pane_id, "1")
            await pane_where(bridge, lambda p: p.status is Status.IDLE and p.last_event == "Stop")
            assert card.chip.text() == "idle"
            assert [n.kind for n in notices.notices] == [Kind.NEEDS_INPUT, Kind.FINISHED]
            assert (project / "approved.txt").exists()
        finally:
            shell.close()
            await core.stop()

    run_on_qasync(qapp, scenario())
