"""The leaderboard: every persona by XP, with its rank, level and badges; a row opens its page."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop.core.model import LOCAL_HOST, PaneState
from desktop.core.progression.levels import level_progress
from desktop.core.progression.views import LeaderboardEntry
from desktop.ui.bridge import Bridge
from desktop.ui.i18n import tr
from desktop.ui.page_parts import (
    ShownRefresh,
    Tile,
    muted_label,
    page_scroll_area,
    scaled_font,
    star_path,
)
from desktop.ui.theme import LEVEL_UP_COLOR, card_border, muted_text
from desktop.ui.widgets import AvatarView, ElidedLabel, ProgressStrip

REFRESH_MS = 300  # XP moves with every tool call: the board is read at most this often
LIMIT = 100
MEDALS = {1: "#f59e0b", 2: "#94a3b8", 3: "#b45309"}  # gold, silver, bronze
EMPTY_TEXT = (
    "No personas yet. Each Claude session in tmux becomes one with its first hook event; "
    "if none arrive, install the hooks with `claude-rpg hooks install`."
)


class RankBadge(QWidget):
    """The rank in a circle: gold, silver and bronze for the first three."""

    def __init__(self, rank: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rank = 0
        self.setFixedSize(34, 34)
        self.setFont(scaled_font(self, 1.05, bold=True))
        self.set_rank(rank)

    def set_rank(self, rank: int) -> None:
        if rank != self.rank:
            self.rank = rank
            self.setAccessibleName(f"rank {rank}")
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        rect = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        medal = MEDALS.get(self.rank)
        if medal is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(medal))
            painter.drawEllipse(rect)
            painter.setPen(QColor("#ffffff"))
        else:
            painter.setPen(card_border(palette))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(rect)
            painter.setPen(muted_text(palette))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(self.rank))


class BadgeCount(QWidget):
    """A star and how many badges: zero shows a hollow grey star."""

    def __init__(self, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.count = -1
        self.setFixedSize(52, 24)
        self.set_count(count)

    def set_count(self, count: int) -> None:
        if count != self.count:
            self.count = count
            self.setToolTip(f"{count} badge{'s' if count != 1 else ''}")
            self.setAccessibleName(self.toolTip())
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        gold = QColor(LEVEL_UP_COLOR)
        color = gold if self.count else muted_text(self.palette())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawPath(star_path(QPointF(10, self.height() / 2), 8.0))
        painter.setPen(self.palette().color(self.foregroundRole()))
        text_rect = QRectF(self.rect()).adjusted(24, 0, 0, 0)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter, str(self.count))


class LeaderboardRow(Tile):
    """One place on the board; refreshes give it the entry now there (rows are reused)."""

    activated = Signal(int)  # persona id
    remote_activated = Signal(str, str)  # a remote host's persona: host, session id

    def __init__(
        self, entry: LeaderboardEntry, pane: PaneState | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.entry = entry
        self.rank = RankBadge(entry.rank)
        self.avatar = AvatarView(40)
        self.name = ElidedLabel()
        self.name.setFont(scaled_font(self, 1.1, bold=True))
        self.detail = muted_label()
        self.bar = ProgressStrip(6)
        self.xp = QLabel()
        self.xp.setFont(scaled_font(self, 1.1, bold=True))
        self.xp.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.xp.setMinimumWidth(self.xp.fontMetrics().horizontalAdvance("00,000 XP"))
        self.badges = BadgeCount(entry.badges)
        # Hidden on a remote persona's row, its place kept: the XP bars stay aligned.
        policy = self.badges.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.badges.setSizePolicy(policy)
        who = QVBoxLayout()
        who.setSpacing(3)
        who.addWidget(self.name)
        who.addWidget(self.detail)
        who.addWidget(self.bar)
        box = QHBoxLayout(self)
        box.setContentsMargins(12, 8, 14, 8)
        box.setSpacing(12)
        box.addWidget(self.rank)
        box.addWidget(self.avatar)
        box.addLayout(who, 1)
        box.addWidget(self.badges)
        box.addWidget(self.xp)
        self.setToolTip("Double-click to open this persona's page")
        self.show_entry(entry, pane)

    def show_entry(self, entry: LeaderboardEntry, pane: PaneState | None) -> None:
        self.entry = entry
        persona = entry.persona
        progress = level_progress(persona.xp)
        self.rank.set_rank(entry.rank)
        self.avatar.set_seed(persona.avatar_seed)
        self.name.setText(persona.name)
        where = f" · in {pane.target}" if pane is not None else ""
        remote = persona.host != LOCAL_HOST
        host = tr(" · on {}").format(persona.host) if remote else ""
        # A remote persona's level is its host's word (the host computes its XP).
        level = persona.level if remote else progress.level
        self.detail.setText(f"Level {level}{host}{where}")
        self.bar.set_fraction(progress.fraction)
        self.bar.setToolTip(
            f"{persona.xp - progress.level_xp:,} / {progress.next_level_xp - progress.level_xp:,}"
            f" XP to level {progress.level + 1}"
        )
        self.xp.setText(f"{persona.xp:,} XP")
        self.badges.set_count(entry.badges)
        # Its badges are kept on its host: no count rather than a wrong zero.
        self.badges.setVisible(not remote)
        self.setAccessibleName(
            f"rank {entry.rank}: {persona.name}, level {level}, {persona.xp} XP, "
            + (tr("on host {}").format(persona.host) if remote else f"{entry.badges} badges")
        )

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            persona = self.entry.persona
            if persona.host == LOCAL_HOST:
                self.activated.emit(persona.id)
            else:
                self.remote_activated.emit(persona.host, persona.session_id)
        super().mouseDoubleClickEvent(event)


class LeaderboardDialog(QDialog):
    """Personas by XP; it follows progress while open, and a row opens the persona's page."""

    persona_activated = Signal(int)
    remote_persona_activated = Signal(str, str)  # host, session id: its key here

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.rows: list[LeaderboardRow] = []
        self.setModal(False)
        self.setWindowTitle("Leaderboard — claude-rpg")
        title = QLabel("Leaderboard")
        title.setFont(scaled_font(self, 1.5, bold=True))
        subtitle = muted_label("Personas by XP. Double-click one to open its page.")
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setWordWrap(True)
        self.list = QWidget()
        self.list_box = QVBoxLayout(self.list)
        self.list_box.setContentsMargins(0, 0, 0, 0)
        self.list_box.setSpacing(8)
        self.list_box.addStretch(1)
        self.scroll_area = page_scroll_area()
        self.scroll_area.setWidget(self.list)
        box = QVBoxLayout(self)
        box.setContentsMargins(20, 16, 20, 20)
        box.setSpacing(6)
        box.addWidget(title)
        box.addWidget(subtitle)
        box.addSpacing(6)
        box.addWidget(self.empty)
        box.addWidget(self.scroll_area, 1)
        self.refresher = ShownRefresh(self, REFRESH_MS, self.refresh)
        bridge.progress_changed.connect(lambda _update: self.refresher.request())
        bridge.remote_personas_changed.connect(self.refresher.request)
        self.resize(560, 640)
        self.refresh()

    def refresh(self) -> None:
        """Read the board again; rows are reused, made or dropped only as the count changes."""
        self.refresher.refreshed()
        entries = self.bridge.leaderboard(LIMIT)
        on_panes = {
            (p.persona.host, p.persona.id): p for p in self.bridge.panes() if p.persona and p.alive
        }
        while len(self.rows) > len(entries):
            row = self.rows.pop()
            self.list_box.removeWidget(row)
            row.deleteLater()
        for row, entry in zip(self.rows, entries, strict=False):
            row.show_entry(entry, on_panes.get((entry.persona.host, entry.persona.id)))
        for entry in entries[len(self.rows) :]:
            row = LeaderboardRow(entry, on_panes.get((entry.persona.host, entry.persona.id)))
            row.activated.connect(self.persona_activated)
            row.remote_activated.connect(self.remote_persona_activated)
            # Before the stretch that keeps a short board at the top.
            self.list_box.insertWidget(len(self.rows), row)
            self.rows.append(row)
        self.empty.setVisible(not self.rows)
        self.scroll_area.setVisible(bool(self.rows))
