"""Claude's and its tools' words, folder and tmux names show exactly as written on every surface.

Qt renders a tooltip or an AutoText label as HTML when the text looks like rich text, and a
menu takes `&` as a shortcut marker. Each surface is checked with what Qt would show for the
text it was given (the same rules Qt applies), for text carrying a tag, an image and an entity.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from desktop.config import SettingsStore
from desktop.core.actions import ActionError
from desktop.core.model import Status
from desktop.core.progression.views import SessionLink
from desktop.paths import DataPaths
from desktop.ui.app_actions import AppActions
from desktop.ui.first_run import FirstRunPanel
from desktop.ui.leaderboard import LeaderboardDialog
from desktop.ui.page_parts import BadgeChip, ChallengeRow
from desktop.ui.pane_menu import PaneActionMenu, PromptDialog
from desktop.ui.persona_page import PersonaPageView
from desktop.ui.preview import PreviewDialog
from desktop.ui.settings_dialog import SettingsDialog
from desktop.ui.tray import TrayController
from desktop.ui.window import MainWindow
from tests.support.app_process import free_port
from tests.ui.fakes import FakeBridge, FakeTrayIcon, challenge, entry, page_for, pane, persona

UNTRUSTED = (
    'Bash: echo "<b>hi</b>"',
    "<img src=file:///etc/passwd> look",
    "Tom &amp; Jerry & co",
)


def shown(text: str, text_format: Qt.TextFormat = Qt.TextFormat.AutoText) -> str:
    """What Qt shows for a label's or tooltip's text: rich text if the format says so or,
    for AutoText (labels, tooltips), if Qt guesses it is."""
    rich = text_format == Qt.TextFormat.RichText or (
        text_format == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text)
    )
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def label_shows(label: QLabel) -> str:
    return shown(label.text(), label.textFormat())


def tooltip_shows(widget: QWidget) -> str:
    return shown(widget.toolTip())


def menu_shows(text: str) -> str:
    """A menu entry's words: `&x` marks x as the shortcut, `&&` is one `&`."""
    return re.sub(r"&(.)", r"\1", text)


