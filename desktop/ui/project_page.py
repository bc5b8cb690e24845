"""A project's page (who worked there and their XP share, top tools, commits and test runs,
the current streak, recent sessions, each worktree's git state), and the Projects list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop.core.model import PaneProject, PaneState
from desktop.core.projects.views import PAGE_DAYS, WORK_DAYS, ProjectView, duration
from desktop.ui.bridge import Bridge
from desktop.ui.i18n import tr
from desktop.ui.page_parts import (
    PageDialog,
    SectionTitle,
    ShownRefresh,
    StatTile,
    Tile,
    local_time,
    muted_label,
    page_scroll_area,
    scaled_font,
)
from desktop.ui.safe_text import plain_label
from desktop.ui.text import project_text
from desktop.ui.widgets import ProgressStrip, set_tool_tip

STAT_COLUMNS = 4
REFRESH_MS = 2000  # a busy project logs many events: its page is read again at most this often


def plural(count: int, one: str, many: str) -> str:
    return tr(one if count == 1 else many).format(n=count)


def calls(count: int) -> str:
    return plural(count, "{n} call", "{n} calls")


class PersonaShareRow(Tile):
    """A persona who worked in the project: name, XP there and its share of the project's XP.
    Double-click opens the persona's page."""

    activated = Signal(int)

    def __init__(self, persona_id: int, name: str, xp: int, share: float) -> None:
        super().__init__()
        self.persona_id = persona_id
        self.name = plain_label(QLabel(name))
        self.name.setFont(scaled_font(self, 1.0, bold=True))
        self.share = ProgressStrip(8)
        self.share.set_fraction(share)
        self.amount = QLabel(
            tr("{xp} XP · {share}%").format(xp=f"{xp:,}", share=round(100 * share))
        )
        box = QHBoxLayout(self)
        box.setContentsMargins(12, 8, 12, 8)
        box.setSpacing(12)
        box.addWidget(self.name, 2)
        box.addWidget(self.share, 3, Qt.AlignmentFlag.AlignVCenter)
        box.addWidget(self.amount)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.activated.emit(self.persona_id)
        super().mouseDoubleClickEvent(event)


def worktree_line(path: str, view: ProjectView) -> str:
    """`main worktree · main ● ↑1` for a worktree the app shows now."""
    assert view.live is not None
    git = view.live.worktrees[path]
    pane = PaneState(
        "", "", path, project=PaneProject(view.id, view.name, view.live.root, path, git)
    )
    where = (
        tr("main worktree") if path == view.live.root else tr("worktree {path}").format(path=path)
    )
    shown = project_text(pane).split(" · ", 1)[-1]
    return f"{where} · {shown}"


