"""A card's model name and context bar: how full the session's context window is."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.core.usage.context import WARN_PERCENT, SessionInsight
from desktop.ui.i18n import tr
from desktop.ui.theme import palette_colors
from desktop.ui.widgets import set_accessible_name, set_tool_tip

# (light, dark) theme colours: the usual fill, the warning from WARN_PERCENT, compaction.
CONTEXT_COLORS = ("#0e7490", "#22d3ee")
WARN_COLORS = ("#c2410c", "#fb923c")
COMPACT_COLORS = ("#7c3aed", "#c4b5fd")
BAR_WIDTH = 54
BAR_HEIGHT = 6


class ContextMeter(QWidget):
    """`Opus 4.8 ▮▮▯ 42%`: the model's short name, a bar and the percent of context in use.

    From WARN_PERCENT the bar and the figure turn orange; between PreCompact and PostCompact
    the bar is striped and the figure says "compacting". Empty until a session is known."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.insight: SessionInsight | None = None
        self.model_text = ""
        self.figure_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() + 2)
        self._colors = {
            name: (QColor(light), QColor(dark))
            for name, (light, dark) in {
                "fill": CONTEXT_COLORS,
                "warn": WARN_COLORS,
                "compact": COMPACT_COLORS,
            }.items()
        }

    # --- state -----------------------------------------------------------------------------

    @property
    def percent(self) -> int | None:
        context = self.insight.context if self.insight is not None else None
        return context.percent if context is not None else None

    @property
    def warns(self) -> bool:
        percent = self.percent
        return percent is not None and percent >= WARN_PERCENT

    @property
    def compacting(self) -> bool:
        return self.insight is not None and self.insight.compacting

    def set_insight(self, insight: SessionInsight | None) -> None:
        """Show a session's model and context (None: nothing known, the meter is empty)."""
        if insight == self.insight:
            return
        self.insight = insight
        self.model_text = insight.model_name if insight is not None else ""
        context = insight.context if insight is not None else None
        if self.compacting:
            self.figure_text = tr("compacting")
        elif context is not None:
            self.figure_text = f"{context.percent}%"
        else:
            self.figure_text = ""
        self.setFixedWidth(self.sizeHint().width())
        tip = self._tool_tip()
        set_tool_tip(self, tip)
        set_accessible_name(self, tip)
        self.update()

    def _tool_tip(self) -> str:
        insight = self.insight
        if insight is None:
            return ""
        lines = [tr("Model: {}").format(insight.model)] if insight.model else []
        context = insight.context
        if context is not None:
            lines.append(
                tr("Context: {used:,} of {window:,} tokens ({percent}%)").format(
                    used=context.used_tokens, window=context.window_tokens, percent=context.percent
                )
            )
            if context.warns:
                lines.append(tr("Close to the limit: Claude will compact soon"))
        if insight.compacting:
            lines.append(tr("Compacting the conversation"))
        return "\n".join(lines)

    # --- painting --------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        width = 0
        if self.model_text:
            width += metrics.horizontalAdvance(self.model_text) + 6
        if self.insight is not None and (self.insight.context is not None or self.compacting):
            width += BAR_WIDTH + 4 + metrics.horizontalAdvance(self.figure_text)
        return QSize(width, metrics.height() + 2)

    def bar_rect(self) -> QRectF:
        """Where the bar is drawn (empty when there is no context to show)."""
        if self.insight is None or (self.insight.context is None and not self.compacting):
            return QRectF()
        metrics = self.fontMetrics()
        left = metrics.horizontalAdvance(self.model_text) + 6 if self.model_text else 0
        top = (self.height() - BAR_HEIGHT) / 2
        return QRectF(left, top, BAR_WIDTH, BAR_HEIGHT)

    def fill_color(self) -> QColor:
        """The colour of the bar's filled part (and of the figure, when it is not the usual)."""
        dark = palette_colors(self.palette()).dark
        name = "compact" if self.compacting else "warn" if self.warns else "fill"
        return self._colors[name][1 if dark else 0]

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.insight is None:
            return
        painter = QPainter(self)
        colors = palette_colors(self.palette())
        rect = self.rect()
        if self.model_text:
            painter.setPen(colors.muted)
            painter.drawText(
                rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.model_text
            )
        bar = self.bar_rect()
        if bar.isEmpty():
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        radius = BAR_HEIGHT / 2
        track = QPainterPath()
        track.addRoundedRect(bar, radius, radius)
        painter.fillPath(track, colors.track)
        fill = self.fill_color()
        if self.compacting:
            # Stripes across the whole bar: the size is unknown until the next reply.
            painter.save()
            painter.setClipPath(track)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            x = bar.left() - BAR_HEIGHT
            while x < bar.right():
                stripe = QPainterPath()
                stripe.moveTo(x, bar.bottom())
                stripe.lineTo(x + BAR_HEIGHT, bar.top())
                stripe.lineTo(x + BAR_HEIGHT * 1.5, bar.top())
                stripe.lineTo(x + BAR_HEIGHT / 2, bar.bottom())
                painter.drawPath(stripe)
                x += BAR_HEIGHT
            painter.restore()
        elif (percent := self.percent) is not None and percent > 0:
            width = max(float(BAR_HEIGHT), BAR_WIDTH * percent / 100)
            filled = QPainterPath()
            filled.addRoundedRect(QRectF(bar.left(), bar.top(), width, BAR_HEIGHT), radius, radius)
            painter.fillPath(filled, fill)
        painter.setPen(fill if (self.warns or self.compacting) else colors.muted)
        text_left = int(bar.right()) + 4
        painter.drawText(
            rect.adjusted(text_left, 0, 0, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            self.figure_text,
        )
