"""A persona's XP over time, drawn with QPainter: a step line over level bands (no QtCharts)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QLinearGradient,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from desktop.core.progression.levels import level_for_xp, xp_for_level
from desktop.core.progression.views import XpPoint
from desktop.ui.theme import XP_COLOR, card_background, card_border, mix, muted_text

EMPTY_TEXT = "No XP yet: finished turns and tool calls earn it."
MAX_LEVEL_BANDS = 12  # more would be stripes too thin to read: none are drawn then
MAX_INTERVALS = 5


def axis(value: int) -> tuple[int, int]:
    """(top, intervals): a round XP axis a little above value, in at most 5 round steps."""
    wanted = max(1.0, value * 1.05)  # headroom: the newest total never sits on the frame
    scale = 1
    while True:
        for step in (1, 2, 2.5, 5):
            size = step * scale
            intervals = -(-wanted // size)
            if intervals <= MAX_INTERVALS and size == int(size):
                return int(size * intervals), int(intervals)
        scale *= 10


def time_label(when: datetime, span_seconds: float) -> str:
    """A short local time for the axis: hours within a day, dates beyond."""
    local = when.astimezone()
    if span_seconds < 36 * 3600:
        return local.strftime("%H:%M")
    return f"{local.strftime('%b')} {local.day}"


class XpChart(QWidget):
    """Total XP after every event that paid it; hovering shows the total at that moment."""

    PAD_LEFT = 52
    PAD_RIGHT = 44  # room for the level names
    PAD_TOP = 14
    PAD_BOTTOM = 26

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: tuple[XpPoint, ...] = ()
        self.setMinimumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setAccessibleName("XP over time")

    def sizeHint(self) -> QSize:
        return QSize(560, 190)

    def set_points(self, points: Sequence[XpPoint]) -> None:
        self.points = tuple(points)
        if self.points:
            last = self.points[-1]
            self.setAccessibleDescription(
                f"{len(self.points)} events, {last.xp} XP by {last.when.astimezone():%c}"
            )
        else:
            self.setAccessibleDescription(EMPTY_TEXT)
        self.update()

    # --- geometry (public so a test can check where a point lands) -----------------------

    def plot_rect(self) -> QRectF:
        return QRectF(self.rect()).adjusted(
            self.PAD_LEFT, self.PAD_TOP, -self.PAD_RIGHT, -self.PAD_BOTTOM
        )

    def y_top(self) -> int:
        return axis(self.points[-1].xp if self.points else 0)[0]

    def _time_range(self) -> tuple[float, float]:
        start = self.points[0].when.timestamp()
        end = self.points[-1].when.timestamp()
        # One event (or one instant) still gets a width: the step sits in the middle.
        return (start - 30, end + 30) if end - start < 1 else (start, end)

    def to_screen(self, point: XpPoint) -> QPointF:
        return self._mapper()(point)

    def _mapper(self) -> Callable[[XpPoint], QPointF]:
        """Point -> widget position for the current size (built once per paint, not per point)."""
        plot = self.plot_rect()
        start, end = self._time_range()
        x_scale = plot.width() / (end - start)
        y_scale = plot.height() / self.y_top()
        left, bottom = plot.left(), plot.bottom()

        def place(point: XpPoint) -> QPointF:
            return QPointF(
                left + (point.when.timestamp() - start) * x_scale, bottom - point.xp * y_scale
            )

        return place

    def nearest(self, x: float) -> XpPoint | None:
        """The last point at or before the time under x (the total that held then)."""
        if not self.points:
            return None
        place = self._mapper()
        found = self.points[0]
        for point in self.points:
            if place(point).x() <= x + 0.5:
                found = point
        return found

    # --- painting --------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        frame = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QPen(card_border(palette), 1))
        painter.setBrush(card_background(palette))
        painter.drawRoundedRect(frame, 8, 8)
        small = QFont(self.font())
        small.setPointSizeF(small.pointSizeF() * 0.85)
        painter.setFont(small)
        if not self.points:
            painter.setPen(muted_text(palette))
            painter.drawText(frame, Qt.AlignmentFlag.AlignCenter, EMPTY_TEXT)
            return
        self._paint_grid(painter, palette)
        self._paint_line(painter)
        self._paint_time_axis(painter, palette)

    def _paint_grid(self, painter: QPainter, palette: QPalette) -> None:
        plot = self.plot_rect()
        top, intervals = axis(self.points[-1].xp)
        self._paint_level_bands(painter, palette, top)
        grid = mix(card_background(palette), palette.color(QPalette.ColorRole.Text), 0.1)
        for i in range(intervals + 1):
            y = plot.bottom() - i / intervals * plot.height()
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(muted_text(palette))
            painter.drawText(
                QRectF(0, y - 9, self.PAD_LEFT - 8, 18),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{top * i // intervals:,}",
            )

    def _paint_level_bands(self, painter: QPainter, palette: QPalette, top: int) -> None:
        """Every other level tinted, named in the right margin: where each level began."""
        levels = range(1, level_for_xp(top) + 1)
        if len(levels) > MAX_LEVEL_BANDS:
            return
        plot = self.plot_rect()
        background = card_background(palette)
        band = mix(background, QColor(XP_COLOR), 0.07)
        name = mix(background, QColor(XP_COLOR), 0.75)
        height = painter.fontMetrics().height()
        for level in levels:
            low = plot.bottom() - xp_for_level(level) / top * plot.height()
            high = plot.bottom() - min(top, xp_for_level(level + 1)) / top * plot.height()
            if level % 2 == 0:
                painter.fillRect(QRectF(plot.left(), high, plot.width(), low - high), band)
            if low - high >= height:
                painter.setPen(name)
                painter.drawText(
                    QRectF(plot.right() + 6, high, self.PAD_RIGHT - 6, low - high),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    f"Lv {level}",
                )

    def _paint_line(self, painter: QPainter) -> None:
        plot = self.plot_rect()
        color = QColor(XP_COLOR)
        # XP holds between events and jumps at each: a step line says that honestly.
        place = self._mapper()
        screen = [place(p) for p in self.points]
        line = QPainterPath(QPointF(plot.left(), plot.bottom()))
        line.lineTo(QPointF(screen[0].x(), plot.bottom()))
        for point in screen:
            line.lineTo(QPointF(point.x(), line.currentPosition().y()))
            line.lineTo(point)
        line.lineTo(QPointF(plot.right(), screen[-1].y()))
        area = QPainterPath(line)
        area.lineTo(QPointF(plot.right(), plot.bottom()))
        area.closeSubpath()
        fill = QLinearGradient(0, plot.top(), 0, plot.bottom())
        top, bottom = QColor(color), QColor(color)
        top.setAlphaF(0.35)
        bottom.setAlphaF(0.04)
        fill.setColorAt(0, top)
        fill.setColorAt(1, bottom)
        painter.fillPath(area, fill)
        pen = QPen(color, 2)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(line)
        painter.setBrush(color)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(screen[-1], 4, 4)

    def _paint_time_axis(self, painter: QPainter, palette: QPalette) -> None:
        plot = self.plot_rect()
        start, end = self.points[0].when, self.points[-1].when
        span = (end - start).total_seconds()
        painter.setPen(muted_text(palette))
        y = plot.bottom() + 6
        left = QRectF(plot.left(), y, plot.width() / 2, 16)
        painter.drawText(left, Qt.AlignmentFlag.AlignLeft, time_label(start, span))
        if span >= 60:
            right = QRectF(plot.center().x(), y, plot.width() / 2, 16)
            painter.drawText(right, Qt.AlignmentFlag.AlignRight, time_label(end, span))
        if span >= 3 * 3600:
            middle = QRectF(plot.center().x() - 60, y, 120, 16)
            when = start + (end - start) / 2
            painter.drawText(middle, Qt.AlignmentFlag.AlignHCenter, time_label(when, span))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        point = self.nearest(event.position().x())
        if point is None or not self.plot_rect().contains(event.position()):
            QToolTip.hideText()
            return
        when = point.when.astimezone()
        QToolTip.showText(
            event.globalPosition().toPoint(), f"{point.xp:,} XP at {when:%b %d %H:%M}", self
        )
