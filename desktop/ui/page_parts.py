"""Parts of the persona and project pages and the leaderboard: the page window, tiles,
challenge rows, badges, refresh."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.core.model import ChallengeInfo
from desktop.ui.safe_text import plain_label, tooltip_html
from desktop.ui.theme import (
    LEVEL_UP_COLOR,
    card_background,
    card_border,
    is_dark,
    mix,
    muted_text,
)
from desktop.ui.widgets import ElidedLabel, ProgressStrip, themed

DONE = ("#15803d", "#4ade80")  # (light, dark): picked at paint time, so theme switches follow
ACTIVE = ("#2563eb", "#60a5fa")


class ShownRefresh(QObject):
    """Re-reads a window's contents when progress moves: at most once per interval while it
    is shown; a hidden window reads nothing, only notes it is stale, and catches up when
    shown again."""

    def __init__(self, window: QWidget, interval_ms: int, refresh: Callable[[], None]) -> None:
        super().__init__(window)
        self.window = window
        self.stale = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(refresh)
        self._refresh = refresh
        window.installEventFilter(self)

    def request(self) -> None:
        """Something the window shows has changed."""
        if self.window.isVisible():
            self.timer.start()
        else:
            self.stale = True

    def refreshed(self) -> None:
        """The window has just read its contents: nothing is waiting any more."""
        self.timer.stop()
        self.stale = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Show and self.stale:
            self._refresh()
        return False


def page_scroll_area() -> QScrollArea:
    """A frameless scroll area whose one widget grows with it: how pages and lists scroll."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


class PageDialog(QDialog):
    """A window with one page (a persona's, a project's): the page in a scroll area, or a
    sentence in its place while there is no page to show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.scroll_area = page_scroll_area()
        self.problem = plain_label(QLabel())
        self.problem.setWordWrap(True)
        self.problem.setContentsMargins(22, 22, 22, 22)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.problem)
        box.addWidget(self.scroll_area, 1)

    def show_problem(self, text: str, title: str) -> None:
        """Show `text` where the page goes, and `title` as the window's title."""
        self.problem.setText(text)
        self.problem.show()
        self.scroll_area.hide()
        self.setWindowTitle(title)

    def show_page(self, page: QWidget, title: str) -> None:
        """Show `page` in place of the one before (deleted with it), keeping the scroll
        position so a page read again does not jump back to the top."""
        scrolled = self.scroll_area.verticalScrollBar().value()
        self.scroll_area.setWidget(page)
        self.scroll_area.verticalScrollBar().setValue(scrolled)
        self.problem.hide()
        self.scroll_area.show()
        self.setWindowTitle(title)


def local_time(value: datetime) -> str:
    """`Mar 3, 14:02` in the local time zone (stored times are UTC, maybe naive)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone()
    return f"{local:%b} {local.day}, {local:%H:%M}"


def scaled_font(widget: QWidget, factor: float, bold: bool = False) -> QFont:
    font = QFont(widget.font())
    font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(bold)
    return font


def muted_label(text: str = "", parent: QWidget | None = None) -> ElidedLabel:
    """One line in the theme's muted text colour, elided to its width (full text as tooltip)."""
    return ElidedLabel(text, parent, muted=True)


