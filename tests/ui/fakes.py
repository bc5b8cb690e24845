"""UI-layer fakes: a bridge fed by hand, a tray icon, a notification recorder; sample data."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from desktop.core.model import ChallengeInfo, PaneState, PersonaInfo, Status
from desktop.core.progression.badges import ACHIEVEMENTS
from desktop.core.progression.levels import level_for_xp, level_progress
from desktop.core.progression.page import STAT_LABELS
from desktop.core.progression.views import (
    BadgeInfo,
    LeaderboardEntry,
    LockedBadge,
    PersonaPage,
    ProgressUpdate,
    SessionLink,
    Stat,
    XpPoint,
)
from desktop.core.remote.heading import HostHeading
from desktop.core.usage.status_reader import PlanLimits
from desktop.core.usage.views import PersonaUsage, UsageDay
from desktop.ui.bridge import Bridge, SessionEvent
from desktop.ui.notify import Notice


class FakeBridge(Bridge):
    """A bridge whose panes and events the test sets; it emits the real bridge's signals."""

    def __init__(self, panes: list[PaneState] | None = None) -> None:
        super().__init__()
        self._panes: dict[str, PaneState] = {p.pane_id: p for p in panes or []}
        self.pages: dict[int, PersonaPage] = {}  # what persona_page() answers
        self.board: list[LeaderboardEntry] = []  # what leaderboard() answers, in this order
        self.page_reads = 0
        self.board_reads = 0
        self.cost: float | None = None  # what today_cost() answers
        self.limits: PlanLimits | None = None  # what plan_limits() answers
        self.usage: dict[int, tuple[PersonaUsage, list[UsageDay]]] = {}  # persona_usage()
        self.headings: list[HostHeading] = []  # what hosts() answers

    def hosts(self) -> list[HostHeading]:
        return self.headings

    def set_hosts(self, *headings: HostHeading) -> None:
        """The remote hosts' headings changed: emit hosts_changed as the core bridge does."""
        self.headings = list(headings)
        self.hosts_changed.emit()

    def today_cost(self) -> float | None:
        return self.cost

    def plan_limits(self) -> PlanLimits | None:
        return self.limits

    def set_limits(self, limits: PlanLimits | None) -> None:
        """Claude's status line reported the plan's windows: emit usage_changed."""
        self.limits = limits
        self.usage_changed.emit()

    def set_cost(self, cost: float | None) -> None:
        """Today's cost moved (a transcript was read): emit usage_changed as the core does."""
        self.cost = cost
        self.usage_changed.emit()

    def persona_usage(self, persona_id: int, days: int = 14) -> tuple[PersonaUsage, list[UsageDay]]:
        return self.usage.get(persona_id, (PersonaUsage(), []))

    def persona_page(self, persona_id: int) -> PersonaPage | None:
        self.page_reads += 1
        return self.pages.get(persona_id)

    def leaderboard(self, limit: int = 100) -> list[LeaderboardEntry]:
        self.board_reads += 1
        return self.board[:limit]

    def progress(self, page: PersonaPage, level_before: int | None = None) -> ProgressUpdate:
        """Store the persona's new page and emit progress_changed as the core bridge does."""
        old = self.pages.get(page.persona.id)
        self.pages[page.persona.id] = page
        update = ProgressUpdate(
            persona=page.persona,
            xp_gained=page.persona.xp - (old.persona.xp if old else 0),
            level_before=level_before if level_before is not None else page.persona.level,
            badges_earned=tuple(b for b in page.badges if old is None or b not in old.badges),
            challenges_completed=(),
            challenges_moved=True,
        )
        self.progress_changed.emit(update)
        return update

    def panes(self) -> list[PaneState]:
        return list(self._panes.values())

    def put(self, pane: PaneState) -> PaneState:
        self._panes[pane.pane_id] = pane
        self.pane_changed.emit(pane)
        return pane

    def update(self, pane_id: str, **changes: object) -> PaneState:
        pane = self._panes[pane_id]
        if "status" in changes and changes["status"] != pane.status:
            changes.setdefault("status_since", datetime.now(UTC))
        return self.put(dataclasses.replace(pane, **changes))  # type: ignore[arg-type]

    def remove(self, pane_id: str) -> None:
        self._panes.pop(pane_id, None)
        self.pane_removed.emit(pane_id)

    def hook_event(self, name: str, pane_id: str, detail: str = "") -> SessionEvent:
        """Emit event_received as the core bridge does for a stored hook event."""
        pane = self._panes.get(pane_id)
        event = SessionEvent(
            name=name,
            session_id=pane.session_id if pane and pane.session_id else "s-" + pane_id,
            pane_id=pane_id,
            pane=pane,
            persona_name=pane.persona.name if pane and pane.persona else None,
            detail=detail,
        )
        self.event_received.emit(event)
        return event


