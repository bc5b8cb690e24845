"""The leaderboard: personas in the core's order, reachable from the window and the tray."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.core.model import Status
from desktop.ui.leaderboard import EMPTY_TEXT, MEDALS, LeaderboardDialog
from desktop.ui.shell import DesktopShell
from desktop.ui.window import MainWindow
from tests.ui.fakes import (
    FakeBridge,
    FakeTrayIcon,
    RecordingNotifications,
    entry,
    leveled,
    page_for,
    pane,
    persona,
)

OTTER = leveled(persona("s-otter", "Brave Otter"), 1240)
HERON = leveled(persona("s-heron", "Clever Heron"), 420)
RAVEN = leveled(persona("s-raven", "Quick Raven"), 420)
WREN = leveled(persona("s-wren", "Patient Wren"), 35)


def board_rows(board: LeaderboardDialog) -> list[tuple[str, str, str]]:
    return [(str(r.rank.rank), r.name.text(), r.xp.text()) for r in board.rows]


@pytest.fixture
def ranked(bridge: FakeBridge) -> FakeBridge:
    # The core ranks (equal XP, equal rank); the board shows what it is given, in that order.
    bridge.board = [entry(1, OTTER, 6), entry(2, HERON, 3), entry(2, RAVEN, 2), entry(4, WREN)]
    return bridge


def test_the_view_menu_opens_the_board_in_rank_order(
    qtbot: QtBot, ranked: FakeBridge, window: MainWindow
) -> None:
    ranked.put(pane(1, Status.WORKING, HERON))
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    assert "Leaderboard" in [a.text() for a in menus["&View"].actions()]  # type: ignore[union-attr]
    window.leaderboard_action.trigger()
    board = window.leaderboard
    assert board is not None
    qtbot.waitExposed(board)
    assert not board.isModal() and not board.empty.isVisible()
    assert board_rows(board) == [
        ("1", "Brave Otter", "1,240 XP"),
        ("2", "Clever Heron", "420 XP"),
        ("2", "Quick Raven", "420 XP"),
        ("4", "Patient Wren", "35 XP"),
    ]
    otter, heron, raven, wren = board.rows
    assert raven.detail.text() == "Level 4"  # same XP, same rank, not on a pane
    assert otter.detail.text() == "Level 7"  # 1,050..1,400 XP
    assert heron.detail.text() == "Level 4 · in work:1.0"  # on a pane right now
    assert otter.badges.count == 6 and wren.badges.count == 0
    assert otter.bar.fraction == (1240 - 1050) / (1400 - 1050)
    assert [r.rank.rank in MEDALS for r in board.rows] == [True, True, True, False]
    assert otter.avatar.seed == OTTER.avatar_seed
    assert "rank 1: Brave Otter" in otter.accessibleName()


def test_the_board_reorders_when_progress_moves(
    qtbot: QtBot, ranked: FakeBridge, window: MainWindow
) -> None:
    board = window.show_leaderboard()
    qtbot.waitExposed(board)
    widgets = list(board.rows)
    wren = leveled(WREN, 2000)
    ranked.board = [entry(1, wren, 1), entry(2, OTTER, 6), entry(3, HERON, 3), entry(3, RAVEN, 2)]
    reads = ranked.board_reads
    ranked.progress(page_for(wren))
    qtbot.waitUntil(lambda: board_rows(board)[0] == ("1", "Patient Wren", "2,000 XP"))
    assert ranked.board_reads == reads + 1
    assert [r.name.text() for r in board.rows] == [
        "Patient Wren",
        "Brave Otter",
        "Clever Heron",
        "Quick Raven",
    ]
    assert board.rows == widgets  # the same row widgets, showing their new places
    ranked.board = ranked.board[:2]
    board.refresh()
    assert board.rows == widgets[:2] and board_rows(board)[1] == ("2", "Brave Otter", "1,240 XP")


def test_a_closed_board_reads_again_only_when_shown(
    qtbot: QtBot, ranked: FakeBridge, window: MainWindow
) -> None:
    board = window.show_leaderboard()
    board.close()
    reads = ranked.board_reads
    ranked.board = [entry(1, HERON)]
    ranked.progress(page_for(HERON))
    assert ranked.board_reads == reads and not board.refresher.timer.isActive()
    board.show()
    assert board_rows(board) == [("1", "Clever Heron", "420 XP")]


def test_double_clicking_a_row_opens_the_personas_page(
    qtbot: QtBot, ranked: FakeBridge, window: MainWindow
) -> None:
    ranked.pages[RAVEN.id] = page_for(RAVEN)
    board = window.show_leaderboard()
    qtbot.waitExposed(board)
    raven = board.rows[2]
    with qtbot.waitSignal(board.persona_activated) as activated:
        QTest.mouseDClick(raven, Qt.MouseButton.LeftButton)
    assert activated.args == [RAVEN.id]
    page = window.persona_pages[RAVEN.id]
    assert page.isVisible() and page.view is not None
    assert page.view.name.text() == "Quick Raven"


def test_an_empty_board_says_where_personas_come_from(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    board = window.show_leaderboard()
    qtbot.waitExposed(board)
    assert board.rows == [] and board.empty.isVisible() and not board.scroll_area.isVisible()
    assert board.empty.text() == EMPTY_TEXT and "claude-rpg hooks install" in EMPTY_TEXT


@pytest.fixture
def shell(qtbot: QtBot, ranked: FakeBridge) -> Iterator[DesktopShell]:
    built = DesktopShell(ranked, FakeTrayIcon(), [RecordingNotifications()])
    qtbot.addWidget(built.window)
    built.start()
    yield built
    built.close()


def test_the_tray_menu_opens_the_board_even_with_the_window_hidden(
    qtbot: QtBot, shell: DesktopShell
) -> None:
    assert shell.tray is not None
    shell.window.hide()
    shell.tray.menu.aboutToShow.emit()
    entry_action = next(a for a in shell.tray.menu.actions() if a.text() == "Leaderboard")
    entry_action.trigger()
    board = shell.window.leaderboard
    assert board is not None
    qtbot.waitExposed(board)
    assert board.isVisible() and len(board.rows) == 4
