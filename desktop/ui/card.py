"""One pane's card: a persona card, or the awaiting-identity placeholder it turns into."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from PySide6.QtCore import (
    Property,
    QEasingCurve,
    QPropertyAnimation,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core.clock import elapsed_seconds
from desktop.core.model import LOCAL_HOST, PaneState, PersonaInfo, Status
from desktop.core.progression.levels import level_for_xp
from desktop.ui.context_meter import ContextMeter
from desktop.ui.safe_text import plain_label
from desktop.ui.text import ActivityMemory, elapsed_text, git_marker, project_text, project_tip
from desktop.ui.theme import LEVEL_UP_COLOR, XP_COLOR, mix, palette_colors, style_for
from desktop.ui.widgets import (
    AvatarView,
    BusyIndicator,
    ElidedLabel,
    StatusChip,
    XpBar,
    set_accessible_name,
    set_tool_tip,
)
from desktop.ui.xp import LEVEL_UP_MS, XpCounter, xp_within_level

CARD_SIZE = QSize(340, 158)
AVATAR = 52
PLACEHOLDER_NAME = "Claude (initializing…)"
ENDED_OPACITY = 0.55
GLOW_AGAIN_AFTER_S = 30.0  # a card glows for a level-up at most once in this long
RADIUS = 10


class PaneCard(QWidget):
    """Shows one PaneState; set_state() updates it in place, placeholder or persona alike."""

    clicked = Signal(str)
    activated = Signal(str)  # double click: the grid opens the persona page
    project_activated = Signal(str)  # a click on the project line: the project's page

    def __init__(self, pane: PaneState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(CARD_SIZE)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.memory = ActivityMemory()
        self.pane = pane
        self.selected = False
        self._flash = 0.0
        self._flash_anim = QPropertyAnimation(self, b"flash", self)
        self._glow = 0.0
        self._glow_anim = QPropertyAnimation(self, b"glow", self)
        self._glow_anim.finished.connect(self._glow_ended)
        self._glowed_at: float | None = None  # when the last level-up glow started
        self.clock = time.monotonic  # tests move time on
        self.elapsed_clock = elapsed_seconds  # the time-in-state line's clock (tests too)
        self._opacity: QGraphicsOpacityEffect | None = None
        self.xp_counter = XpCounter(self)
        self.xp_counter.shown.connect(self._show_xp)
        self.xp_counter.level_reached.connect(self.celebrate_level)
        self.xp_counter.settled.connect(self._xp_settled)
        self._build()
        self.set_state(pane)

    # --- construction ----------------------------------------------------------------------

    def _build(self) -> None:
        self.avatar_stack = QStackedWidget(self)
        self.avatar_stack.setFixedSize(AVATAR, AVATAR)
        self.busy = BusyIndicator(AVATAR - 12)
        busy_page = QWidget()
        busy_box = QVBoxLayout(busy_page)
        busy_box.setContentsMargins(0, 0, 0, 0)
        busy_box.addWidget(self.busy, 0, Qt.AlignmentFlag.AlignCenter)
        self.avatar = AvatarView(AVATAR)
        self.avatar_stack.addWidget(busy_page)
        self.avatar_stack.addWidget(self.avatar)

        self.name = ElidedLabel()
        name_font = QFont(self.font())
        name_font.setBold(True)
        name_font.setPointSizeF(name_font.pointSizeF() * 1.2)
        self.name.setFont(name_font)

        self.level = QLabel()
        level_font = QFont(self.font())
        level_font.setBold(True)
        level_font.setPointSizeF(level_font.pointSizeF() * 0.85)
        self.level.setFont(level_font)
        self.xp_bar = XpBar()
        self.xp_text = QLabel()
        self.xp_text.setFont(level_font)
        xp_row = QWidget()
        xp_box = QHBoxLayout(xp_row)
        xp_box.setContentsMargins(0, 0, 0, 0)
        xp_box.setSpacing(6)
        xp_box.addWidget(self.level)
        xp_box.addWidget(self.xp_bar, 1, Qt.AlignmentFlag.AlignVCenter)
        xp_box.addWidget(self.xp_text)
        self.waiting_hint = ElidedLabel("no hook event yet", muted=True)
        self.sub_stack = QStackedWidget()
        self.sub_stack.addWidget(self.waiting_hint)
        self.sub_stack.addWidget(xp_row)
        self.sub_stack.setFixedHeight(max(self.fontMetrics().height() + 4, 18))

        self.target = plain_label(QLabel())  # a tmux session name can be anything
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(self.font().pointSizeF() * 0.85)
        self.target.setFont(mono)
        self.target.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        name_row = QHBoxLayout()
        name_row.setSpacing(8)
        name_row.addWidget(self.name, 1)
        name_row.addWidget(self.target, 0, Qt.AlignmentFlag.AlignTop)
        identity = QVBoxLayout()
        identity.setSpacing(4)
        identity.addLayout(name_row)
        identity.addWidget(self.sub_stack)
        identity.addStretch(1)
        header = QHBoxLayout()
        header.setSpacing(12)
        header.addWidget(self.avatar_stack, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(identity, 1)

        self.project = ElidedLabel(muted=True)
        self.activity = ElidedLabel()
        self.chip = StatusChip()
        self.elapsed = ElidedLabel(muted=True)
        status_row = QHBoxLayout()
        status_row.setSpacing(8)
        status_row.addWidget(self.chip)
        status_row.addWidget(self.elapsed, 1)
        # The model and its context share the project's line: the folder gives way to them.
        self.context = ContextMeter()
        project_row = QHBoxLayout()
        project_row.setSpacing(8)
        project_row.addWidget(self.project, 1)
        # The git marker stays whole when the project line is elided for the model's room.
        self.git_marker = plain_label(QLabel())
        self.git_marker.hide()
        project_row.addWidget(self.git_marker, 0, Qt.AlignmentFlag.AlignVCenter)
        project_row.addWidget(self.context, 0, Qt.AlignmentFlag.AlignVCenter)

        body = QVBoxLayout(self)
        body.setContentsMargins(18, 12, 14, 12)
        body.setSpacing(6)
        body.addLayout(header)
        body.addSpacing(2)
        body.addLayout(project_row)
        body.addWidget(self.activity)
        body.addStretch(1)
        body.addLayout(status_row)

    # --- state -----------------------------------------------------------------------------

    @property
    def pane_id(self) -> str:
        return self.pane.pane_id

    @property
    def awaiting_identity(self) -> bool:
        return self.pane.awaiting_identity

    def set_state(self, pane: PaneState) -> None:
        """Show pane; the widget stays the same one, only its contents change.

        Under load this runs for every card in every frame. The card's children are
        transparent, so repainting the card repaints all of them: each part is set only
        through setters that do nothing for an equal value (and repaint only their own
        widget otherwise), and the card itself repaints only its status bar, when the
        status changed.
        """
        before = self.pane
        self.pane = pane
        self.memory.remember(pane)
        persona = pane.persona
        if persona is None:
            self.avatar_stack.setCurrentIndex(0)
            self.sub_stack.setCurrentIndex(0)
            self.name.setText(PLACEHOLDER_NAME)
        else:
            self.avatar.set_seed(persona.avatar_seed)
            set_tool_tip(self.avatar, f"{persona.name} (persona {persona.id})")
            self.avatar_stack.setCurrentIndex(1)
            self.sub_stack.setCurrentIndex(1)
            self.name.setText(persona.name)
            self._move_xp(before.persona, persona)
        self.chip.set_status(pane.status)
        # Another machine's pane names its host first: the same target can exist on both.
        self.target.setText(
            pane.target if pane.host == LOCAL_HOST else f"{pane.host} · {pane.target}"
        )
        self.project.setText(project_text(pane, marker=False))
        marker = git_marker(pane)
        if marker != self.git_marker.text():
            self.git_marker.setText(marker)
            self.git_marker.setVisible(bool(marker))
        has_page = pane.project is not None and pane.project.id is not None
        if has_page != (self.project.cursor().shape() == Qt.CursorShape.PointingHandCursor):
            self.project.setCursor(
                Qt.CursorShape.PointingHandCursor if has_page else Qt.CursorShape.ArrowCursor
            )
        set_tool_tip(self.project, project_tip(pane))
        self.activity.setText(self.memory.line(pane))
        self.context.set_insight(pane.session_insight)
        self.tick()
        self._set_dimmed(pane.status is Status.ENDED or not pane.alive)
        set_accessible_name(self, f"{self.name.text()}, {self.chip.text()}, {pane.target}")
        if pane.status is not before.status:
            self.update(self._status_bar_area())

    # --- XP and level ----------------------------------------------------------------------

    def _move_xp(self, before: PersonaInfo | None, persona: PersonaInfo) -> None:
        # Only a gain of the same persona, seen on screen, counts up: a new persona, a
        # rebuild that lowered XP or a card nobody sees shows the total at once.
        gained = before is not None and before.id == persona.id and persona.xp > before.xp
        if gained and self.isVisible():
            self.xp_counter.count_to(persona.xp)
        elif self.xp_counter.running and persona.xp == self.xp_counter.target:
            return
        else:
            self.xp_counter.jump(persona.xp)

    def _show_xp(self, xp: int) -> None:
        persona = self.pane.persona
        if persona is None:
            return
        # Mid-count the level follows the curve; the last frame shows the persona's own level.
        level = persona.level if xp == persona.xp else level_for_xp(xp)
        gained, span = xp_within_level(xp, level)
        self.level.setText(f"Lv {level}")
        self.xp_bar.set_fraction(gained / span)
        self.xp_text.setText(f"{xp:,} XP")
        set_tool_tip(self.xp_bar, f"{gained} / {span} XP to level {level + 1}")
        # Only on a change: setting a style sheet re-polishes the label, and this runs on
        # every frame of every count-up.
        if self.xp_counter.running:
            self._set_xp_style(f"color: {XP_COLOR}")

    def _xp_settled(self, _xp: int) -> None:
        self._set_xp_style("")

    def _set_xp_style(self, style: str) -> None:
        if self.xp_text.styleSheet() != style:
            self.xp_text.setStyleSheet(style)

    def _get_glow(self) -> float:
        return self._glow

    def _set_glow(self, value: float) -> None:
        self._glow = value
        self.update()

    glow = Property(float, _get_glow, _set_glow)

    @property
    def celebrating(self) -> bool:
        """True while the card glows for a level-up."""
        return self._glow_anim.state() == QPropertyAnimation.State.Running

    def celebrate_level(self, level: int) -> None:
        """A level-up: the card glows gold for a moment and its level turns gold; no sound.

        At most once per GLOW_AGAIN_AFTER_S: a card that keeps levelling up (a very busy
        session) would otherwise glow without end, which says nothing and repaints the whole
        card every frame. The new level still shows at once.
        """
        now = self.clock()
        if self._glowed_at is not None and now - self._glowed_at < GLOW_AGAIN_AFTER_S:
            return
        self._glowed_at = now
        self.level.setStyleSheet(f"color: {LEVEL_UP_COLOR}")
        self.level.setToolTip(f"Reached level {level}")
        self.setAccessibleDescription(f"reached level {level}")
        self._glow_anim.stop()
        self._glow_anim.setDuration(LEVEL_UP_MS)
        self._glow_anim.setStartValue(1.0)
        self._glow_anim.setEndValue(0.0)
        self._glow_anim.setEasingCurve(QEasingCurve.Type.InQuad)
        self._glow_anim.start()

    def _glow_ended(self) -> None:
        self.level.setStyleSheet("")
        self.level.setToolTip("")
        self.setAccessibleDescription("")

    def tick(self, now: datetime | None = None) -> None:
        """Refresh the time-in-state line (the grid calls this once a second).

        Measured on the elapsed clock when the pane has its status's start there (a wall
        clock moved by an hour does not move the label); `now` asks for the wall clock.
        """
        start = self.pane.status_elapsed
        if now is None and start is not None:
            seconds = self.elapsed_clock() - start
        else:
            since = self.pane.status_since
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            seconds = ((now or datetime.now(UTC)) - since).total_seconds()
        self.elapsed.setText(f"for {elapsed_text(seconds)}")

    def _set_dimmed(self, dimmed: bool) -> None:
        if dimmed and self._opacity is None:
            self._opacity = QGraphicsOpacityEffect(self)
            self._opacity.setOpacity(ENDED_OPACITY)
            self.setGraphicsEffect(self._opacity)
            self.update()
        elif not dimmed and self._opacity is not None:
            self.setGraphicsEffect(None)  # type: ignore[arg-type]
            self._opacity = None
            self.update()

    def fade_out(self, duration_ms: int) -> QPropertyAnimation:
        """Fade the card to nothing; the grid removes it when the animation ends."""
        if self._opacity is None:
            self._opacity = QGraphicsOpacityEffect(self)
            self._opacity.setOpacity(1.0)
            self.setGraphicsEffect(self._opacity)
        anim = QPropertyAnimation(self._opacity, b"opacity", self)
        anim.setDuration(duration_ms)
        anim.setStartValue(self._opacity.opacity())
        anim.setEndValue(0.0)
        anim.start()
        return anim

    # --- selection and highlight -----------------------------------------------------------

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.update()

    def _get_flash(self) -> float:
        return self._flash

    def _set_flash(self, value: float) -> None:
        self._flash = value
        self.update()

    flash = Property(float, _get_flash, _set_flash)

    def pulse(self) -> None:
        """Draw the eye to this card for a moment (a tray or notification click)."""
        self._flash_anim.stop()
        self._flash_anim.setDuration(1200)
        self._flash_anim.setStartValue(1.0)
        self._flash_anim.setEndValue(0.0)
        self._flash_anim.setEasingCurve(QEasingCurve.Type.InQuad)
        self._flash_anim.start()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.pane_id)
            project = self.pane.project
            on_project = self.project.geometry().contains(event.position().toPoint())
            if on_project and project is not None and project.id is not None:
                self.project_activated.emit(project.id)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.activated.emit(self.pane_id)
        super().mouseDoubleClickEvent(event)

    def _card_rect(self) -> QRectF:
        return QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5)

    def _status_bar(self) -> QRectF:
        """The bar in the status colour down the left edge, inside the border."""
        rect = self._card_rect()
        return QRectF(rect.left() + 5, rect.top() + 12, 4, rect.height() - 24)

    def _status_bar_area(self) -> QRect:
        """The pixels the status bar touches, antialiased edges included."""
        return self._status_bar().toAlignedRect().adjusted(-1, -1, 1, 1)

    def _inside(self) -> QRect:
        """Pixels no border, rounded corner or status bar touches: only the background."""
        margin = RADIUS + 2  # past the corners' arcs and the status bar (x < 12)
        return QRect(margin, 3, self.width() - 2 * margin, self.height() - 6)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        colors = palette_colors(palette)
        background = colors.card_background
        if self._flash > 0:
            highlight = palette.color(QPalette.ColorRole.Highlight)
            background = mix(background, highlight, 0.25 * self._flash)
        if self._glow > 0:
            background = mix(background, QColor(LEVEL_UP_COLOR), 0.2 * self._glow)
        inside = self._inside()
        if inside.contains(event.rect()):
            # Behind a child that changed (the usual repaint under load): the antialiased
            # card shape is solid background there, so a plain fill gives the same pixels
            # at a fraction of the cost.
            painter.fillRect(event.rect(), background)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self._card_rect()
        border = (
            palette.color(QPalette.ColorRole.Highlight) if self.selected else colors.card_border
        )
        width = 2.0 if self.selected else 1.0
        if self._glow > 0:
            gold = QColor(LEVEL_UP_COLOR)
            border = mix(border, gold, min(1.0, 1.5 * self._glow))
            width = max(width, 1.0 + 1.5 * self._glow)
        painter.setPen(QPen(border, width))
        painter.setBrush(background)
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
        # A bar in the status colour down the left edge: the grid reads at a glance. Drawn as
        # its own rounded bar (no clip path: clipping every card made a 100-card frame slow).
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style_for(self.pane.status).color_for(colors.dark))
        painter.drawRoundedRect(self._status_bar(), 2, 2)
