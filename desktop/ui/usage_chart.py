"""A persona's estimated cost per day, drawn with QPainter: one bar a day (no QtCharts)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from desktop.core.usage.views import UsageDay
from desktop.ui.cost_alert import cost_text
from desktop.ui.i18n import tr
from desktop.ui.theme import card_border, muted_text

BAR_COLOR = "#0e7490"


def tokens_text(count: int) -> str:
    """`950`, `12.3k`, `4.5M` tokens."""
    if count < 1000:
        return str(count)
    if count < 1_000_000:
        return f"{count / 1000:.1f}k"
    return f"{count / 1_000_000:.1f}M"


def day_tip(day: UsageDay) -> str:
    """A bar's tooltip: the day, its tokens by kind and its estimated cost."""
    t = day.tokens
    return "\n".join(
        [
            day.day.strftime("%a %b %d"),
            tr("{} input · {} output tokens").format(
                tokens_text(t.input_tokens), tokens_text(t.output_tokens)
            ),
            tr("{} cache read · {} cache write").format(
                tokens_text(t.cache_read_tokens), tokens_text(t.cache_creation_tokens)
            ),
            tr("{} turns · about {} (estimate)").format(day.turns, cost_text(t.cost_usd)),
        ]
    )


class UsageChart(QWidget):
    """Estimated cost per local day, oldest on the left; hovering a bar shows its tokens."""

    PAD_LEFT = 52
    PAD_RIGHT = 12
    PAD_TOP = 12
    PAD_BOTTOM = 22

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.days: tuple[UsageDay, ...] = ()
        self.setMinimumHeight(140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setAccessibleName(tr("Estimated cost per day"))

    def sizeHint(self) -> QSize:
        return QSize(560, 150)

    def set_days(self, days: Sequence[UsageDay]) -> None:
        self.days = tuple(days)
        self.update()

    @property
    def top_cost(self) -> float:
        return max((d.cost_usd for d in self.days), default=0.0)

    def plot_rect(self) -> QRectF:
        return QRectF(self.rect()).adjusted(
            self.PAD_LEFT, self.PAD_TOP, -self.PAD_RIGHT, -self.PAD_BOTTOM
        )

    def bar_rect(self, index: int) -> QRectF:
        """Where day `index`'s bar is drawn (zero height for a day without use)."""
        plot = self.plot_rect()
        slot = plot.width() / max(1, len(self.days))
        top = self.top_cost
        share = self.days[index].cost_usd / top if top > 0 else 0.0
        height = plot.height() * share
        return QRectF(
            plot.left() + slot * index + slot * 0.15, plot.bottom() - height, slot * 0.7, height
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        plot = self.plot_rect()
        muted = muted_text(palette)
        painter.setPen(card_border(palette))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.setPen(muted)
        if self.top_cost <= 0:
            painter.drawText(
                plot, Qt.AlignmentFlag.AlignCenter, tr("No tokens used in these days yet.")
            )
        else:
            painter.drawText(
                QRectF(0, plot.top() - 6, self.PAD_LEFT - 6, 14),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                cost_text(self.top_cost),
            )
        color = QColor(BAR_COLOR)
        for index, day in enumerate(self.days):
            bar = self.bar_rect(index)
            if bar.height() > 0:
                painter.fillRect(bar, color)
            if (len(self.days) - 1 - index) % 2 == 0:  # every other day, today labelled
                painter.setPen(muted)
                painter.drawText(
                    QRectF(bar.center().x() - 24, plot.bottom() + 4, 48, 16),
                    Qt.AlignmentFlag.AlignCenter,
                    f"{day.day.strftime('%b')} {day.day.day}",
                )

    def day_at(self, x: float) -> UsageDay | None:
        plot = self.plot_rect()
        if not self.days or not plot.left() <= x <= plot.right():
            return None
        index = int((x - plot.left()) / (plot.width() / len(self.days)))
        return self.days[min(index, len(self.days) - 1)]

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        day = self.day_at(event.position().x())
        if day is None:
            QToolTip.hideText()
            return
        QToolTip.showText(event.globalPosition().toPoint(), day_tip(day), self)
