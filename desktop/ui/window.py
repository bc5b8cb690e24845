"""The main window: a problem banner over the card grid; closing it hides it to the tray."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from desktop.ui.bridge import Bridge
from desktop.ui.grid import CardGrid
from desktop.ui.resources import svg_icon
from desktop.ui.theme import mix


class ProblemBanner(QLabel):
    """A sentence about what is wrong and what to do; hidden when all is well."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setContentsMargins(14, 8, 14, 8)
        self.hide()

    def set_problem(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))

    def paintEvent(self, event: QPaintEvent) -> None:
        # Tinted at paint time, so a switch between light and dark follows at once.
        window = self.palette().color(QPalette.ColorRole.Window)
        QPainter(self).fillRect(self.rect(), mix(window, QColor("#d97706"), 0.25))
        super().paintEvent(event)


class MainWindow(QMainWindow):
    """Everything the person watches: the grid of pane cards."""

    quit_requested = Signal()  # closing with no tray to come back from ends the app

    def __init__(self, bridge: Bridge, hide_on_close: bool = True) -> None:
        super().__init__()
        self.hide_on_close = hide_on_close
        self.setWindowTitle("claude-rpg")
        self.setWindowIcon(svg_icon("app"))
        self.banner = ProblemBanner()
        self.grid = CardGrid(bridge)
        central = QWidget()
        box = QVBoxLayout(central)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.banner)
        box.addWidget(self.grid, 1)
        self.setCentralWidget(central)
        self.resize(1100, 720)
        bridge.problem_changed.connect(self.banner.set_problem)
        self.banner.set_problem(bridge.problem)

    def show_and_raise(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def toggle(self) -> None:
        if self.isVisible() and not self.isMinimized():
            self.hide()
        else:
            self.show_and_raise()

    def highlight(self, pane_id: str) -> bool:
        """Show the window and point at the pane's card."""
        self.show_and_raise()
        return self.grid.highlight(pane_id)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.hide_on_close:
            event.ignore()
            self.hide()
        else:
            event.accept()
            self.quit_requested.emit()
