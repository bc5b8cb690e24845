"""Runs the desktop UI around the core on the qasync loop: bridge, window, tray, notifier."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtWidgets import QApplication

from desktop.app import CoreApp
from desktop.config import configured_settings
from desktop.core.hooks.listener import ListenerStartError
from desktop.stop_signals import stop_on_signals
from desktop.ui.app_actions import attach_app_actions
from desktop.ui.bridge import Bridge, CoreBridge
from desktop.ui.notify import NotificationService, NotificationSettings, Notifier
from desktop.ui.pane_menu import attach_pane_actions
from desktop.ui.services import DbusNotifications, TrayBalloonNotifications
from desktop.ui.tray import TrayController, TrayIconLike, make_tray_icon
from desktop.ui.window import MainWindow

log = logging.getLogger(__name__)


def core_problems(core: CoreApp) -> Callable[[], list[str]]:
    """The sentences the banner shows: listener, doorbell and tmux trouble, with what to do."""
    return core.problems


class DesktopShell:
    """The UI parts wired to one bridge. Tests build it with a fake bridge, tray and service."""

    def __init__(
        self,
        bridge: Bridge,
        tray_icon: TrayIconLike | None,
        services: list[NotificationService],
        settings: NotificationSettings | None = None,
    ) -> None:
        self.bridge = bridge
        # Without a tray there is no way back to a hidden window: closing it quits.
        self.window = MainWindow(bridge, hide_on_close=tray_icon is not None)
        self.tray: TrayController | None = None
        if tray_icon is not None:
            self.tray = TrayController(bridge, tray_icon, self.window.isVisible)
            self.tray.pane_requested.connect(self.window.highlight)
            self.tray.toggle_requested.connect(self.window.toggle)
            self.tray.leaderboard_requested.connect(self.window.show_leaderboard)
        self.notifier = Notifier(bridge, services, settings)
        self.notifier.activated.connect(self.window.highlight)

    def connect_quit(self, quit_: Callable[[], None]) -> None:
        self.window.quit_requested.connect(quit_)
        if self.tray is not None:
            self.tray.quit_requested.connect(quit_)

    def start(self, show_window: bool = True) -> None:
        """Show the tray icon and open the window (always, where there is no tray)."""
        if self.tray is not None:
            self.tray.icon.show()
        if show_window or self.tray is None:
            self.window.show_and_raise()

    def close(self) -> None:
        if self.tray is not None:
            self.tray.icon.hide()
        self.window.hide_on_close = False
        self.window.hide()
        self.window.deleteLater()


def build_shell(core: CoreApp) -> DesktopShell:
    """The real thing: core bridge, the system tray if there is one, D-Bus then tray balloons."""
    bridge = CoreBridge(
        core.registry,
        core.ingest,
        core_problems(core),
        progression=core.progression,
        project_service=core.projects,
        usage=core.usage,
        remote_registry=core.remote.registry,
        remote_personas=core.remote.personas,
        remote_hosts=core.remote,
    )
    tray_icon = make_tray_icon()
    services: list[NotificationService] = [
        DbusNotifications(parent=bridge),
        TrayBalloonNotifications(tray_icon, parent=bridge),
    ]
    settings = NotificationSettings.from_settings(configured_settings())
    return DesktopShell(bridge, tray_icon, services, settings)


async def run_desktop(core: CoreApp, stop: asyncio.Event) -> int:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    shell = build_shell(core)
    shell.connect_quit(stop.set)
    try:
        await core.start()
    except ListenerStartError as e:
        # The window still shows the panes tmux reports; the banner says how to fix the port.
        core.listener_error = str(e)
        core.poller.start()
    if isinstance(shell.bridge, CoreBridge):
        shell.bridge.check_problems()
    # After start: the first-run panel writes the hook script for the port actually in use.
    actions = attach_app_actions(core, shell)
    # Right-click on a card, or a pane's submenu in the tray: jump, prompt, answer, preview.
    tray = shell.tray
    attach_pane_actions(
        core.pane_actions,
        shell.window,
        shell.window.grid.canvas,
        shell.window.grid.ordered_cards,
        tray_menu=tray.menu if tray is not None else None,
        tray_panes=(lambda: list(tray.panes.values())) if tray is not None else None,
    )
    shell.start(show_window=not core.options.minimized)
    stop_on_signals(stop)
    await stop.wait()
    if actions.applier is not None:
        await actions.applier.wait_idle()  # a port move in flight finishes before shutdown
    shell.close()
    await core.stop()
    return 0
