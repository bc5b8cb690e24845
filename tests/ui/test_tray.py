"""The tray controller with a fake tray icon: icon shape by state, tooltip, menu, clicks."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from desktop.core.model import PaneState, Status
from desktop.core.remote.heading import HostHeading
from desktop.ui.shell import DesktopShell
from desktop.ui.tray import Overall, overall_state, tooltip_text
from tests.ui.fakes import FakeBridge, FakeTrayIcon, RecordingNotifications, pane, persona


@pytest.fixture
def tray_icon() -> FakeTrayIcon:
    return FakeTrayIcon()


@pytest.fixture
def shell(qtbot: QtBot, bridge: FakeBridge, tray_icon: FakeTrayIcon) -> Iterator[DesktopShell]:
    s = DesktopShell(bridge, tray_icon, [RecordingNotifications()])
    qtbot.addWidget(s.window)
    s.start()
    qtbot.waitExposed(s.window)
    yield s
    s.close()


def test_overall_state_by_priority() -> None:
    who = persona("s", "A")
    assert overall_state([]) is Overall.NONE
    assert (
        overall_state([dataclasses.replace(pane(1, Status.ENDED, who), alive=False)])
        is Overall.NONE
    )
    assert overall_state([pane(1, Status.IDLE, who), pane(2, Status.UNKNOWN)]) is Overall.IDLE
    assert overall_state([pane(1, Status.IDLE, who), pane(2, Status.WORKING)]) is Overall.WORKING
    busy = [pane(1, Status.WORKING, who), pane(2, Status.NEEDS_INPUT)]
    assert overall_state(busy) is Overall.NEEDS_INPUT
    assert overall_state([pane(1, Status.ERROR, who)]) is Overall.NEEDS_INPUT


def test_tooltip_counts() -> None:
    panes = [pane(1, Status.WORKING), pane(2, Status.WORKING), pane(3, Status.NEEDS_INPUT)]
    assert tooltip_text(panes) == "claude-rpg: 1 needs input · 2 working"
    assert "no Claude sessions" in tooltip_text([])


def test_icon_changes_shape_only_when_the_overall_state_changes(
    bridge: FakeBridge, tray_icon: FakeTrayIcon, shell: DesktopShell
) -> None:
    assert shell.tray is not None
    assert shell.tray.state is Overall.NONE
    assert tray_icon.visible
    set_before = tray_icon.icons_set
    bridge.put(pane(1, Status.IDLE, persona("s1", "A")))
    assert shell.tray.state is Overall.IDLE
    bridge.put(pane(2, Status.IDLE, persona("s2", "B")))
    assert tray_icon.icons_set == set_before + 1  # same state: the icon is left alone
    bridge.update("%2", status=Status.WORKING)
    assert shell.tray.state is Overall.WORKING
    bridge.update("%1", status=Status.NEEDS_INPUT)
    assert shell.tray.state is Overall.NEEDS_INPUT
    assert tray_icon.tooltip == "claude-rpg: 1 needs input · 1 working"
    assert tray_icon.icons_set == set_before + 3
    assert tray_icon.icon is not None and not tray_icon.icon.isNull()


def test_menu_lists_every_pane_when_opened(
    bridge: FakeBridge, tray_icon: FakeTrayIcon, shell: DesktopShell
) -> None:
    assert shell.tray is not None and tray_icon.menu is shell.tray.menu
    bridge.put(pane(1, Status.WORKING, persona("s1", "Brave Otter")))
    bridge.put(pane(2, Status.UNKNOWN))
    shell.tray.menu.aboutToShow.emit()
    labels = [a.text() for a in shell.tray.pane_actions()]
    assert labels == [
        "Brave Otter — working (work:1.0)",
        "Claude (initializing…) — unknown (work:2.0)",
    ]
    others = [a.text() for a in shell.tray.menu.actions() if not a.data() and a.text()]
    assert others == ["Leaderboard", "Hide window", "Quit"]
    bridge.update("%1", status=Status.NEEDS_INPUT)
    bridge.remove("%2")
    shell.tray.menu.aboutToShow.emit()
    assert [a.text() for a in shell.tray.pane_actions()] == ["Brave Otter — needs input (work:1.0)"]


def test_menu_entry_shows_the_window_and_highlights_the_card(
    qtbot: QtBot, bridge: FakeBridge, shell: DesktopShell
) -> None:
    assert shell.tray is not None
    bridge.put(pane(1, Status.IDLE, persona("s1", "A")))
    bridge.put(pane(2, Status.NEEDS_INPUT, persona("s2", "B")))
    shell.window.hide()
    shell.tray.menu.aboutToShow.emit()
    entry = next(a for a in shell.tray.pane_actions() if a.data() == "%2")
    entry.trigger()
    qtbot.waitExposed(shell.window)
    assert shell.window.isVisible()
    assert shell.window.grid.selected_pane_id == "%2"
    card = shell.window.grid.card_for("%2")
    assert card is not None and card.selected and card.flash > 0


def test_left_click_toggles_and_close_hides(
    qtbot: QtBot, tray_icon: FakeTrayIcon, shell: DesktopShell
) -> None:
    assert shell.window.isVisible()
    tray_icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    assert not shell.window.isVisible()
    tray_icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    assert shell.window.isVisible()
    tray_icon.activated.emit(QSystemTrayIcon.ActivationReason.Context)  # the menu, no toggle
    assert shell.window.isVisible()
    with qtbot.assertNotEmitted(shell.window.quit_requested):
        shell.window.close()
    assert not shell.window.isVisible()  # hidden to the tray, not quit
    assert shell.tray is not None
    shell.tray.menu.aboutToShow.emit()
    assert shell.tray.toggle_action.text() == "Show window"
    with qtbot.waitSignal(shell.tray.quit_requested):
        shell.tray.quit_action.trigger()


def test_without_a_tray_the_window_opens_and_closing_it_quits(
    qtbot: QtBot, bridge: FakeBridge
) -> None:
    shell = DesktopShell(bridge, None, [RecordingNotifications()])
    qtbot.addWidget(shell.window)
    shell.start(show_window=False)  # no tray: it opens anyway
    qtbot.waitExposed(shell.window)
    assert shell.tray is None
    bridge.put(pane(1, Status.WORKING, persona("s1", "A")))
    assert shell.window.grid.card_for("%1") is not None
    with qtbot.waitSignal(shell.window.quit_requested):
        shell.window.close()


def _on_host(state: PaneState, host: str) -> PaneState:
    return dataclasses.replace(state, pane_id=f"{host}:{state.pane_id}", host=host)


def test_the_tray_menu_lists_remote_panes_under_their_host(
    bridge: FakeBridge, tray_icon: FakeTrayIcon, shell: DesktopShell
) -> None:
    assert shell.tray is not None
    bridge.put(_on_host(pane(1, Status.WORKING, persona("r1", "Keen Owl")), "devbox"))
    bridge.put(pane(3, Status.IDLE, persona("s3", "Brave Otter")))
    bridge.put(_on_host(pane(2, Status.IDLE, persona("r2", "Calm Heron")), "cloud-vm"))
    shell.tray.menu.aboutToShow.emit()
    entries = [
        a.text() if a.data() else f"# {a.text()}"
        for a in shell.tray.menu.actions()
        if a.data() or a.isSeparator()
    ]
    assert entries[:5] == [
        "Brave Otter — idle (work:3.0)",
        "# on cloud-vm",
        "Calm Heron — idle (cloud-vm · work:2.0)",
        "# on devbox",
        "Keen Owl — working (devbox · work:1.0)",
    ]


def test_the_tray_menu_says_a_host_problem_on_its_heading(
    bridge: FakeBridge, tray_icon: FakeTrayIcon, shell: DesktopShell
) -> None:
    assert shell.tray is not None
    bridge.put(_on_host(pane(1, Status.UNKNOWN, persona("r1", "Keen Owl")), "devbox"))
    auth = "devbox: ssh could not log in to devbox (authentication failed); ..."
    missing = "bare: claude-rpg is not installed on bare (or not on the PATH ...)"
    bridge.set_hosts(
        HostHeading("bare", "claude-rpg not installed there", missing),
        HostHeading("devbox", "authentication failed", auth),
        HostHeading("fine"),
    )
    shell.tray.menu.aboutToShow.emit()
    sections = [a for a in shell.tray.menu.actions() if a.isSeparator() and a.text()]
    assert [(a.text(), a.toolTip()) for a in sections] == [
        ("on bare — claude-rpg not installed there", missing),
        ("on devbox — authentication failed", auth),
    ]
    assert [a.data() for a in shell.tray.pane_actions()] == ["devbox:%1"]