class SectionTitle(QLabel):
    """A heading over one part of the page."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setFont(scaled_font(self, 1.15, bold=True))
        self.setContentsMargins(0, 10, 0, 2)


class Tile(QWidget):
    """A rounded panel in the card colours, for content that belongs together."""

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.setPen(QPen(card_border(palette), 1))
        painter.setBrush(card_background(palette))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)


class StatTile(Tile):
    """One number and what it counts."""

    def __init__(self, value: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.value = QLabel(value)
        self.value.setFont(scaled_font(self, 1.45, bold=True))
        self.label = muted_label(label)
        self.label.setFont(scaled_font(self, 0.9))
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 8, 12, 8)
        box.setSpacing(0)
        box.addWidget(self.value)
        box.addWidget(self.label)
        self.setAccessibleName(f"{label}: {value}")


class CheckMark(QWidget):
    """A drawn tick in a circle: a completed challenge (not told by colour alone)."""

    def __init__(self, size: int = 18, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(size, size)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = themed(DONE, self.palette())
        side = float(self.width())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(QRectF(0, 0, side, side))
        pen = QPen(QColor("#ffffff") if not is_dark(self.palette()) else QColor("#052e16"))
        pen.setWidthF(side / 8)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        tick = QPainterPath(QPointF(side * 0.28, side * 0.52))
        tick.lineTo(QPointF(side * 0.44, side * 0.68))
        tick.lineTo(QPointF(side * 0.74, side * 0.34))
        painter.drawPath(tick)


class ChallengeRow(Tile):
    """A challenge: title, what it asks, progress bar and count; completed ones get a tick."""

    def __init__(self, challenge: ChallengeInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.challenge = challenge
        done = challenge.completed_at is not None
        self.title = plain_label(QLabel(challenge.title))
        self.title.setFont(scaled_font(self, 1.0, bold=True))
        self.description = muted_label(challenge.description)
        self.count = QLabel(f"{min(challenge.progress, challenge.target)} / {challenge.target}")
        self.count.setFont(scaled_font(self, 0.95, bold=True))
        self.bar = ProgressStrip(7, DONE if done else ACTIVE)
        self.bar.set_fraction(challenge.progress / max(1, challenge.target))
        top = QHBoxLayout()
        top.setSpacing(8)
        if done:
            top.addWidget(CheckMark(), 0, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.title)
        top.addWidget(self.description, 1)
        top.addWidget(self.count)
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 8, 12, 10)
        box.setSpacing(6)
        box.addLayout(top)
        box.addWidget(self.bar)
        if done and challenge.completed_at is not None:
            self.when = muted_label(f"Completed {local_time(challenge.completed_at)}")
            self.when.setFont(scaled_font(self, 0.85))
            box.addWidget(self.when)
        state = "completed" if done else "in progress"
        self.setAccessibleName(
            f"{challenge.title}: {challenge.description}, "
            f"{challenge.progress} of {challenge.target}, {state}"
        )


class BadgeChip(QWidget):
    """A badge as a pill: a gold star when earned, a dashed outline while still to earn."""

    def __init__(
        self,
        title: str,
        description: str,
        earned_at: datetime | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.title = title
        self.earned = earned_at is not None
        self.setFont(scaled_font(self, 0.95, bold=self.earned))
        when = f"\nEarned {local_time(earned_at)}" if earned_at is not None else "\nNot earned yet"
        self.setToolTip(tooltip_html(f"{title}: {description}{when}"))
        self.setAccessibleName(f"badge {title}, {'earned' if self.earned else 'not earned'}")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(self.title) + 44, 30)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        gold = QColor(LEVEL_UP_COLOR)
        base = card_background(palette)
        if self.earned:
            painter.setPen(QPen(mix(base, gold, 0.75), 1.2))
            painter.setBrush(mix(base, gold, 0.2))
            text = palette.color(QPalette.ColorRole.Text)
            star = gold
        else:
            pen = QPen(card_border(palette), 1.2)
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            text = muted_text(palette)
            star = muted_text(palette)
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(star)
        painter.drawPath(star_path(QPointF(rect.left() + 16, rect.center().y()), 7.0))
        painter.setPen(text)
        painter.drawText(
            rect.adjusted(28, 0, -10, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            self.title,
        )


def star_path(center: QPointF, radius: float) -> QPainterPath:
    """A five-pointed star around center."""
    path = QPainterPath()
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.45
        angle = -math.pi / 2 + i * math.pi / 5
        point = QPointF(center.x() + r * math.cos(angle), center.y() + r * math.sin(angle))
        if i == 0:
            path.moveTo(point)
        else:
            path.lineTo(point)
    path.closeSubpath()
    return path
