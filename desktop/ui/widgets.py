"""Small painted widgets a card is made of: busy indicator, status chip, XP bar, elided text."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.core.model import Status
from desktop.ui.avatar import avatar_pixmap
from desktop.ui.resources import svg_pixmap
from desktop.ui.safe_text import tooltip_html
from desktop.ui.theme import XP_COLOR, mix, muted_text, palette_colors, style_for


def set_tool_tip(widget: QWidget, text: str) -> None:
    """Set a tooltip showing text literally (it may be Claude's or a tool's), only when it
    changes: cards set theirs on every update, many a second."""
    tip = tooltip_html(text)
    if widget.toolTip() != tip:
        widget.setToolTip(tip)


def set_accessible_name(widget: QWidget, text: str) -> None:
    """Set an accessible name only when it changes (each set tells assistive technology)."""
    if widget.accessibleName() != text:
        widget.setAccessibleName(text)


# Each spinning indicator repaints 20 times a second (about 0.15 % of a core apiece): 20
# panes that never send a hook would keep the idle app near 3 %. A pane still waiting after
# this long is told by its "no hook event yet" line; the arc then rests, at no cost.
SPIN_LIMIT_MS = 10_000


class BusyIndicator(QWidget):
    """A spinning arc that runs only while visible, and only for SPIN_LIMIT_MS each time."""

    def __init__(
        self, size: int, parent: QWidget | None = None, spin_limit_ms: int = SPIN_LIMIT_MS
    ) -> None:
        super().__init__(parent)
        self.setFixedSize(size, size)
        self.angle = 0
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._advance)
        self._rest = QTimer(self)
        self._rest.setSingleShot(True)
        self._rest.setInterval(spin_limit_ms)
        self._rest.timeout.connect(self._timer.stop)

    @property
    def spinning(self) -> bool:
        return self._timer.isActive()

    def showEvent(self, event: object) -> None:
        self._timer.start()
        self._rest.start()

    def hideEvent(self, event: object) -> None:
        self._timer.stop()
        self._rest.stop()

    def _advance(self) -> None:
        self.angle = (self.angle + 30) % 360
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height())
        pen_width = max(2.0, side / 10)
        rect = QRectF(pen_width, pen_width, side - 2 * pen_width, side - 2 * pen_width)
        track = QPen(
            mix(self.palette().color(QPalette.ColorRole.Base), muted_text(self.palette()), 0.35)
        )
        track.setWidthF(pen_width)
        painter.setPen(track)
        painter.drawEllipse(rect)
        arc = QPen(self.palette().color(QPalette.ColorRole.Highlight))
        arc.setWidthF(pen_width)
        arc.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(arc)
        painter.drawArc(rect, -self.angle * 16, 100 * 16)


@dataclass(frozen=True)
class _ChipLook:
    """Everything a chip paints for one status, size, palette and screen, worked out once."""

    path: QPainterPath
    fill: QColor
    outline: QPen
    icon: QPixmap
    icon_at: QPointF
    text_color: QColor
    text_rect: QRectF


class StatusChip(QWidget):
    """Icon, word and colour for a status: readable without colour."""

    ICON = 14

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = Status.UNKNOWN
        # (status, width, height, palette key, device pixel ratio) -> what to paint; a chip
        # repaints whenever its card does, and the status rarely changes in between.
        self._look: tuple[tuple[Status, int, int, int, float], _ChipLook] | None = None
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._describe()

    def text(self) -> str:
        return style_for(self.status).word

    def set_status(self, status: Status) -> None:
        if status is self.status:
            return  # the card sets its status on every update: nothing to redo
        self.status = status
        self._describe()
        self.updateGeometry()
        self.update()

    def _describe(self) -> None:
        self.setAccessibleName(f"status: {self.text()}")
        self.setToolTip(f"status: {self.text()}")

    def sizeHint(self) -> QSize:
        width = self.fontMetrics().horizontalAdvance(self.text()) + self.ICON + 22
        return QSize(width, self.ICON + 10)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._look = None  # the text's width and rect follow the font
        super().changeEvent(event)

    def _look_for(self, palette: QPalette) -> _ChipLook:
        key = (
            self.status,
            self.width(),
            self.height(),
            palette.cacheKey(),
            self.devicePixelRatioF(),
        )
        if self._look is not None and self._look[0] == key:
            return self._look[1]
        style = style_for(self.status)
        color = style.color(palette)
        text_width = self.fontMetrics().horizontalAdvance(self.text())
        width = min(self.width(), text_width + self.ICON + 22)
        rect = QRectF(0.5, 0.5, width - 1, self.height() - 1)
        path = QPainterPath()
        path.addRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        base = palette.color(QPalette.ColorRole.Base)
        look = _ChipLook(
            path=path,
            fill=mix(base, color, 0.16),
            outline=QPen(mix(base, color, 0.55), 1),
            icon=svg_pixmap(style.icon, self.ICON, self.devicePixelRatioF(), color),
            icon_at=QPointF(int(rect.left() + 8), int((self.height() - self.ICON) / 2)),
            text_color=color
            if not _low_contrast(color, palette)
            else palette.color(QPalette.ColorRole.Text),
            text_rect=rect.adjusted(self.ICON + 12, 0, -8, 0),
        )
        self._look = (key, look)
        return look

    def paintEvent(self, event: QPaintEvent) -> None:
        look = self._look_for(self.palette())
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillPath(look.path, look.fill)
        painter.setPen(look.outline)
        painter.drawPath(look.path)
        painter.drawPixmap(look.icon_at, look.icon)
        painter.setPen(look.text_color)
        painter.drawText(
            look.text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.text()
        )


def _low_contrast(color: QColor, palette: QPalette) -> bool:
    return abs(color.lightnessF() - palette.color(QPalette.ColorRole.Base).lightnessF()) < 0.25


XP = (XP_COLOR, XP_COLOR)  # (light, dark)


def themed(colors: tuple[str, str], palette: QPalette) -> QColor:
    return QColor(colors[1] if palette_colors(palette).dark else colors[0])


class ProgressStrip(QWidget):
    """A rounded progress bar in a given colour (challenge progress, XP in the level)."""

    def __init__(
        self, height: int = 8, colors: tuple[str, str] = XP, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.fraction = 0.0
        self.colors = colors
        self._fill = (QColor(colors[0]), QColor(colors[1]))  # (light, dark), parsed once
        self._track: tuple[QRectF, QPainterPath] | None = None  # kept while the size is
        self.setFixedHeight(height)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_colors(self, colors: tuple[str, str]) -> None:
        """Another (light, dark) fill colour, e.g. a warning."""
        if colors != self.colors:
            self.colors = colors
            self._fill = (QColor(colors[0]), QColor(colors[1]))
            self.update()

    def set_fraction(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, fraction))
        if fraction != self.fraction:
            self.fraction = fraction
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colors = palette_colors(self.palette())
        rect = QRectF(self.rect())
        radius = rect.height() / 2
        if self._track is None or self._track[0] != rect:
            track = QPainterPath()
            track.addRoundedRect(rect, radius, radius)
            self._track = (rect, track)
        painter.fillPath(self._track[1], colors.track)
        if self.fraction > 0:
            filled = QPainterPath()
            width = max(rect.height(), rect.width() * self.fraction)
            filled.addRoundedRect(
                QRectF(rect.left(), rect.top(), width, rect.height()), radius, radius
            )
            painter.fillPath(filled, self._fill[1] if colors.dark else self._fill[0])


class XpBar(ProgressStrip):
    """A slim progress bar for XP within the current level."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(height=6, colors=XP, parent=parent)