class FakeTrayIcon(QObject):
    """Stands in for QSystemTrayIcon where no tray host exists; records what it was given."""

    activated = Signal(QSystemTrayIcon.ActivationReason)
    messageClicked = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.icon: QIcon | None = None
        self.icons_set = 0
        self.tooltip = ""
        self.menu: QMenu | None = None
        self.visible = False

    def setIcon(self, icon: QIcon) -> None:
        self.icon = icon
        self.icons_set += 1

    def setToolTip(self, tip: str) -> None:
        self.tooltip = tip

    def setContextMenu(self, menu: QMenu) -> None:
        self.menu = menu

    def show(self) -> None:
        self.visible = True

    def hide(self) -> None:
        self.visible = False


class RecordingNotifications(QObject):
    """A notification service that keeps every notice it is asked to show."""

    clicked = Signal(str)

    def __init__(self, available: bool = True) -> None:
        super().__init__()
        self.is_available = available
        self.notices: list[Notice] = []

    def available(self) -> bool:
        return self.is_available

    def show(self, notice: Notice) -> bool:
        self.notices.append(notice)
        return True


def persona(session_id: str, name: str, xp: int = 0, level: int = 1) -> PersonaInfo:
    return PersonaInfo(
        id=int(hashlib.sha256(session_id.encode()).hexdigest()[:6], 16),
        session_id=session_id,
        name=name,
        avatar_seed=hashlib.sha256(session_id.encode()).hexdigest(),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        xp=xp,
        level=level,
    )


def pane(
    number: int,
    status: Status = Status.UNKNOWN,
    who: PersonaInfo | None = None,
    cwd: str = "/home/dev/project",
    detail: str = "",
    last_event: str | None = None,
    age: timedelta = timedelta(0),
    session: str = "work",
) -> PaneState:
    return PaneState(
        pane_id=f"%{number}",
        target=f"{session}:{number}.0",
        cwd=cwd,
        pane_pid=1000 + number,
        claude_pid=2000 + number,
        status=status,
        status_detail=detail,
        status_since=datetime.now(UTC) - age,
        session_id=who.session_id if who else None,
        persona=who,
        last_event=last_event,
    )


def challenge(
    cid: int,
    title: str,
    description: str,
    progress: int,
    target: int,
    completed_at: datetime | None = None,
) -> ChallengeInfo:
    return ChallengeInfo(cid, title.lower(), title, description, progress, target, completed_at)


def page_for(
    who: PersonaInfo,
    challenges: tuple[ChallengeInfo, ...] = (),
    badges: tuple[BadgeInfo, ...] = (),
    sessions: tuple[SessionLink, ...] = (),
    counters: dict[str, int] | None = None,
    history: tuple[XpPoint, ...] | None = None,
) -> PersonaPage:
    """A persona page as the core would read it, from the parts a test cares about."""
    earned = {b.key for b in badges}
    start = who.created_at
    return PersonaPage(
        persona=who,
        level=level_progress(who.xp),
        stats=tuple(Stat(k, label, (counters or {}).get(k, 0)) for k, label in STAT_LABELS),
        challenges=challenges,
        badges=badges,
        locked_badges=tuple(
            LockedBadge(a.key, a.title, a.description) for a in ACHIEVEMENTS if a.key not in earned
        ),
        xp_history=history
        if history is not None
        else ((XpPoint(start + timedelta(minutes=5), who.xp),) if who.xp else ()),
        sessions=sessions or (SessionLink(who.session_id, "created", start),),
        best_streak=1,
        longest_session_s=0.0,
    )


def entry(rank: int, who: PersonaInfo, badges: int = 0) -> LeaderboardEntry:
    return LeaderboardEntry(rank, who, badges)


def leveled(who: PersonaInfo, xp: int) -> PersonaInfo:
    """The persona with `xp` and the level the curve gives it."""
    return dataclasses.replace(who, xp=xp, level=level_for_xp(xp))


def dark_palette() -> QPalette:
    """A dark theme's palette (light text on a dark base), as a desktop in dark mode sets."""
    palette = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, "#1e1f24"),
        (QPalette.ColorRole.WindowText, "#e6e6ea"),
        (QPalette.ColorRole.Base, "#26282e"),
        (QPalette.ColorRole.Text, "#e6e6ea"),
    ):
        palette.setColor(role, QColor(color))
    return palette