@pytest.fixture(params=UNTRUSTED, ids=["tag", "img", "entity"])
def text(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_card_shows_activity_folder_and_tmux_target_as_written(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow, text: str
) -> None:
    who = persona("s1", f"Otter {text}")
    bridge.put(
        pane(1, Status.WORKING, who, cwd=f"/home/dev/{text}", detail=text, session=f"w{text}")
    )
    card = window.grid.card_for("%1")
    assert card is not None
    assert card.activity.text() == text
    assert tooltip_shows(card.activity) == text
    # The folder, then (in no repository) a line that says so.
    assert tooltip_shows(card.project).splitlines()[0] == f"/home/dev/{text}"
    assert label_shows(card.target) == f"w{text}:1.0"
    assert tooltip_shows(card.name) == f"Otter {text}"
    assert tooltip_shows(card.avatar) == f"Otter {text} (persona {who.id})"


def test_the_tray_menu_shows_each_pane_as_written(qtbot: QtBot, text: str) -> None:
    bridge = FakeBridge([pane(1, Status.IDLE, persona("s1", "Otter"), session=f"w{text}")])
    tray = TrayController(bridge, FakeTrayIcon(), lambda: True)  # type: ignore[arg-type]
    tray.rebuild_menu()
    [action] = tray.pane_actions()
    assert menu_shows(action.text()) == f"Otter — idle (w{text}:1.0)"


def test_the_pane_menu_and_prompt_dialog_show_target_and_folder_as_written(
    qtbot: QtBot, text: str
) -> None:
    shown_pane = pane(1, Status.IDLE, persona("s1", "Otter"), cwd=f"/p/{text}", session=text)
    menus = PaneActionMenu(actions=object())  # type: ignore[arg-type]  # nothing is run
    menu = menus.menu_for(shown_pane)
    assert menu_shows(menu.title()) == f"Otter ({text}:1.0)"
    dialog = PromptDialog(shown_pane)
    qtbot.addWidget(dialog)
    assert f"/p/{text}" in [label_shows(label) for label in dialog.findChildren(QLabel)]


def test_the_preview_shows_an_error_as_written(qtbot: QtBot, text: str) -> None:
    async def capture() -> str:
        raise ActionError(f"tmux said {text}.")

    def spawn(work: Coroutine[Any, Any, None]) -> None:
        asyncio.run(work)

    dialog = PreviewDialog("preview", capture, spawn)
    qtbot.addWidget(dialog)
    dialog.refresh()
    assert label_shows(dialog.message) == f"tmux said {text}. The preview stopped."


def test_the_persona_page_shows_names_session_ids_and_challenges_as_written(
    qtbot: QtBot, text: str
) -> None:
    who = persona("s1", f"Otter {text}")
    page = page_for(
        who,
        challenges=(challenge(1, f"Run {text}", f"do {text}", 1, 3),),
        sessions=(SessionLink(text, "continued", who.created_at),),
    )
    view = PersonaPageView(page, [pane(1, Status.IDLE, who, session=text)])
    qtbot.addWidget(view)
    assert label_shows(view.name) == f"Otter {text}"
    assert [label_shows(label) for label in view.session_labels] == [text]
    [row] = view.findChildren(ChallengeRow)
    assert label_shows(row.title) == f"Run {text}"
    assert tooltip_shows(row.description) == f"do {text}"
    chip = BadgeChip(f"Badge {text}", f"for {text}", None)
    qtbot.addWidget(chip)
    assert tooltip_shows(chip) == f"Badge {text}: for {text}\nNot earned yet"


def test_the_leaderboard_shows_names_and_targets_as_written(qtbot: QtBot, text: str) -> None:
    who = persona("s1", f"Otter {text}")
    bridge = FakeBridge([pane(1, Status.IDLE, who, session=text)])
    bridge.board = [entry(1, who)]
    dialog = LeaderboardDialog(bridge)
    qtbot.addWidget(dialog)
    dialog.refresh()
    [row] = dialog.rows
    assert tooltip_shows(row.name) == f"Otter {text}"
    assert tooltip_shows(row.detail) == f"Level 1 · in {text}:1.0"


def test_the_problem_banner_and_first_run_panel_show_paths_and_errors_as_written(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow, isolated_dirs: Path, text: str
) -> None:
    window.banner.set_problem(f"tmux failed: {text}")
    assert label_shows(window.banner) == f"tmux failed: {text}"
    folder = isolated_dirs / text.replace("/", "_")
    settings = folder / "settings.json"
    folder.mkdir(parents=True)
    settings.write_text('{"hooks": [')
    panel = FirstRunPanel(DataPaths(isolated_dirs / "data"), free_port(), settings)
    qtbot.addWidget(panel)
    assert str(settings) in label_shows(panel.hooks_label)
    panel.set_tmux_problem(f"tmux: {text}")
    assert label_shows(panel.tmux_label) == f"tmux: {text}"


def test_a_settings_problem_box_shows_the_sentence_as_written(
    qtbot: QtBot, isolated_dirs: Path, text: str
) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    store = SettingsStore(isolated_dirs / "settings.toml")
    panel = FirstRunPanel(DataPaths(isolated_dirs / "data"), free_port(), isolated_dirs / "s.json")
    actions = AppActions(window, store, panel)
    actions.report(f"port in use by {text}")
    [box] = window.findChildren(QMessageBox)
    assert shown(box.text(), box.textFormat()) == f"port in use by {text}"
    box.close()
    QApplication.processEvents()
    dialog = SettingsDialog(store)
    qtbot.addWidget(dialog)
    dialog.show_problem(f"port in use by {text}")
    assert label_shows(dialog.error) == f"port in use by {text}"