class ElidedLabel(QWidget):
    """One line of text, elided to the width it gets; the full text is the tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None, muted: bool = False) -> None:
        super().__init__(parent)
        self._text = ""
        self._elided: tuple[int, str] | None = None  # (width, shown text), kept between paints
        self.muted = muted
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        text = " ".join(text.split())
        if text != self._text:
            self._text = text
            self._elided = None
            self.setToolTip(tooltip_html(text))  # painted as plain text; the tooltip too
            self.setAccessibleName(text)
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(80, self.fontMetrics().height() + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(10, self.fontMetrics().height() + 2)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        colors = palette_colors(self.palette())
        painter.setPen(colors.muted if self.muted else colors.text)
        if self._elided is None or self._elided[0] != self.width():
            metrics = self.fontMetrics()
            shown = metrics.elidedText(self._text, Qt.TextElideMode.ElideRight, self.width())
            self._elided = (self.width(), shown)
        shown = self._elided[1]
        painter.drawText(
            self.rect(), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, shown
        )


class AvatarView(QWidget):
    """A persona's avatar, drawn for the screen it is on (sharp after a move to a HiDPI one)."""

    def __init__(self, size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(size, size)
        self.seed = ""

    def set_seed(self, seed: str) -> None:
        if seed != self.seed:
            self.seed = seed
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.seed:
            pixmap = avatar_pixmap(self.seed, self.width(), self.devicePixelRatioF())
            QPainter(self).drawPixmap(0, 0, pixmap)