class ProjectPageView(QWidget):
    """The page's contents for one ProjectView; rebuilt whenever the page is read again."""

    persona_activated = Signal(int)

    def __init__(self, view: ProjectView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        stats = view.stats
        box = QVBoxLayout(self)
        box.setContentsMargins(22, 18, 22, 22)
        box.setSpacing(8)
        self.name = plain_label(QLabel(view.name))
        self.name.setFont(scaled_font(self, 1.7, bold=True))
        box.addWidget(self.name)
        box.addWidget(muted_label(view.stats.key.root or tr("folders in no git repository")))
        self.worktrees = (
            [muted_label(worktree_line(path, view)) for path in sorted(view.live.worktrees)]
            if view.live is not None
            else []
        )
        for worktree in self.worktrees:
            box.addWidget(worktree)
        if view.panes:
            targets = ", ".join(p.target for p in view.panes)
            box.addWidget(muted_label(tr("Claude now in {targets}").format(targets=targets)))

        box.addWidget(SectionTitle(tr("In the last {days} days").format(days=PAGE_DAYS)))
        totals = stats.totals
        values = [
            (f"{totals.commits:,}", tr("Commits")),
            (f"{totals.test_runs:,}", tr("Test runs")),
            (f"{totals.turns:,}", tr("Turns")),
            (f"{totals.tool_calls:,}", tr("Tool calls")),
            (f"{totals.xp:,}", tr("XP earned here")),
            (plural(stats.streak_days, "{n} day", "{n} days"), tr("Current streak")),
            (duration(totals.working_s), tr("Claude working, {n} days").format(n=WORK_DAYS)),
            (duration(totals.waiting_s), tr("Waiting for you, {n} days").format(n=WORK_DAYS)),
            (f"{totals.tokens:,}", tr("Tokens")),
            (f"${totals.cost_usd:,.2f}", tr("Cost (estimated)")),
        ]
        self.stat_tiles = [StatTile(value, label) for value, label in values]
        grid = QGridLayout()
        grid.setSpacing(8)
        for i, tile in enumerate(self.stat_tiles):
            grid.addWidget(tile, i // STAT_COLUMNS, i % STAT_COLUMNS)
        box.addLayout(grid)

        box.addWidget(SectionTitle(tr("Team (share of the XP earned here)")))
        self.team_rows = [PersonaShareRow(p.id, p.name, p.xp, p.share) for p in stats.personas]
        for row in self.team_rows:
            row.activated.connect(self.persona_activated.emit)
            box.addWidget(row)
        if not self.team_rows:
            box.addWidget(muted_label(tr("No XP earned here yet.")))

        box.addWidget(SectionTitle(tr("Top tools")))
        tools = stats.tools.most_common(8)
        self.tool_labels = [
            plain_label(QLabel(tr("{tool}: {calls}").format(tool=tool, calls=calls(n))))
            for tool, n in tools
        ]
        for tool_label in self.tool_labels:
            box.addWidget(tool_label)
        if not tools:
            box.addWidget(muted_label(tr("No tool calls yet.")))

        box.addWidget(SectionTitle(tr("Recent sessions")))
        self.session_labels: list[QLabel] = []
        for line in stats.recent_sessions:
            when = local_time(datetime.fromtimestamp(line.last, UTC))
            text = tr("{who} · last active {when} · {turns}, {calls}").format(
                who=line.persona_name,
                when=when,
                turns=plural(line.turns, "{n} turn", "{n} turns"),
                calls=plural(line.tool_calls, "{n} tool call", "{n} tool calls"),
            )
            label = plain_label(QLabel(text))
            set_tool_tip(label, line.session_id)
            self.session_labels.append(label)
            box.addWidget(label)
        if not self.session_labels:
            box.addWidget(muted_label(tr("No sessions logged here yet.")))
        box.addStretch(1)


def missing_text(project_id: str) -> str:
    return tr(
        "No project has the id {id} any more: no pane works in it and the log of the last "
        "year has no event there. Close this page and open one from View → Projects."
    ).format(id=project_id)


class ProjectsRefresh(ShownRefresh):
    """Keeps a projects window current: each hook event asks for the log to be read again
    (at most once per REFRESH_MS while the window is shown), and each reading is shown."""

    def __init__(self, window: QWidget, bridge: Bridge, show_read: Callable[[], None]) -> None:
        super().__init__(window, REFRESH_MS, self.refresh)
        self.bridge = bridge
        bridge.event_received.connect(lambda _event: self.request())
        bridge.projects_read.connect(show_read)

    def refresh(self) -> None:
        """Have the log read again (off the loop); the window shows it when it is in."""
        self.refreshed()
        self.bridge.request_projects()


class ProjectPageDialog(PageDialog):
    """A window with one project's page; read again while open as events come in."""

    persona_activated = Signal(int)

    def __init__(self, bridge: Bridge, project_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.project_id = project_id
        self.content: ProjectPageView | None = None
        self.refresher = ProjectsRefresh(self, bridge, self.show_read)
        self.resize(760, 820)
        self.show_read()
        self.refresh()

    def refresh(self) -> None:
        """Have the log read again (off the loop); show_read() shows it when it is in."""
        self.refresher.refresh()

    def show_read(self) -> None:
        """Show the page as last read, keeping the scroll position."""
        view = self.bridge.project_view(self.project_id)
        if view is None:
            self.content = None
            known = self.bridge.projects_known
            self.show_problem(
                missing_text(self.project_id) if known else tr("Reading the log…"),
                tr("Project not found — claude-rpg"),
            )
            return
        self.content = ProjectPageView(view)
        self.content.persona_activated.connect(self.persona_activated.emit)
        self.show_page(self.content, tr("{name} — claude-rpg").format(name=view.name))


class ProjectRow(Tile):
    """A project in the list: name, where, what happened; double-click opens its page."""

    activated = Signal(str)

    def __init__(self, view: ProjectView) -> None:
        super().__init__()
        self.project_id = view.id
        totals = view.stats.totals
        self.name = plain_label(QLabel(view.name))
        self.name.setFont(scaled_font(self, 1.1, bold=True))
        live = tr(" · Claude working there now") if view.panes else ""
        self.where = muted_label(f"{view.stats.key.root}{live}")
        self.numbers = QLabel(
            tr("{xp} XP · {commits} · {tests} · streak {streak}").format(
                xp=f"{totals.xp:,}",
                commits=plural(totals.commits, "{n} commit", "{n} commits"),
                tests=plural(totals.test_runs, "{n} test run", "{n} test runs"),
                streak=plural(view.stats.streak_days, "{n} day", "{n} days"),
            )
        )
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 8, 12, 8)
        box.setSpacing(2)
        box.addWidget(self.name)
        box.addWidget(self.where)
        box.addWidget(self.numbers)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.activated.emit(self.project_id)
        super().mouseDoubleClickEvent(event)


class ProjectsDialog(QDialog):
    """Every project shown now or in the log, most XP first; double-click opens its page."""

    project_activated = Signal(str)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.setModal(False)
        self.setWindowTitle(tr("Projects — claude-rpg"))
        self.scroll_area = page_scroll_area()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.scroll_area)
        self.rows: list[ProjectRow] = []
        self.refresher = ProjectsRefresh(self, bridge, self.show_read)
        self.resize(620, 520)
        self.show_read()
        self.refresh()

    def refresh(self) -> None:
        """Have the log read again (off the loop); show_read() shows it when it is in."""
        self.refresher.refresh()

    def show_read(self) -> None:
        """Show the projects as last read."""
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(16, 16, 16, 16)
        box.setSpacing(8)
        self.rows = [ProjectRow(v) for v in self.bridge.projects() if v.id]
        for row in self.rows:
            row.activated.connect(self.project_activated.emit)
            box.addWidget(row)
        if not self.rows:
            empty = tr("No project yet: start claude in a git repository.")
            box.addWidget(
                muted_label(empty if self.bridge.projects_known else tr("Reading the log…"))
            )
        box.addStretch(1)
        self.scroll_area.setWidget(holder)
