"""Progression in the real app on the qasync loop: real tmux, claude pane, listener and store.

The recorded progression session of Claude Code 2.1.197 (two writes, a failing then passing
test run, an edit, a commit) is POSTed to the listener as the hook script would send it. The
card's XP must count up to what the store holds, and the persona page and the leaderboard,
opened the way a person opens them, must show what the API says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop.app import CoreApp, Options
from desktop.core.hooks.listener import SECRET_HEADER
from desktop.core.personas import persona_name
from desktop.core.progression.views import ProgressUpdate
from desktop.ui.bridge import CoreBridge
from desktop.ui.card import PaneCard
from desktop.ui.shell import DesktopShell, build_shell, core_problems
from tests.core.progression_events import incoming
from tests.support.private_tmux import PrivateTmux
from tests.ui.fakes import FakeTrayIcon, RecordingNotifications
from tests.ui.test_app_loop import core_on, first_emitted, pane_where, run_on_qasync

FIXTURE = Path(__file__).parents[1] / "fixtures" / "claude-code-2.1.197-progression-events.jsonl"


def recorded_events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]


SESSION = recorded_events()[0]["payload"]["session_id"]


async def settled_at(card: PaneCard, xp: int, timeout: float = 15.0) -> None:
    """Wait (on the loop, not with qtbot) until the card's count-up rests at `xp`."""
    counter = card.xp_counter
    if counter.value == xp and not counter.running:
        return
    await first_emitted(counter.settled, lambda value: value == xp, timeout)


@pytest.mark.e2e
def test_posted_events_raise_xp_on_the_card_and_fill_the_persona_page(
    qapp: QApplication, tmp_path: Path, claude_pane: tuple[PrivateTmux, str, int]
) -> None:
    tmux, pane_id, claude_pid = claude_pane
    core = core_on(tmux, tmp_path / "data")

    async def scenario() -> None:
        bridge = CoreBridge(
            core.registry, core.ingest, core_problems(core), progression=core.progression
        )
        shell = DesktopShell(bridge, FakeTrayIcon(), [RecordingNotifications()])
        updates: list[ProgressUpdate] = []
        bridge.progress_changed.connect(updates.append)
        await core.start()
        try:
            shell.start()
            await pane_where(bridge, lambda p: p.pane_id == pane_id)
            card = shell.window.grid.card_for(pane_id)
            assert card is not None
            shown: list[int] = []
            levels: list[int] = []
            card.xp_counter.shown.connect(shown.append)
            card.xp_counter.level_reached.connect(levels.append)
            headers = {
                SECRET_HEADER: core.listener.secret,
                "X-Tmux-Pane": pane_id,
                "X-Claude-Pid": str(claude_pid),
            }
            async with aiohttp.ClientSession(headers={SECRET_HEADER: core.listener.secret}) as http:
                for n, row in enumerate(recorded_events()):
                    async with http.post(
                        f"{core.listener.url}/hooks/{row['hook_arg']}",
                        json=row["payload"],
                        headers={**headers, "X-Hook-Id": f"progression-{n}"},
                    ) as reply:
                        assert reply.status == 200, await reply.text()
                persona = core.personas.find_persona_by_session_id(SESSION)
                assert persona is not None and persona.name == persona_name(SESSION)
                assert card.pane.persona is not None and card.pane.persona.id == persona.id

                # The card counts up to the XP the store holds, through a level-up (50 XP).
                await settled_at(card, persona.xp)
                assert persona.xp > 50 and persona.level >= 2
                assert card.xp_text.text() == f"{persona.xp:,} XP"
                assert card.level.text() == f"Lv {persona.level}"
                assert shown == sorted(shown) and shown[-1] == persona.xp
                assert 2 in levels
                assert sum(u.xp_gained for u in updates if u.persona.id == persona.id) == (
                    persona.xp
                )

                # A double click on the card opens the page; it shows what the API says.
                QTest.mouseDClick(card, Qt.MouseButton.LeftButton)
                dialog = shell.window.persona_pages[persona.id]
                assert dialog.isVisible() and dialog.view is not None
                view = dialog.view
                base = f"{core.listener.url}/api/personas/{persona.id}"
                async with http.get(f"{base}/challenges") as reply:
                    challenges = await reply.json()
                async with http.get(base) as reply:
                    api_persona = await reply.json()
                held = [c for c in challenges if c["completed_at"] is None]
                done = [c for c in challenges if c["completed_at"] is not None]
                assert [(r.title.text(), r.count.text()) for r in view.challenge_rows] == [
                    (c["title"], f"{c['progress']} / {c['target']}") for c in held
                ]
                assert sorted(r.title.text() for r in view.completed_rows) == sorted(
                    c["title"] for c in done
                )
                assert any(c["progress"] > 0 for c in held)  # the events moved challenges
                assert [c.title for c in view.badge_chips] == [
                    b["title"] for b in api_persona["badges"]
                ]
                assert {"First commit", "Bug squasher"} <= {c.title for c in view.badge_chips}
                stats = {tile.label.text(): tile.value.text() for tile in view.stat_tiles}
                assert stats["Git commits"] == "1" and stats["Failing runs fixed"] == "1"
                assert view.level.text() == f"Level {api_persona['level']} · {persona.xp:,} XP"
                assert view.chart.points[-1].xp == persona.xp
                assert [label.text() for label in view.session_labels] == [SESSION]

                # The leaderboard, from the window's menu, agrees with the API's.
                shell.window.leaderboard_action.trigger()
                board = shell.window.leaderboard
                assert board is not None and board.isVisible()
                async with http.get(f"{core.listener.url}/api/leaderboard") as reply:
                    ranked = await reply.json()
                assert [(r.entry.rank, r.entry.persona.id, r.xp.text()) for r in board.rows] == [
                    (e["rank"], e["id"], f"{e['xp']:,} XP") for e in ranked
                ]
        finally:
            shell.close()
            await core.stop()

    run_on_qasync(qapp, scenario())


def test_the_real_shell_wires_progression_into_the_bridge(
    qapp: QApplication, tmp_path: Path
) -> None:
    # build_shell is what `claude-rpg` runs: its bridge must serve pages and the board.
    core = CoreApp(Options(port=0, data_dir=tmp_path / "data", tmux_socket=str(tmp_path / "no")))
    shell = build_shell(core)
    try:
        assert isinstance(shell.bridge, CoreBridge)
        updates: list[ProgressUpdate] = []
        shell.bridge.progress_changed.connect(updates.append)
        stem = FIXTURE.stem
        for i, row in enumerate(recorded_events()):
            core.ingest.ingest(incoming(stem, i, row))
        persona = core.personas.find_persona_by_session_id(SESSION)
        assert persona is not None and persona.xp > 0
        assert updates and updates[-1].persona.xp == persona.xp
        page = shell.window.open_persona_page(persona.id)
        assert page.view is not None and page.view.page.persona.xp == persona.xp
        assert [c.title for c in page.view.page.challenges] == [
            c.title for c in core.personas.challenges(persona.id) or []
        ]
        board = shell.window.show_leaderboard()
        assert [r.entry.persona.id for r in board.rows] == [persona.id]
    finally:
        shell.close()
        core.db.close()
