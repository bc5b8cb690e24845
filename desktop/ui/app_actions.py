"""Settings…, Open log folder and the first-run panel, added to the main window and the tray."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QProcess, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QWidget,
)

from desktop.config import Settings, SettingsStore
from desktop.logs import current_log_file, default_log_dir
from desktop.paths import claude_config_dir
from desktop.settings_apply import SettingsApplier
from desktop.ui.cost_alert import CostAlert
from desktop.ui.first_run import FirstRunPanel
from desktop.ui.hosts_panel import HostsPanel
from desktop.ui.notify import Notice, NotificationSettings
from desktop.ui.pane_menu import spawn_on_loop
from desktop.ui.plan_limits import PlanLimitAlert
from desktop.ui.settings_dialog import SettingsDialog, SettingsSignals

if TYPE_CHECKING:
    from desktop.app import CoreApp
    from desktop.ui.shell import DesktopShell

log = logging.getLogger(__name__)


def log_folder() -> Path:
    current = current_log_file()
    return current.parent if current is not None else default_log_dir()


def play_notification_sound() -> str:
    """The desktop's "new message" sound (libcanberra), else the system beep; says which."""
    player = shutil.which("canberra-gtk-play")
    # Detached: a sound must never hold up the loop that serves the hooks.
    if player and QProcess.startDetached(player, ["--id=message-new-instant"])[0]:
        return "canberra"
    QApplication.beep()
    return "beep"


class AppActions(QObject):
    """Owns the settings dialog and the first-run dock; adds their entries to window and tray."""

    def __init__(
        self,
        window: QMainWindow,
        store: SettingsStore,
        first_run: FirstRunPanel,
        tray_menu: QMenu | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.store = store
        self.signals = SettingsSignals(store, self)
        self.dialog: SettingsDialog | None = None
        # Makes the settings dialog's remote hosts part (set by attach_app_actions).
        self.hosts_panel: Callable[[], QWidget] | None = None
        self.applier: SettingsApplier | None = None
        self.last_sound: str | None = None  # how the latest notification sound was played
        self.cost_alert: CostAlert | None = None
        self.plan_alert: PlanLimitAlert | None = None
        self.settings_action = QAction("Settings…", self)
        self.settings_action.triggered.connect(self.open_settings)
        self.log_action = QAction("Open log folder", self)
        self.log_action.triggered.connect(self.open_log_folder)
        self.first_run_action = QAction("Set up hooks…", self)
        self.first_run_action.triggered.connect(self.show_first_run)
        menu = window.menuBar().addMenu("&claude-rpg")
        menu.addActions([self.settings_action, self.first_run_action, self.log_action])

        self.first_run = first_run
        self.dock = QDockWidget("Getting started", window)
        self.dock.setObjectName("firstRunDock")
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.dock.setWidget(first_run)
        window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, self.dock)
        first_run.dismissed.connect(self.dock.hide)
        self.dock.setVisible(first_run.needed())

        self.tray_menu = tray_menu
        if tray_menu is not None:
            # Connected after the tray controller's own handler, so this runs after it rebuilt
            # the menu, and slots our entries in just above Quit.
            tray_menu.aboutToShow.connect(self.extend_tray_menu)
            self.extend_tray_menu()

    def extend_tray_menu(self) -> None:
        menu = self.tray_menu
        if menu is None:
            return
        # Idempotent: the controller usually rebuilt the menu, but if not, nothing doubles.
        for action in menu.actions():
            if action in (self.settings_action, self.log_action) or (
                action.objectName() == "appActionsSeparator"
            ):
                menu.removeAction(action)
        quit_action = next((a for a in menu.actions() if a.text() == "Quit"), None)
        for action in (self.settings_action, self.log_action):
            menu.insertAction(quit_action, action)  # type: ignore[arg-type]
        separator = menu.insertSeparator(quit_action)  # type: ignore[arg-type]
        separator.setObjectName("appActionsSeparator")

    def open_settings(self) -> SettingsDialog:
        """Show the settings dialog (one at a time), brought forward if already open."""
        if self.dialog is None:
            extra = self.hosts_panel() if self.hosts_panel is not None else None
            self.dialog = SettingsDialog(self.store, self.window, extra)
            self.dialog.finished.connect(self._forget_dialog)
        self.dialog.show_settings(self.store.current)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _forget_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def open_log_folder(self) -> bool:
        folder = log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            return True
        self.report(f"No file manager could open {folder}; open that folder by hand.")
        return False

    def show_first_run(self) -> None:
        self.first_run.refresh()
        self.dock.show()
        self.dock.raise_()

    def report(self, sentence: str) -> None:
        """A problem found while applying settings (after the dialog closed)."""
        log.warning("%s", sentence)
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.show_problem(sentence)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "claude-rpg", sentence, parent=self.window)
        box.setTextFormat(Qt.TextFormat.PlainText)  # the sentence quotes paths and errors
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()


def attach_app_actions(core: CoreApp, shell: DesktopShell) -> AppActions:
    """Wire settings, log folder and first run into a running shell; settings apply live."""
    store = SettingsStore()
    panel = FirstRunPanel(
        core.paths, lambda: core.listener.port, claude_config_dir() / "settings.json"
    )
    panel.set_tmux_problem(core.poller.problem)
    tray_menu = shell.tray.menu if shell.tray is not None else None
    actions = AppActions(shell.window, store, panel, tray_menu)
    actions.applier = SettingsApplier(core, store, actions.report)

    async def reload_hosts() -> None:
        problem = await core.reload_hosts()
        if problem:
            actions.report(problem)

    # Hosts added or removed in Settings connect or go at once, no restart.
    actions.hosts_panel = lambda: HostsPanel(core.paths.root, lambda: spawn_on_loop(reload_hosts()))

    def on_settings_changed(_old: Settings, new: Settings) -> None:
        shell.notifier.settings = NotificationSettings.from_settings(new)

    actions.signals.changed.connect(on_settings_changed)

    # The grid's grouping is a View-menu choice, remembered in the settings file.
    shell.window.set_grouping(store.current.grouping)
    shell.window.grouping_changed.connect(lambda mode: store.change(grouping=mode))

    def on_notice_shown(_notice: Notice) -> None:
        if store.current.sound:
            actions.last_sound = play_notification_sound()

    shell.notifier.shown.connect(on_notice_shown)
    # One notice a day when today's estimated cost crosses the threshold in Settings.
    actions.cost_alert = CostAlert(
        shell.bridge,
        lambda: store.current.daily_cost_alert_usd,
        shell.notifier.notify,
        parent=actions,
    )
    # Pro/Max plans: one notice per window when its use passes the threshold in Settings.
    actions.plan_alert = PlanLimitAlert(
        shell.bridge,
        lambda: store.current.plan_limit_alert_percent,
        shell.notifier.notify,
        parent=actions,
    )
    shell.window.plan_limits.warn_at = lambda: store.current.plan_limit_alert_percent
    shell.bridge.problem_changed.connect(lambda _text: panel.set_tmux_problem(core.poller.problem))

    def on_first_event(_event: object) -> None:
        # One event is all the panel needs to step aside: it stops listening, so the events
        # that follow (thousands a second under load) do not call it.
        shell.bridge.event_received.disconnect(on_first_event)
        panel.events_arrived()

    shell.bridge.event_received.connect(on_first_event)
    return actions
