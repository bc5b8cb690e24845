"""The pane actions menu on cards and in the tray, driving a real ActionService on real tmux."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from desktop.core.actions import ActionService
from desktop.core.model import PaneState, Status
from desktop.core.panes import PaneRegistry
from desktop.core.sessions import SessionTracker
from desktop.core.tmux.client import TmuxClient
from desktop.core.tmux.poller import PanePoller
from desktop.store.db import Database
from desktop.ui.ansi import ansi_to_html
from desktop.ui.pane_menu import PaneActionMenu, attach_pane_actions
from desktop.ui.tray import TrayController
from desktop.ui.window import MainWindow
from tests.support.claude_cli import CLAUDE_VERSION
from tests.support.private_tmux import PrivateTmux
from tests.ui.fakes import FakeBridge, FakeTrayIcon


def run_now(coro: Coroutine[Any, Any, None]) -> None:
    """The tests' stand-in for the qasync loop: run the action to its end, right away."""
    asyncio.run(coro)


@dataclasses.dataclass
class Core:
    """The real core parts the menu drives: registry, poller, action service."""

    tmux: PrivateTmux
    registry: PaneRegistry
    poller: PanePoller
    actions: ActionService

    def poll(self) -> None:
        asyncio.run(self.poller.poll_once())

    def pane(self, pane_id: str) -> PaneState:
        found = self.registry.get(pane_id)
        assert found is not None
        return found

    def screen(self, pane_id: str) -> str:
        return self.tmux.capture(pane_id)


@pytest.fixture
def core(tmp_path: Path) -> Iterator[Core]:
    tmux = PrivateTmux().start()
    db = Database(tmp_path / "claude-rpg.sqlite3")
    registry = PaneRegistry()
    client = TmuxClient(str(tmux.socket_path))
    poller = PanePoller(client, SessionTracker(db, registry).apply_poll, interval=3600)
    try:
        yield Core(
            tmux, registry, poller, ActionService(client, registry, poller.run_on_tmux_thread)
        )
    finally:
        asyncio.run(poller.stop())
        db.close()
        tmux.kill()


@pytest.fixture
def echo_pane(core: Core, tmp_path: Path) -> str:
    """A pane the poller takes for Claude (cat named like claude's native binary) that shows
    each byte it reads, once."""
    fake = tmp_path / "bin" / CLAUDE_VERSION
    fake.parent.mkdir()
    shutil.copy(shutil.which("cat") or "/bin/cat", fake)
    pane = core.tmux.new_window(
        [
            "/bin/sh",
            "-c",
            f"printf '\\033[31mred\\033[0m plain\\n'; stty -echo -icanon; exec {fake}",
        ]
    )
    deadline = time.monotonic() + 5
    while core.tmux.pane_info(pane)["pane_current_command"] != CLAUDE_VERSION:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    core.poll()
    return pane


def entries(menu: QMenu) -> dict[str, bool]:
    return {a.text(): a.isEnabled() for a in menu.actions() if a.text()}


def test_the_menu_offers_what_makes_sense_now(qtbot: QtBot, core: Core, echo_pane: str) -> None:
    menus = PaneActionMenu(core.actions, spawn=run_now)
    idle = dataclasses.replace(core.pane(echo_pane), status=Status.IDLE)
    assert entries(menus.menu_for(idle)) == {
        "Jump to pane": True,
        "Send prompt…": True,
        "Interrupt (Esc)": True,
        "Approve once": False,
        "Approve always": False,
        "Deny": False,
        "Preview terminal…": True,
        "New Claude in a folder…": True,
    }
    asking = dataclasses.replace(idle, status=Status.NEEDS_INPUT)
    offered = entries(menus.menu_for(asking))
    assert offered["Approve once"] and offered["Deny"] and not offered["Send prompt…"]
    ended = dataclasses.replace(idle, status=Status.ENDED, alive=False)
    offered = entries(menus.menu_for(ended))
    assert not offered["Send prompt…"] and not offered["Interrupt (Esc)"]


def test_send_prompt_from_the_dialog_types_it_into_the_pane(
    qtbot: QtBot, core: Core, echo_pane: str
) -> None:
    menus = PaneActionMenu(core.actions, spawn=run_now)
    failures: list[str] = []
    menus.failed.connect(failures.append)
    dialog = menus.ask_prompt(core.pane(echo_pane))
    qtbot.addWidget(dialog)
    dialog.text.setPlainText('--fix the; "tests"\nthen stop;')
    dialog.accept()
    assert failures == []
    assert core.screen(echo_pane).splitlines()[:3] == [
        "red plain",
        '--fix the; "tests"',
        "then stop;",
    ]
    assert menus.dialogs == []


