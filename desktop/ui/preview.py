"""The terminal preview: a pane's recent screen with its colours, refreshed while open."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent, QFontDatabase, QPalette
from PySide6.QtWidgets import QDialog, QLabel, QTextEdit, QVBoxLayout, QWidget

from desktop.core.actions import ActionError
from desktop.ui.ansi import ansi_to_html
from desktop.ui.safe_text import plain_label

Capture = Callable[[], Awaitable[str]]
Spawn = Callable[[Coroutine[Any, Any, None]], None]
REFRESH_MS = 500


class PreviewDialog(QDialog):
    """Shows what the pane shows, twice a second, until closed or the pane goes away."""

    def __init__(
        self, title: str, capture: Capture, spawn: Spawn, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.capture = capture
        self.spawn = spawn
        self.view = QTextEdit()
        self.view.setReadOnly(True)
        self.view.setLineWrapMode(QTextEdit.LineWrapMode.NoWrap)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        palette = self.view.palette()
        # Terminal colours are chosen for a dark background, whatever the desktop theme.
        palette.setColor(QPalette.ColorRole.Base, "#1e1e1e")
        palette.setColor(QPalette.ColorRole.Text, "#d4d4d4")
        self.view.setPalette(palette)
        self.message = plain_label(QLabel())  # tmux's own words in an error
        self.message.setWordWrap(True)
        self.message.hide()
        box = QVBoxLayout(self)
        box.addWidget(self.message)
        box.addWidget(self.view, 1)
        self.resize(900, 560)
        self.shown_text: str | None = None
        self.refreshes = 0
        self._pending = False
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def start(self) -> None:
        self.show()
        self.refresh()
        self.timer.start()

    def refresh(self) -> None:
        if not self._pending:
            self._pending = True
            self.spawn(self._load())

    async def _load(self) -> None:
        try:
            text = await self.capture()
        except ActionError as e:
            self.timer.stop()
            self.message.setText(f"{e} The preview stopped.")
            self.message.show()
            return
        finally:
            self._pending = False
        self.refreshes += 1
        if text == self.shown_text:
            return
        self.shown_text = text
        bar = self.view.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.view.setHtml(f"<div style='white-space:pre'>{ansi_to_html(text)}</div>")
        if at_bottom:  # keep following the screen unless the person scrolled up
            bar.setValue(bar.maximum())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.timer.stop()
        super().closeEvent(event)
