"""What the window shows before any Claude pane is found: how to get one there."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.ui.resources import svg_pixmap

STEPS = (
    "1. Install the hooks once: <code>claude-rpg hooks install</code>",
    "2. Open tmux and start <code>claude</code> in a pane.",
    "3. Its card shows up here within a second; it gets a persona with the first hook event.",
)


class EmptyState(QWidget):
    """A friendly explanation instead of an empty grid."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = QLabel()
        self.icon.setPixmap(svg_pixmap("app", 72, self.devicePixelRatioF()))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel("No Claude sessions in tmux yet")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.steps = QLabel("<br>".join(STEPS))
        self.steps.setTextFormat(Qt.TextFormat.RichText)
        self.steps.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.steps.setWordWrap(True)
        box = QVBoxLayout(self)
        box.addStretch(1)
        box.addWidget(self.icon)
        box.addSpacing(8)
        box.addWidget(self.title)
        box.addSpacing(6)
        box.addWidget(self.steps)
        box.addStretch(2)
