"""Grouping and the search bar, with the real window fed by a fake bridge."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.app import CoreApp, Options
from desktop.config import SettingsStore
from desktop.core.model import PaneProject, PaneState, Status
from desktop.core.projects.gitstate import GitState
from desktop.ui.app_actions import attach_app_actions
from desktop.ui.grid import GroupHeader, HostProblem
from desktop.ui.shell import DesktopShell
from desktop.ui.window import MainWindow
from tests.ui.fakes import FakeBridge, pane, persona


def in_project(state: PaneState, name: str | None, branch: str = "main") -> PaneState:
    if name is None:
        return state
    project = PaneProject(
        id=f"id-{name}",
        name=name,
        root=f"/src/{name}",
        worktree=f"/src/{name}",
        git=GitState(branch=branch),
    )
    return dataclasses.replace(state, project=project, cwd=f"/src/{name}")


def fill(bridge: FakeBridge) -> None:
    """Six panes: three in "website", two in "api-server", one in no project; two sessions."""
    rows = [
        (1, "website", "work", "Brave Otter", Status.IDLE),
        (2, "api-server", "work", "Keen Owl", Status.WORKING),
        (3, "website", "play", "Calm Heron", Status.IDLE),
        (4, None, "play", "Quick Fox", Status.IDLE),
        (5, "api-server", "play", "Wise Crow", Status.IDLE),
        (6, "website", "work", "Bold Lynx", Status.NEEDS_INPUT),
    ]
    for n, project, session, name, status in rows:
        who = persona(f"s{n}", name)
        bridge.put(in_project(pane(n, status, who, session=session), project))


def layout(window: MainWindow) -> list[str]:
    """The flow as shown: headings as `# title`, cards as pane ids (hidden ones left out)."""
    out = []
    for i in range(window.grid.flow.count()):
        item = window.grid.flow.itemAt(i)
        widget = item.widget() if item is not None else None
        if widget is None or widget.isHidden():
            continue
        if isinstance(widget, GroupHeader):
            out.append(f"# {widget.text()}")
        elif isinstance(widget, HostProblem):
            out.append(f"- {widget.text()}")
        else:
            out.append(widget.pane_id)  # type: ignore[attr-defined]
    return out


def test_cards_group_by_project_then_session_then_flat(
    bridge: FakeBridge, window: MainWindow
) -> None:
    fill(bridge)
    assert layout(window) == [
        "# api-server", "%5", "%2",
        "# website", "%3", "%1", "%6",
        "# No project", "%4",
    ]  # fmt: skip
    cards = {c.pane_id: c for c in window.grid.ordered_cards()}

    window.set_grouping("session")
    assert layout(window) == [
        "# tmux session play", "%3", "%4", "%5",
        "# tmux session work", "%1", "%2", "%6",
    ]  # fmt: skip
    checked = [a.data() for a in window.grouping_actions.actions() if a.isChecked()]
    assert checked == ["session"]
    window.set_grouping("flat")
    assert layout(window) == ["%3", "%4", "%5", "%1", "%2", "%6"]
    # The very same card widgets moved: nothing was rebuilt.
    assert {c.pane_id: c for c in window.grid.ordered_cards()} == cards

    # A pane that moves to another repository moves to that group.
    window.set_grouping("project")
    moved = bridge.panes()[3]
    bridge.put(in_project(moved, "api-server"))
    assert layout(window)[:4] == ["# api-server", "%4", "%5", "%2"]
    assert "# No project" not in layout(window)


def test_search_filters_as_you_type_keeps_focus_and_selection_and_esc_clears(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    fill(bridge)
    window.grid.select("%1")
    window.search_action.trigger()
    field = window.search.field
    qtbot.waitUntil(field.hasFocus)

    qtbot.keyClicks(field, "web")
    assert layout(window) == ["# website", "%6", "%3", "%1"]  # needs input first
    assert field.hasFocus()
    assert window.search.count.text() == "3 of 6"
    assert window.grid.selected_pane_id == "%1" and window.grid.card_for("%1").selected  # type: ignore[union-attr]

    qtbot.keyClicks(field, " otter")  # every word must match: name and project
    assert layout(window) == ["# website", "%1"]
    field.clear()
    qtbot.keyClicks(field, "needs input")
    assert layout(window) == ["# website", "%6"]
    field.clear()
    qtbot.keyClicks(field, "play:1")  # the tmux target... of no pane
    assert layout(window) == ["# No pane matches “play:1”."]
    field.clear()
    qtbot.keyClicks(field, "play:3")  # a target
    assert layout(window) == ["# website", "%3"]
    field.clear()
    qtbot.keyClicks(field, "no project")
    assert layout(window) == ["# No project", "%4"]

    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert not window.search.isVisible() and field.text() == ""
    assert len(layout(window)) == 9 and not window.grid.no_match.isVisible()
    assert window.grid.selected_pane_id == "%1" and window.grid.card_for("%1").selected  # type: ignore[union-attr]


def test_search_finds_branches_and_new_panes_follow_the_filter(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    fill(bridge)
    bridge.put(
        in_project(pane(7, Status.IDLE, persona("s7", "Shy Mole")), "api-server", "fix/login")
    )
    window.search.open()
    qtbot.keyClicks(window.search.field, "fix/login")
    assert layout(window) == ["# api-server", "%7"]
    bridge.put(
        in_project(pane(8, Status.IDLE, persona("s8", "Red Kite")), "api-server", "fix/login-2")
    )
    assert layout(window) == ["# api-server", "%7", "%8"]
    bridge.put(in_project(pane(9, Status.IDLE, persona("s9", "Old Yak")), "website"))
    assert layout(window) == ["# api-server", "%7", "%8"]  # no match: not shown


def test_the_grouping_is_remembered_in_the_settings(
    qtbot: QtBot, tmp_path: Path, isolated_dirs: Path
) -> None:
    core = CoreApp(Options(port=4011, data_dir=tmp_path / "data"))
    try:
        shell = DesktopShell(FakeBridge(), None, [])
        qtbot.addWidget(shell.window)
        actions = attach_app_actions(core, shell)
        assert shell.window.grid.grouping == "project"
        session = next(a for a in shell.window.grouping_actions.actions() if a.data() == "session")
        session.trigger()
        assert actions.store.current.grouping == "session"
        assert SettingsStore().current.grouping == "session"  # read again from the file

        again = DesktopShell(FakeBridge(), None, [])
        qtbot.addWidget(again.window)
        attach_app_actions(core, again)
        assert again.window.grid.grouping == "session"
    finally:
        core.db.close()
