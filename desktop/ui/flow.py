"""A layout that places fixed-size cards left to right and wraps them with the width."""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget, QWidgetItem


class FlowLayout(QLayout):
    """Rows of items that reflow when the width changes (the Qt flow layout example, typed)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 12) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(QMargins(16, 16, 16, 16))

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def insertWidget(self, index: int, widget: QWidget) -> None:
        """Put widget at index (the grid keeps cards in pane order)."""
        self.addChildWidget(widget)
        self._items.insert(max(0, min(index, len(self._items))), QWidgetItem(widget))
        self.invalidate()

    def reorder(self, widgets: list[QWidget]) -> None:
        """Put the items of `widgets` first, in that order (the rest keep theirs, after)."""
        by_widget = {item.widget(): item for item in self._items}
        ordered = [by_widget[w] if w in by_widget else QWidgetItem(w) for w in widgets]
        for w in widgets:
            if w not in by_widget:
                self.addChildWidget(w)
        chosen = set(widgets)
        rest = [item for item in self._items if item.widget() not in chosen]
        if ordered + rest != self._items:
            self._items = ordered + rest
            self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, row_height = area.x(), area.y(), 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            if getattr(item.widget(), "full_row", False):
                # A heading: a row of its own, as wide as the area. A wrapping label's
                # sizeHint is for a narrow guess of its width (several lines, mostly blank):
                # its height for the width it gets is the one that fits.
                height = (
                    item.heightForWidth(area.width()) if item.hasHeightForWidth() else hint.height()
                )
                if row_height > 0:
                    y += row_height + self._spacing
                if apply:
                    item.setGeometry(QRect(area.x(), y, area.width(), height))
                x, y, row_height = area.x(), y + height + self._spacing // 2, 0
                continue
            if x + hint.width() > area.right() + 1 and row_height > 0:
                x, y = area.x(), y + row_height + self._spacing
                row_height = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y() + m.bottom()
