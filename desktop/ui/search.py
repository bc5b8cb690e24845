"""The search and filter bar over the grid (Ctrl+F): typed words filter the cards at once."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from desktop.ui.i18n import tr
from desktop.ui.widgets import set_accessible_name


class SearchField(QLineEdit):
    """A line edit whose Esc clears the search (and closes the bar) instead of being lost."""

    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class SearchBar(QWidget):
    """Type to filter by name, project, branch, target or status; Esc clears and closes."""

    query_changed = Signal(str)
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = SearchField()
        self.field.setClearButtonEnabled(True)
        self.field.setPlaceholderText(
            tr("Filter by name, project, branch, target or status (Esc clears)")
        )
        set_accessible_name(self.field, tr("Filter the cards"))
        self.count = QLabel()
        box = QHBoxLayout(self)
        box.setContentsMargins(16, 8, 16, 0)
        box.addWidget(self.field, 1)
        box.addWidget(self.count)
        self.field.textChanged.connect(self.query_changed.emit)
        self.field.escaped.connect(self.clear_and_close)
        self.hide()

    @property
    def query(self) -> str:
        return self.field.text().strip() if self.isVisible() else ""

    def open(self) -> None:
        """Show the bar with the keyboard in it, the current words selected."""
        self.show()
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()

    def clear_and_close(self) -> None:
        self.field.clear()
        self.hide()
        self.query_changed.emit("")
        self.closed.emit()

    def set_counts(self, shown: int, total: int) -> None:
        words = tr("{shown} of {total}").format(shown=shown, total=total)
        self.count.setText(words if self.field.text().strip() else "")
