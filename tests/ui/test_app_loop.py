"""The real app on the qasync loop: real tmux, a real claude pane, real listener and store.

Hook events are POSTed to the listener as the hook script would send them (the recorded
payloads of Claude Code 2.1.197), and the cards must follow.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QApplication

from desktop.app import CoreApp, Options
from desktop.core.hooks.listener import SECRET_HEADER
from desktop.core.model import PaneState, Status
from desktop.core.personas import persona_name
from desktop.qt_loop import AppEventLoop
from desktop.ui.bridge import Bridge, CoreBridge
from desktop.ui.card import PLACEHOLDER_NAME
from desktop.ui.notify import Kind, NoticeGate
from desktop.ui.shell import DesktopShell, core_problems
from tests.support.private_tmux import PrivateTmux
from tests.ui.fakes import FakeTrayIcon, RecordingNotifications

FIXTURE = Path(__file__).parents[1] / "fixtures" / "claude-code-2.1.197-hook-events.jsonl"
SESSION = "053c7322-6e2b-45f9-9648-d422de0c427b"
# The first turns of that session: a plain prompt, an allowed tool, a tool behind a permission
# dialog, each ending in Stop.
REPLAYED = 21


def recorded_events() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]
    return [r for r in rows if r["payload"]["session_id"] == SESSION][:REPLAYED]


async def pane_where(
    bridge: Bridge, predicate: Callable[[PaneState], bool], timeout: float = 15.0
) -> PaneState:
    """The first pane state the bridge reports (or already has) that satisfies predicate.

    A state it already has may still wait for the bridge's next flush to reach the cards:
    that flush is awaited too, so the widgets show what is returned.
    """
    for pane in bridge.panes():
        if predicate(pane):
            if isinstance(bridge, CoreBridge):
                await cards_flushed(bridge)
            return pane
    found: PaneState = await first_emitted(bridge.pane_changed, predicate, timeout)
    return found


async def first_emitted(
    signal: SignalInstance, predicate: Callable[[Any], bool], timeout: float
) -> Any:
    """The first value `signal` emits that satisfies predicate, awaited on the loop (pytest-qt's
    waits would re-enter it)."""
    found: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def check(value: Any) -> None:
        if predicate(value) and not found.done():
            found.set_result(value)

    signal.connect(check)
    try:
        return await asyncio.wait_for(found, timeout)
    finally:
        signal.disconnect(check)


def core_on(tmux: PrivateTmux, data_dir: Path) -> CoreApp:
    """The app's core on a free port, watching the private tmux (polled every 0.2 s)."""
    options = Options(
        port=0, data_dir=data_dir, tmux_socket=str(tmux.socket_path), poll_interval=0.2
    )
    return CoreApp(options)


async def cards_flushed(bridge: CoreBridge) -> None:
    """Wait until the bridge has sent the pane changes it holds back for the next frame."""
    for _ in range(1000):
        if not bridge.changes_pending:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the bridge never sent its pending pane changes")


def run_on_qasync(qapp: QApplication, coro: Any) -> Any:
    # pytest-qt's waits would re-enter this loop: the scenario awaits signal-fed futures.
    with asyncio.Runner(loop_factory=lambda: AppEventLoop(qapp)) as runner:
        return runner.run(coro)


@pytest.mark.e2e
def test_posted_hook_events_change_the_cards(
    qapp: QApplication, tmp_path: Path, claude_pane: tuple[PrivateTmux, str, int]
) -> None:
    tmux, pane_id, claude_pid = claude_pane
    core = core_on(tmux, tmp_path / "data")
    notices = RecordingNotifications()

    async def scenario() -> None:
        bridge = CoreBridge(core.registry, core.ingest, core_problems(core))
        shell = DesktopShell(bridge, FakeTrayIcon(), [notices])
        # Every notifying event of the replay must reach the service; how often notices may
        # show is test_notifier.py's matter, so nothing is held back here.
        shell.notifier.gate = NoticeGate(pane_quiet_s=0, kind_quiet_s=0)
        await core.start()
        try:
            shell.start()
            await pane_where(bridge, lambda p: p.pane_id == pane_id)
            card = shell.window.grid.card_for(pane_id)
            assert card is not None and card.awaiting_identity
            assert card.name.text() == PLACEHOLDER_NAME
            assert card.target.text() == core.registry.get(pane_id).target  # type: ignore[union-attr]
            headers = {
                SECRET_HEADER: core.listener.secret,
                "X-Tmux-Pane": pane_id,
                "X-Claude-Pid": str(claude_pid),
            }
            seen_statuses = set()
            async with aiohttp.ClientSession() as http:
                for n, row in enumerate(recorded_events()):
                    event = row["hook_arg"]
                    async with http.post(
                        f"{core.listener.url}/hooks/{event}",
                        json=row["payload"],
                        headers={**headers, "X-Hook-Id": f"replay-{n}"},
                    ) as reply:
                        assert reply.status == 200, await reply.text()
                    # The reply comes after the pane's state has changed; its card follows
                    # within a frame (the bridge sends pane changes once per frame).
                    await cards_flushed(bridge)
                    state = core.registry.get(pane_id)
                    assert state is not None
                    assert shell.window.grid.card_for(pane_id) is card  # same widget throughout
                    assert card.chip.status is state.status
                    assert not card.awaiting_identity
                    assert card.name.text() == persona_name(SESSION)
                    seen_statuses.add(state.status)
                # A hook that retries (same X-Hook-Id) is stored once and notifies once.
                last = recorded_events()[-2]
                assert last["hook_arg"] == "Stop"
                before = len(notices.notices)
                async with http.post(
                    f"{core.listener.url}/hooks/Stop",
                    json=last["payload"],
                    headers={**headers, "X-Hook-Id": f"replay-{REPLAYED - 2}"},
                ) as reply:
                    assert (await reply.json())["stored"] is False
                assert len(notices.notices) == before
            assert {Status.IDLE, Status.WORKING, Status.NEEDS_INPUT} <= seen_statuses
            events = [r["hook_arg"] for r in recorded_events()]
            expected = [
                Kind.NEEDS_INPUT if e == "PermissionRequest" else Kind.FINISHED
                for e in events
                if e in ("PermissionRequest", "Stop")
            ]
            assert [n.kind for n in notices.notices] == expected
            assert all(n.pane_id == pane_id for n in notices.notices)
            assert notices.notices[0].title.startswith(persona_name(SESSION))
            # Claude exits: the poller marks the pane ended and its card dims in place.
            tmux.kill_pane(pane_id)
            await pane_where(bridge, lambda p: p.pane_id == pane_id and not p.alive)
            assert shell.window.grid.card_for(pane_id) is card
            assert card.chip.status is Status.ENDED and card.graphicsEffect() is not None
        finally:
            shell.close()
            await core.stop()

    run_on_qasync(qapp, scenario())
