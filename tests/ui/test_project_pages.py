"""The project page, the Projects list and the Today view, on the real bridge over a real
database of the recorded events replayed into real git repositories."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from desktop.core.model import PaneState, Status
from desktop.core.projects.service import ProjectService
from desktop.core.projects.tracker import ProjectTracker
from desktop.ui.bridge import CoreBridge
from desktop.ui.widgets import ElidedLabel
from desktop.ui.window import MainWindow
from tests.core.progression_events import Core, all_rows, incoming
from tests.core.test_report import GOLDEN_MD, NOW, RECORDED_CWD, REPO_OF, moved
from tests.support.git_repos import make_repo


@pytest.fixture
def world(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[MainWindow, Core, dict[str, Path]]]:
    repos = {name: make_repo(tmp_path / name) for name in set(REPO_OF.values())}
    core = Core(tmp_path / "db.sqlite3")
    for stem, i, row in all_rows():
        payload = moved(row["payload"], RECORDED_CWD, str(repos[REPO_OF[stem]]))
        core.ingest.ingest(dataclasses.replace(incoming(stem, i, row), payload=payload))
    tracker = ProjectTracker(core.registry)
    service = ProjectService(tracker, core.registry, core.db, clock=lambda: NOW)
    bridge = CoreBridge(
        core.registry, core.ingest, progression=core.progression, project_service=service
    )
    window = MainWindow(bridge, hide_on_close=False)
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    qtbot.waitExposed(window)
    yield window, core, repos
    window.close()
    core.close()


def test_projects_list_and_a_project_page_with_its_team(
    qtbot: QtBot, world: tuple[MainWindow, Core, dict[str, Path]]
) -> None:
    window, _core, _repos = world
    projects = window.show_projects()
    # The log is read off the loop: the list fills when the read is in.
    qtbot.waitUntil(lambda: len(projects.rows) == 2)
    assert [row.name.text() for row in projects.rows] == ["website", "api-server"]  # by XP
    api_row = projects.rows[1]
    assert api_row.numbers.text() == "108 XP · 1 commit · 2 test runs · streak 1 day"
    qtbot.mouseDClick(api_row, Qt.MouseButton.LeftButton)
    page = window.project_pages[api_row.project_id]
    qtbot.waitUntil(lambda: page.content is not None)
    assert page.isVisible() and page.windowTitle() == "api-server — claude-rpg"
    content = page.content
    assert content is not None
    tiles = {t.label.text(): t.value.text() for t in content.stat_tiles}
    assert tiles["Commits"] == "1" and tiles["Test runs"] == "2" and tiles["Turns"] == "6"
    assert tiles["Current streak"] == "1 day" and tiles["XP earned here"] == "108"
    [member] = content.team_rows
    assert member.name.text() == "Eager Urchin" and member.amount.text() == "108 XP · 100%"
    assert [label.text() for label in content.tool_labels] == [
        "Bash: 3 calls",
        "Write: 2 calls",
        "Edit: 1 call",
    ]
    [session] = content.session_labels
    assert session.text().startswith("Eager Urchin · last active ")
    assert content.worktrees == []  # no pane there now: no live git state to show

    # The team row leads to the persona's page.
    qtbot.mouseDClick(member, Qt.MouseButton.LeftButton)
    assert window.persona_pages[member.persona_id].isVisible()


def test_a_card_leads_to_its_project_page_with_live_git_state(
    qtbot: QtBot, world: tuple[MainWindow, Core, dict[str, Path]]
) -> None:
    window, core, repos = world
    (repos["website"] / "draft.md").write_text("new\n")
    core.registry.put(PaneState("%7", "work:7.0", str(repos["website"]), status=Status.IDLE))
    tracker = window.bridge.project_service.tracker  # type: ignore[attr-defined]

    async def scan() -> None:
        await tracker.scan_now()
        await tracker.stop()

    asyncio.run(scan())
    window.bridge.flush_panes()  # type: ignore[attr-defined]
    card = window.grid.card_for("%7")
    assert card is not None and card.project.text() == "website · main"
    assert card.git_marker.text() == "●" and card.git_marker.isVisible()
    window.grid.select("%7")
    assert window.project_page_action.isEnabled()
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton, pos=card.project.geometry().center())
    [page] = window.project_pages.values()
    qtbot.waitUntil(lambda: page.content is not None)
    assert page.content is not None and page.content.name.text() == "website"
    assert [w.text() for w in page.content.worktrees] == ["main worktree · main ●"]
    assert len(page.content.team_rows) == 9


def test_today_shows_the_report_and_copies_it_as_markdown(
    qtbot: QtBot, world: tuple[MainWindow, Core, dict[str, Path]]
) -> None:
    window, _core, _repos = world
    window.today_action.trigger()
    today = window.today
    assert today is not None and today.isVisible()
    shown = today.text.toPlainText()
    assert "By project" in shown and "api-server" in shown and "Eager Urchin" in shown
    assert today.copy_markdown() == GOLDEN_MD.read_text()
    assert QGuiApplication.clipboard().text() == GOLDEN_MD.read_text()
    assert today.copied.text() == "Copied."
    today.days.setValue(3)
    assert today.report is not None and today.report.days == 3
    assert today.markdown.startswith("# claude-rpg report: 2023-11-12 to 2023-11-14 (3 days)")


def test_the_log_is_read_off_the_loop_and_the_page_says_so_meanwhile(
    qtbot: QtBot, world: tuple[MainWindow, Core, dict[str, Path]]
) -> None:
    window, _core, _repos = world
    service = window.bridge.project_service  # type: ignore[attr-defined]
    gate = threading.Event()
    real_read = service.read_stats
    readers: list[str] = []

    def held_read() -> Any:
        readers.append(threading.current_thread().name)
        gate.wait(10)  # the real read, held until the test has looked at the window
        return real_read()

    service.read_stats = held_read
    projects = window.show_projects()  # returns at once: the read waits on its own thread
    assert not window.bridge.projects_known
    assert [w.text() for w in projects.findChildren(ElidedLabel)] == ["Reading the log…"]
    gate.set()
    qtbot.waitUntil(lambda: len(projects.rows) == 2)
    assert readers and all(name.startswith("project-stats") for name in readers)
