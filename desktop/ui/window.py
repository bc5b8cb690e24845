"""The main window: a problem banner over the card grid; closing it hides it to the tray.

It also owns the progression windows: a persona's page (double-click a card) and the
leaderboard (View menu, tray menu).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QColor,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
)
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from desktop.config import GROUPINGS
from desktop.core.model import LOCAL_HOST, PersonaInfo
from desktop.ui.bridge import Bridge
from desktop.ui.grid import CardGrid
from desktop.ui.i18n import tr
from desktop.ui.leaderboard import LeaderboardDialog
from desktop.ui.persona_page import PersonaPageDialog, RemotePersonaPageDialog
from desktop.ui.plan_limits import DEFAULT_PLAN_WARN, PlanLimitsStrip
from desktop.ui.project_page import ProjectPageDialog, ProjectsDialog
from desktop.ui.resources import svg_icon
from desktop.ui.safe_text import plain_label
from desktop.ui.search import SearchBar
from desktop.ui.theme import mix
from desktop.ui.today import TodayDialog


class ProblemBanner(QLabel):
    """A sentence about what is wrong and what to do; hidden when all is well."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        plain_label(self)  # a problem quotes tmux, paths and errors: never rich text
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setContentsMargins(14, 8, 14, 8)
        self.hide()

    def set_problem(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))

    def paintEvent(self, event: QPaintEvent) -> None:
        # Tinted at paint time, so a switch between light and dark follows at once.
        window = self.palette().color(QPalette.ColorRole.Window)
        QPainter(self).fillRect(self.rect(), mix(window, QColor("#d97706"), 0.25))
        super().paintEvent(event)


