"""The tray icon: overall state by shape, counts in the tooltip, a menu rebuilt when opened."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Protocol

from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from desktop.core.model import LOCAL_HOST, PaneState, Status
from desktop.core.usage.status_reader import PlanLimits
from desktop.ui.bridge import Bridge
from desktop.ui.card import PLACEHOLDER_NAME
from desktop.ui.cost_alert import cost_text
from desktop.ui.i18n import tr
from desktop.ui.plan_limits import limits_text
from desktop.ui.resources import svg_icon
from desktop.ui.safe_text import menu_text
from desktop.ui.theme import style_for


class Overall(StrEnum):
    """What the tray icon's shape says about all panes together."""

    NONE = "none"  # no Claude pane at all
    IDLE = "idle"  # panes, none working or waiting
    WORKING = "working"  # at least one working, nobody waiting
    NEEDS_INPUT = "needs-input"  # someone waits for the person (a question or a failed turn)


def overall_state(panes: Iterable[PaneState]) -> Overall:
    statuses = [p.status for p in panes if p.alive]
    if not statuses:
        return Overall.NONE
    if any(s in (Status.NEEDS_INPUT, Status.ERROR) for s in statuses):
        return Overall.NEEDS_INPUT
    if Status.WORKING in statuses:
        return Overall.WORKING
    return Overall.IDLE


def tooltip_text(
    panes: Iterable[PaneState], today_cost: float | None = None, limits: PlanLimits | None = None
) -> str:
    """`claude-rpg: 1 needs input · 2 working · 3 idle` (zero counts left out), then today's
    estimated cost when there is usage data, then the plan's limits when Claude sent them."""
    alive = [p for p in panes if p.alive]
    cost = (
        "\n" + tr("Today: about {} (estimate)").format(cost_text(today_cost))
        if today_cost is not None
        else ""
    )
    plan = limits_text(limits)
    cost += f"\n{plan}" if plan else ""
    if not alive:
        return "claude-rpg: no Claude sessions in tmux" + cost
    order = (Status.NEEDS_INPUT, Status.ERROR, Status.WORKING, Status.IDLE, Status.UNKNOWN)
    parts = []
    for status in order:
        n = sum(1 for p in alive if p.status is status)
        if n:
            parts.append(f"{n} {style_for(status).word}")
    return "claude-rpg: " + " · ".join(parts) + cost


def pane_label(pane: PaneState) -> str:
    """A menu entry: `Brave Otter — working (main:1.0)`, shown as written (`&` included)."""
    name = pane.persona.name if pane.persona else PLACEHOLDER_NAME
    where = pane.target if pane.host == LOCAL_HOST else f"{pane.host} · {pane.target}"
    return menu_text(f"{name} — {style_for(pane.status).word} ({where})")


class TrayIconLike(Protocol):
    """What the controller needs of a tray icon (QSystemTrayIcon, or a test's fake)."""

    @property
    def activated(self) -> SignalInstance: ...

    def setIcon(self, icon: QIcon) -> None: ...
    def setToolTip(self, tip: str) -> None: ...
    def setContextMenu(self, menu: QMenu) -> None: ...
    def show(self) -> None: ...
    def hide(self) -> None: ...


class TrayController(QObject):
    """Keeps the tray icon, tooltip and menu in step with the panes the bridge reports."""

    pane_requested = Signal(str)  # a pane entry was clicked: show the window, highlight it
    toggle_requested = Signal()
    leaderboard_requested = Signal()
    quit_requested = Signal()

    def __init__(
        self,
        bridge: Bridge,
        icon: TrayIconLike,
        window_visible: Callable[[], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.icon = icon
        self.window_visible = window_visible
        self.panes: dict[str, PaneState] = {p.pane_id: p for p in bridge.panes()}
        self.state: Overall | None = None
        self.menu = QMenu()
        self.menu.setToolTipsVisible(True)  # a host's heading holds its whole problem sentence
        self.menu.aboutToShow.connect(self.rebuild_menu)
        icon.setContextMenu(self.menu)
        icon.activated.connect(self._on_activated)
        bridge.pane_changed.connect(self._on_pane)
        bridge.pane_removed.connect(self._on_removed)
        self.today_cost = bridge.today_cost()
        bridge.usage_changed.connect(self._on_usage)
        self.rebuild_menu()
        self.refresh()

    def _on_pane(self, pane: PaneState) -> None:
        self.panes[pane.pane_id] = pane
        self.refresh()

    def _on_removed(self, pane_id: str) -> None:
        self.panes.pop(pane_id, None)
        self.refresh()

    def _on_usage(self) -> None:
        self.today_cost = self.bridge.today_cost()
        self.refresh()

    def refresh(self) -> None:
        """Icon and tooltip; the icon is only swapped when the overall state changes."""
        panes = list(self.panes.values())
        state = overall_state(panes)
        if state is not self.state:
            self.state = state
            self.icon.setIcon(svg_icon(f"tray-{state.value}"))
        self.icon.setToolTip(tooltip_text(panes, self.today_cost, self.bridge.plan_limits()))

    def rebuild_menu(self) -> None:
        """One entry per pane, then Leaderboard, Show/Hide and Quit (built when the menu opens)."""
        self.menu.clear()
        # This machine's panes first, then each remote host's under its own heading, which
        # says the host's problem (a host in trouble has its heading even with no pane).
        panes = sorted(
            self.panes.values(),
            key=lambda p: (p.host != LOCAL_HOST, p.host, p.target, p.pane_id),
        )
        headings = {h.name: h for h in self.bridge.hosts()}
        hosts = {p.host for p in panes if p.host != LOCAL_HOST}
        hosts |= {name for name, h in headings.items() if h.words}
        for pane in (p for p in panes if p.host == LOCAL_HOST):
            self._add_pane(pane)
        for host in sorted(hosts):
            heading = headings.get(host)
            title = f"on {host}"
            if heading is not None and heading.words:
                title += f" — {tr(heading.words)}"
            section = self.menu.addSection(menu_text(title))
            section.setToolTip(heading.sentence if heading is not None else "")
            for pane in (p for p in panes if p.host == host):
                self._add_pane(pane)
        if not panes:
            empty = self.menu.addAction("No Claude sessions in tmux")
            empty.setEnabled(False)
        self.menu.addSeparator()
        self.leaderboard_action = self.menu.addAction("Leaderboard")
        self.leaderboard_action.triggered.connect(self.leaderboard_requested.emit)
        self.toggle_action = self.menu.addAction(
            "Hide window" if self.window_visible() else "Show window"
        )
        self.toggle_action.triggered.connect(self.toggle_requested.emit)
        self.quit_action = self.menu.addAction("Quit")
        self.quit_action.triggered.connect(self.quit_requested.emit)

    def _add_pane(self, pane: PaneState) -> None:
        action = self.menu.addAction(pane_label(pane))
        style = style_for(pane.status)
        action.setIcon(svg_icon(style.icon, style.color(self.menu.palette())))
        action.setData(pane.pane_id)
        action.triggered.connect(lambda _=False, pid=pane.pane_id: self.pane_requested.emit(pid))

    def pane_actions(self) -> list[QAction]:
        return [a for a in self.menu.actions() if a.data()]

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_requested.emit()


def make_tray_icon(parent: QWidget | None = None) -> QSystemTrayIcon | None:
    """A real tray icon, or None where no tray host exists (offscreen, some desktops)."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    return QSystemTrayIcon(parent)
