"""Runs the desktop UI around the core on the qasync loop."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from desktop.app import CoreApp
from desktop.cli.run import stop_on_signals
from desktop.core.hooks.listener import ListenerStartError

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """A minimal window until the card grid lands."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("claude-rpg")
        self.label = QLabel("claude-rpg is watching your tmux panes")
        self.setCentralWidget(self.label)


async def run_desktop(core: CoreApp, stop: asyncio.Event) -> int:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window = MainWindow()
    try:
        await core.start()
    except ListenerStartError as e:
        core.listener_error = str(e)
        window.label.setText(str(e))
        core.poller.start()
    window.show()
    app.lastWindowClosed.connect(stop.set)
    stop_on_signals(stop)
    await stop.wait()
    await core.stop()
    return 0