class MainWindow(QMainWindow):
    """Everything the person watches: the grid of pane cards."""

    quit_requested = Signal()  # closing with no tray to come back from ends the app
    grouping_changed = Signal(str)  # the View menu's choice, for the settings to remember

    def __init__(self, bridge: Bridge, hide_on_close: bool = True) -> None:
        super().__init__()
        self.bridge = bridge
        self.hide_on_close = hide_on_close
        self.persona_pages: dict[int, PersonaPageDialog] = {}
        # Remote hosts' personas by (host, session id), their key here.
        self.remote_persona_pages: dict[tuple[str, str], RemotePersonaPageDialog] = {}
        self.leaderboard: LeaderboardDialog | None = None
        self.project_pages: dict[str, ProjectPageDialog] = {}
        self.projects_list: ProjectsDialog | None = None
        self.today: TodayDialog | None = None
        self.setWindowTitle("claude-rpg")
        self.setWindowIcon(svg_icon("app"))
        self.banner = ProblemBanner()
        # The plan's limits (Pro/Max, from Claude's status line): shown only when reported.
        self.plan_limits = PlanLimitsStrip(bridge, warn_at=lambda: DEFAULT_PLAN_WARN)
        self.grid = CardGrid(bridge)
        self.search = SearchBar()
        self.search.query_changed.connect(self.grid.set_query)
        self.search.closed.connect(self.grid.setFocus)
        self.grid.filtered.connect(self.search.set_counts)
        central = QWidget()
        box = QVBoxLayout(central)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.banner)
        box.addWidget(self.plan_limits)
        box.addWidget(self.search)
        box.addWidget(self.grid, 1)
        self.setCentralWidget(central)
        self.resize(1100, 720)
        bridge.problem_changed.connect(self.banner.set_problem)
        self.banner.set_problem(bridge.problem)
        self.grid.persona_activated.connect(self.open_persona_page)
        self.grid.remote_persona_activated.connect(self.open_remote_persona_page)
        self.grid.project_activated.connect(self.open_project_page)
        self.grid.selection_changed.connect(self._selection_changed)
        self._build_view_menu()

    def _build_view_menu(self) -> None:
        self.leaderboard_action = QAction("Leaderboard", self)
        self.leaderboard_action.setShortcut(QKeySequence("Ctrl+L"))
        self.leaderboard_action.triggered.connect(self.show_leaderboard)
        # The keyboard's way to what a double click on a card opens.
        self.persona_page_action = QAction("Persona page of the selected card", self)
        self.persona_page_action.setShortcut(QKeySequence("Ctrl+P"))
        self.persona_page_action.setEnabled(False)
        self.persona_page_action.triggered.connect(self._open_selected_persona)
        self.search_action = QAction(tr("Search and filter…"), self)
        self.search_action.setShortcut(QKeySequence("Ctrl+F"))
        self.search_action.triggered.connect(self.search.open)
        self.project_page_action = QAction(tr("Project page of the selected card"), self)
        self.project_page_action.setShortcut(QKeySequence("Ctrl+J"))
        self.project_page_action.setEnabled(False)
        self.project_page_action.triggered.connect(self._open_selected_project)
        self.projects_action = QAction(tr("Projects"), self)
        self.projects_action.setShortcut(QKeySequence("Ctrl+Shift+P"))
        self.projects_action.triggered.connect(self.show_projects)
        self.today_action = QAction(tr("Today"), self)
        self.today_action.setShortcut(QKeySequence("Ctrl+T"))
        self.today_action.triggered.connect(self.show_today)
        menu = self.menuBar().addMenu("&View")
        menu.addActions(
            [
                self.leaderboard_action,
                self.persona_page_action,
                self.projects_action,
                self.project_page_action,
                self.today_action,
                self.search_action,
            ]
        )
        menu.addSeparator()
        self.grouping_actions = QActionGroup(self)
        self.grouping_actions.setExclusive(True)
        for mode, words in GROUPINGS.items():
            action = QAction(tr(words), self)
            action.setCheckable(True)
            action.setChecked(mode == self.grid.grouping)
            action.setData(mode)
            action.triggered.connect(lambda _=False, m=mode: self.set_grouping(m))
            self.grouping_actions.addAction(action)
            menu.addAction(action)

    def set_grouping(self, mode: str) -> None:
        """Group the grid by project, tmux session or not at all; the menu follows."""
        for action in self.grouping_actions.actions():
            action.setChecked(action.data() == mode)
        if mode != self.grid.grouping:
            self.grid.set_grouping(mode)
            self.grouping_changed.emit(mode)

    def _selected_persona(self) -> tuple[str, PersonaInfo] | None:
        """The selected card's host and persona."""
        pane_id = self.grid.selected_pane_id
        card = self.grid.card_for(pane_id) if pane_id is not None else None
        persona = card.pane.persona if card is not None else None
        return (card.pane.host, persona) if card is not None and persona is not None else None

    def _selected_project(self) -> str | None:
        pane_id = self.grid.selected_pane_id
        card = self.grid.card_for(pane_id) if pane_id is not None else None
        if card is None or card.pane.host != LOCAL_HOST:
            return None
        project = card.pane.project
        return project.id if project is not None else None

    def _selection_changed(self, _pane_id: str) -> None:
        self.persona_page_action.setEnabled(self._selected_persona() is not None)
        self.project_page_action.setEnabled(self._selected_project() is not None)

    def _open_selected_project(self) -> None:
        project_id = self._selected_project()
        if project_id is not None:
            self.open_project_page(project_id)

    def open_project_page(self, project_id: str) -> ProjectPageDialog:
        """Show the project's page (one window per project), read afresh."""
        page = self.project_pages.get(project_id)
        if page is None:
            page = ProjectPageDialog(self.bridge, project_id, self)
            page.persona_activated.connect(self.open_persona_page)
            self.project_pages[project_id] = page
        else:
            page.refresh()
        _bring_up(page)
        return page

    def show_projects(self) -> ProjectsDialog:
        """Show the list of projects (one window), read afresh."""
        if self.projects_list is None:
            self.projects_list = ProjectsDialog(self.bridge, self)
            self.projects_list.project_activated.connect(self.open_project_page)
        else:
            self.projects_list.refresh()
        _bring_up(self.projects_list)
        return self.projects_list

    def show_today(self) -> TodayDialog:
        """Show the Today view (one window), read afresh."""
        if self.today is None:
            self.today = TodayDialog(self.bridge, self)
        else:
            self.today.refresh()
        _bring_up(self.today)
        return self.today

    def _open_selected_persona(self) -> None:
        selected = self._selected_persona()
        if selected is None:
            return
        host, persona = selected
        if host == LOCAL_HOST:
            self.open_persona_page(persona.id)
        else:
            self.open_remote_persona_page(host, persona.session_id)

    def open_persona_page(self, persona_id: int) -> PersonaPageDialog:
        """Show the persona's page (one window per persona), read afresh."""
        page = self.persona_pages.get(persona_id)
        if page is None:
            page = PersonaPageDialog(self.bridge, persona_id, self)
            self.persona_pages[persona_id] = page
        else:
            page.refresh()
        page.show()
        page.raise_()
        page.activateWindow()
        return page

    def open_remote_persona_page(self, host: str, session_id: str) -> RemotePersonaPageDialog:
        """Show what this desktop has of a remote host's persona (one window per persona)."""
        page = self.remote_persona_pages.get((host, session_id))
        if page is None:
            page = RemotePersonaPageDialog(self.bridge, host, session_id, self)
            self.remote_persona_pages[(host, session_id)] = page
        else:
            page.refresh()
        _bring_up(page)
        return page

    def show_leaderboard(self) -> LeaderboardDialog:
        """Show the leaderboard (one window), read afresh."""
        if self.leaderboard is None:
            self.leaderboard = LeaderboardDialog(self.bridge, self)
            self.leaderboard.persona_activated.connect(self.open_persona_page)
            self.leaderboard.remote_persona_activated.connect(self.open_remote_persona_page)
        else:
            self.leaderboard.refresh()
        self.leaderboard.show()
        self.leaderboard.raise_()
        self.leaderboard.activateWindow()
        return self.leaderboard

    def show_and_raise(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def toggle(self) -> None:
        if self.isVisible() and not self.isMinimized():
            self.hide()
        else:
            self.show_and_raise()

    def highlight(self, pane_id: str) -> bool:
        """Show the window and point at the pane's card."""
        self.show_and_raise()
        return self.grid.highlight(pane_id)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.hide_on_close:
            event.ignore()
            self.hide()
        else:
            event.accept()
            self.quit_requested.emit()


def _bring_up(window: QWidget) -> None:
    window.show()
    window.raise_()
    window.activateWindow()
