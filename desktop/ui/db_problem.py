"""The window the app opens when its database cannot be used: the sentence and a Repair button.

The app comes up in this degraded state instead of dying: hook events keep waiting in the
spool meanwhile. Repair runs the repair it is given (the same as `claude-rpg db repair`)
and, when it worked, the app goes on starting as usual.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)

# Runs the repair; returns what it did as a sentence. Raises OSError when it could not.
RepairFunc = Callable[[], str]


class DatabaseProblemWindow(QMainWindow):
    """The problem's sentence, Repair and Quit; `finished` says whether the app may go on."""

    finished = Signal(bool)

    def __init__(self, sentence: str, repair: RepairFunc | None) -> None:
        super().__init__()
        self._repair = repair
        self.setWindowTitle(self.tr("claude-rpg: the database needs attention"))
        self.heading = QLabel(self.tr("claude-rpg cannot open its database"))
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.heading.setFont(font)
        self.message = QLabel(sentence)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.repair_button = QPushButton(self.tr("Repair"))
        self.repair_button.setVisible(repair is not None)
        self.repair_button.setDefault(True)
        self.repair_button.clicked.connect(self.run_repair)
        self.quit_button = QPushButton(self.tr("Quit"))
        self.quit_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.quit_button)
        buttons.addWidget(self.repair_button)
        body = QWidget()
        box = QVBoxLayout(body)
        box.setContentsMargins(24, 20, 24, 20)
        box.addWidget(self.heading)
        box.addSpacing(8)
        box.addWidget(self.message)
        box.addStretch(1)
        box.addLayout(buttons)
        self.setCentralWidget(body)
        self.resize(560, 240)
        self._done = False

    def run_repair(self) -> None:
        """Repair now; on success the app starts, on failure the window says why."""
        assert self._repair is not None
        try:
            outcome = self._repair()
        except OSError as e:
            log.exception("the repair failed")
            self.message.setText(
                self.tr("The repair could not finish ({error}); nothing was deleted. ").format(
                    error=e
                )
                + self.tr("Make the data folder writable and press Repair again.")
            )
            return
        log.info("%s", outcome)
        self._finish(True)

    def _finish(self, go_on: bool) -> None:
        if not self._done:
            self._done = True
            self.finished.emit(go_on)
        self.hide()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._finish(False)
        super().closeEvent(event)


async def offer_repair(sentence: str, repair: RepairFunc | None, stop: asyncio.Event) -> bool:
    """Show the window and wait: True once repaired (start the app), False when quit/stopped."""
    window = DatabaseProblemWindow(sentence, repair)
    done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def settle(ok: bool) -> None:
        if not done.done():
            done.set_result(ok)

    window.finished.connect(settle)
    stopped = asyncio.ensure_future(stop.wait())
    window.show()
    window.raise_()
    try:
        await asyncio.wait((done, stopped), return_when=asyncio.FIRST_COMPLETED)
        return done.done() and done.result()
    finally:
        stopped.cancel()
        window.hide()
        window.deleteLater()
