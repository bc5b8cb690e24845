"""Settings…, Open log folder and the first-run dock, wired into the window and the tray menu."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMainWindow, QMenu
from pytestqt.qtbot import QtBot

from desktop.app import CoreApp, Options
from desktop.config import Settings, SettingsStore
from desktop.logs import setup_logging
from desktop.paths import DataPaths
from desktop.ui.app_actions import AppActions, attach_app_actions
from desktop.ui.bridge import CoreBridge
from desktop.ui.first_run import FirstRunPanel
from desktop.ui.notify import Kind, Notice
from desktop.ui.shell import DesktopShell, core_problems
from tests.ui.fakes import FakeBridge


class UrlRecorder(QObject):
    """Stands in for the file manager: records the URLs the app asks to open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def url_recorder() -> Iterator[UrlRecorder]:
    recorder = UrlRecorder()
    QDesktopServices.setUrlHandler("file", recorder, "open")
    yield recorder
    QDesktopServices.unsetUrlHandler("file")


@pytest.fixture
def actions(qtbot: QtBot, tmp_path: Path, isolated_dirs: Path) -> AppActions:
    window = QMainWindow()
    qtbot.addWidget(window)
    tray_menu = QMenu()
    tray_menu.addAction("Show window")
    tray_menu.addAction("Quit")
    panel = FirstRunPanel(DataPaths(tmp_path / "data"), 4011, isolated_dirs / "claude/s.json")
    result = AppActions(window, SettingsStore(), panel, tray_menu)
    window.show()
    return result


def texts(menu: QMenu) -> list[str]:
    return [a.text() or "-" for a in menu.actions()]


def test_the_tray_menu_gets_settings_and_the_log_folder_above_quit(actions: AppActions) -> None:
    assert actions.tray_menu is not None
    expected = ["Show window", "Settings…", "Open log folder", "-", "Quit"]
    assert texts(actions.tray_menu) == expected
    actions.tray_menu.aboutToShow.emit()
    assert texts(actions.tray_menu) == expected


def test_the_window_menu_offers_the_same(actions: AppActions) -> None:
    menus = actions.window.menuBar().actions()
    assert [m.text() for m in menus] == ["&claude-rpg"]
    menu = menus[0].menu()
    assert isinstance(menu, QMenu)
    assert texts(menu) == ["Settings…", "Set up hooks…", "Open log folder"]


def test_settings_open_once_and_save_into_the_store(qtbot: QtBot, actions: AppActions) -> None:
    dialog = actions.open_settings()
    assert actions.open_settings() is dialog
    dialog.sound.setChecked(True)
    with qtbot.waitSignal(actions.signals.changed):
        dialog.accept()
    assert actions.store.current.sound
    qtbot.waitUntil(lambda: actions.dialog is None)


def test_problems_after_saving_reach_the_person(qtbot: QtBot, actions: AppActions) -> None:
    dialog = actions.open_settings()
    actions.report("port 4100 is in use by another program; start with --port N.")
    assert dialog.error.text().startswith("port 4100 is in use")


def test_the_first_run_dock_shows_until_dismissed(actions: AppActions) -> None:
    assert actions.dock.isVisible()
    actions.first_run.dismiss_button.click()
    assert not actions.dock.isVisible()
    actions.first_run_action.trigger()
    assert actions.dock.isVisible()


def test_open_log_folder_opens_the_folder_the_app_logs_to(
    actions: AppActions, url_recorder: UrlRecorder, tmp_path: Path
) -> None:
    log_file = setup_logging(False, tmp_path / "logs")
    try:
        actions.log_action.trigger()
    finally:
        setup_logging(False)
    assert log_file is not None
    assert [u.toLocalFile() for u in url_recorder.urls] == [str(tmp_path / "logs")]


def test_attached_to_the_real_shell_settings_reach_the_notifier(
    qtbot: QtBot, tmp_path: Path
) -> None:
    core = CoreApp(Options(port=4011, data_dir=tmp_path / "data"))
    try:
        shell = DesktopShell(CoreBridge(core.registry, core.ingest, core_problems(core)), None, [])
        qtbot.addWidget(shell.window)
        actions = attach_app_actions(core, shell)
        assert actions.first_run.port == core.listener.port
        assert actions.dock.widget() is actions.first_run
        actions.store.change(notify_finished=False)
        assert shell.notifier.settings.finished is False
        assert shell.notifier.settings.needs_input is True
        assert actions.store.current == Settings(notify_finished=False)
        notice = Notice(Kind.FINISHED, "%1", "Brave Otter is done", "The turn finished.")
        shell.notifier.shown.emit(notice)
        assert actions.last_sound is None  # sound is off by default
        actions.store.change(sound=True)
        shell.notifier.shown.emit(notice)
        assert actions.last_sound in ("canberra", "beep")
    finally:
        core.db.close()


def test_the_first_run_panel_stops_listening_once_events_arrive(
    qtbot: QtBot, tmp_path: Path
) -> None:
    core = CoreApp(Options(port=4011, data_dir=tmp_path / "data"))
    try:
        bridge = FakeBridge()
        shell = DesktopShell(bridge, None, [])
        qtbot.addWidget(shell.window)
        actions = attach_app_actions(core, shell)
        calls = []
        actions.first_run.events_arrived = lambda: calls.append(1)  # type: ignore[method-assign]
        # Under load the events come by the thousand a second; the panel needs only the first.
        for _ in range(3):
            bridge.hook_event("PostToolUse", "%1")
        assert calls == [1]
    finally:
        core.db.close()