def test_a_failed_action_reaches_the_status_bar_as_a_sentence(
    qtbot: QtBot, core: Core, echo_pane: str
) -> None:
    bridge = FakeBridge([core.pane(echo_pane)])
    window = MainWindow(bridge, hide_on_close=False)
    qtbot.addWidget(window)
    menus = attach_pane_actions(core.actions, window, window.grid.canvas, window.grid.ordered_cards)
    menus.spawn = run_now
    core.tmux.kill_pane(echo_pane)
    menu = menus.menu_for(core.pane(echo_pane))
    next(a for a in menu.actions() if a.text() == "Interrupt (Esc)").trigger()
    where = f"pane {core.pane(echo_pane).target} ({echo_pane})"
    assert (
        window.statusBar().currentMessage() == f"{where} is gone: it was closed. Nothing was sent."
    )


# A popup menu grabs the keyboard, which the offscreen platform cannot do (xcb can); this
# marker replaces the suite's, so it repeats the suite's offscreen noise too.
@pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)\(?\)?"
)
def test_right_click_on_a_card_opens_its_pane_menu(
    qtbot: QtBot, core: Core, echo_pane: str
) -> None:
    bridge = FakeBridge([core.pane(echo_pane)])
    window = MainWindow(bridge, hide_on_close=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    menus = attach_pane_actions(core.actions, window, window.grid.canvas, window.grid.ordered_cards)
    card = window.grid.card_for(echo_pane)
    assert card is not None and menus.card_menus is not None
    inside = QPoint(20, 20)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, inside, card.mapToGlobal(inside))
    QApplication.sendEvent(card, event)
    opened = menus.card_menus.last_menu
    assert opened is not None and core.pane(echo_pane).target in opened.title()
    assert "Jump to pane" in entries(opened)
    opened.close()


def test_the_tray_gives_each_pane_its_actions(qtbot: QtBot, core: Core, echo_pane: str) -> None:
    bridge = FakeBridge([core.pane(echo_pane)])
    tray = TrayController(bridge, FakeTrayIcon(), lambda: True)  # type: ignore[arg-type]
    window = MainWindow(bridge, hide_on_close=False)
    qtbot.addWidget(window)
    attach_pane_actions(
        core.actions,
        window,
        window.grid.canvas,
        window.grid.ordered_cards,
        tray_menu=tray.menu,
        tray_panes=lambda: list(tray.panes.values()),
    )
    tray.menu.aboutToShow.emit()
    [entry] = tray.pane_actions()
    submenu = entry.menu()
    assert submenu is not None
    assert list(entries(submenu))[:3] == ["Show card", "Jump to pane", "Send prompt…"]
    with qtbot.waitSignal(tray.pane_requested) as shown:
        next(a for a in submenu.actions() if a.text() == "Show card").trigger()
    assert shown.args == [echo_pane]


def test_the_preview_shows_the_screen_with_its_colours(
    qtbot: QtBot, core: Core, echo_pane: str
) -> None:
    menus = PaneActionMenu(core.actions, spawn=run_now)
    dialog = menus.open_preview(core.pane(echo_pane))
    qtbot.addWidget(dialog)
    assert dialog.shown_text is not None and "\x1b[31mred" in dialog.shown_text
    assert "red plain" in dialog.view.toPlainText()
    core.tmux.send_text(echo_pane, "more output")
    dialog.refresh()  # what the timer does twice a second
    assert "more output" in dialog.view.toPlainText()
    core.tmux.kill_pane(echo_pane)
    dialog.refresh()
    assert not dialog.timer.isActive()
    assert "is gone" in dialog.message.text() and "preview stopped" in dialog.message.text()
    dialog.close()


def test_ansi_to_html() -> None:
    html = ansi_to_html("\x1b[1;31mbold red\x1b[0m a<b & \x1b[38;5;208mo\x1b[38;2;1;2;3mx\x1b[39m")
    assert '<span style="color:#cd3131;font-weight:bold">bold&nbsp;red</span>' in html
    assert "a&lt;b&nbsp;&amp;" in html
    assert 'color:#ff8700">o<' in html and 'color:#010203">x<' in html
    assert ansi_to_html("\x1b]0;title\x07plain\nline") == "plain<br>line"
    assert "background-color:#d4d4d4" in ansi_to_html("\x1b[7mrev\x1b[27m")
