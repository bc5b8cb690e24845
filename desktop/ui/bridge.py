"""The one bridge between the Qt-free core and the widgets: core observers in, Qt signals out."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.core.hooks.payload import IncomingEvent
from desktop.core.ingest import EventIngest, IngestResult
from desktop.core.model import PaneState, PersonaInfo
from desktop.core.panes import PaneRegistry
from desktop.core.progression.page import PersonaPages
from desktop.core.progression.service import ProgressionService
from desktop.core.progression.views import LeaderboardEntry, PersonaPage
from desktop.core.projects.identity import ProjectKey
from desktop.core.projects.service import ProjectService
from desktop.core.projects.views import ProjectStats, ProjectView, Report
from desktop.core.remote.heading import HostHeading
from desktop.core.remote.link import RemoteHosts
from desktop.core.usage.status_reader import PlanLimits
from desktop.core.usage.views import PersonaUsage, UsageDay

log = logging.getLogger(__name__)

PROBLEM_POLL_MS = 1000
# Pane changes wait at most a frame: cards then repaint at most 60 times a second.
FRAME_MS = 16


@dataclass(frozen=True)
class SessionEvent:
    """An accepted hook event as the UI needs it (for notifications), never a database row."""

    name: str
    session_id: str
    pane_id: str | None
    pane: PaneState | None
    persona_name: str | None
    detail: str = ""

    @property
    def who(self) -> str:
        """The persona's name, else the pane's target, else the session id's start."""
        if self.persona_name:
            return self.persona_name
        if self.pane is not None:
            return f"Claude in {self.pane.target}"
        return f"Claude session {self.session_id[:8]}"


def event_detail(event: IncomingEvent) -> str:
    """The words a notification says about an event (tool asked for, or Claude's last words)."""
    if event.event_name == "PermissionRequest":
        tool = event.text("tool_name") or "a tool"
        tool_input = event.payload.get("tool_input")
        if isinstance(tool_input, dict):
            for key in ("command", "file_path", "path", "url", "pattern", "description"):
                value = tool_input.get(key)
                if isinstance(value, str) and value:
                    return f"{tool}: {' '.join(value.split())}"
        return tool
    if event.event_name == "Stop":
        return " ".join(event.text("last_assistant_message").split())
    if event.event_name == "StopFailure":
        return event.text("error")
    return ""


class UsageSource(Protocol):
    """What the bridge reads of the core's usage service (reads only, on the loop thread)."""

    def subscribe(self, listener: Callable[[frozenset[str]], None]) -> None: ...
    def today_cost(self) -> float: ...
    def persona_usage(self, persona_id: int) -> PersonaUsage: ...
    def days(self, count: int, persona_id: int | None = None) -> list[UsageDay]: ...

    @property
    def limits(self) -> PlanLimits | None: ...


class RemotePersonaSource(Protocol):
    """What the bridge reads of the remote hosts' personas (core/remote/personas.py)."""

    def subscribe(self, listener: Callable[[], None]) -> None: ...
    def find(self, host: str, session_id: str) -> PersonaInfo | None: ...
    def leaderboard(
        self, local: Sequence[LeaderboardEntry], limit: int
    ) -> list[LeaderboardEntry]: ...


class Bridge(QObject):
    """The signals every widget listens to. Tests feed them through a fake bridge."""

    pane_changed = Signal(object)  # PaneState (also when a persona gets bound)
    pane_removed = Signal(str)  # pane id
    event_received = Signal(object)  # SessionEvent, once per stored hook event
    problem_changed = Signal(str)  # a sentence saying what is wrong, or "" when all is well
    progress_changed = Signal(object)  # ProgressUpdate: a persona's XP, challenges or badges
    projects_read = Signal()  # projects() has been read again (request_projects)
    usage_changed = Signal()  # tokens were read from a transcript: costs may have moved
    remote_personas_changed = Signal()  # a remote host sent new XP or a new persona
    hosts_changed = Signal()  # a remote host's heading changed (hosts() says it now)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.problem = ""

    def panes(self) -> list[PaneState]:
        """The panes that exist right now (widgets built late start from this)."""
        return []

    def hosts(self) -> list[HostHeading]:
        """Each remote host's heading (its name and problem), by name; none without hosts."""
        return []

    def persona_page(self, persona_id: int) -> PersonaPage | None:
        """What the persona page shows, read now; None when there is no such persona."""
        return None

    def leaderboard(self, limit: int = 100) -> list[LeaderboardEntry]:
        """Personas by XP, highest first (equal XP, equal rank), remote hosts' included."""
        return []

    def remote_persona(self, host: str, session_id: str) -> PersonaInfo | None:
        """A remote host's persona, by its key (host, session id), as that host last sent
        it; None when none came."""
        return None

    def projects(self) -> list[ProjectView]:
        """Every project shown now or in the log, most XP first, as last read."""
        return []

    def project_view(self, project_id: str) -> ProjectView | None:
        """One project's page as last read; None when there is no such project."""
        return next((v for v in self.projects() if v.id == project_id), None)

    @property
    def projects_known(self) -> bool:
        """Has the log been read for projects at least once (else: still reading)?"""
        return True

    def request_projects(self) -> None:
        """Read the projects again; projects_read says when they are in."""
        self.projects_read.emit()

    def report(self, days: int) -> Report | None:
        """The daily report of the last `days` days; None when there is no database."""
        return None

    def today_cost(self) -> float | None:
        """Today's estimated cost in dollars over every session; None without usage data."""
        return None

    def persona_usage(self, persona_id: int, days: int = 14) -> tuple[PersonaUsage, list[UsageDay]]:
        """A persona's usage: totals with its sessions, and the last `days` days."""
        return PersonaUsage(), []

    def plan_limits(self) -> PlanLimits | None:
        """The plan's 5-hour and 7-day windows, as Claude's status line last said; None
        without a Pro/Max plan (or without our status line)."""
        return None

    def set_problem(self, problem: str) -> None:
        if problem != self.problem:
            self.problem = problem
            self.problem_changed.emit(problem)


class CoreBridge(Bridge):
    """Subscribes to the core's registry, ingest and progression; runs on the loop (= Qt) thread."""

    _stats_read = Signal(object)  # the log's project stats, from the thread that read them

    def __init__(
        self,
        registry: PaneRegistry,
        ingest: EventIngest,
        problems: Callable[[], list[str]] | None = None,
        parent: QObject | None = None,
        progression: ProgressionService | None = None,
        project_service: ProjectService | None = None,
        usage: UsageSource | None = None,
        remote_registry: PaneRegistry | None = None,
        remote_personas: RemotePersonaSource | None = None,
        remote_hosts: RemoteHosts | None = None,
    ) -> None:
        super().__init__(parent)
        self.registry = registry
        # Remote hosts' panes (ids "host:%N"): shown like local ones, grouped by host.
        self.remote_registry = remote_registry
        self.remote_personas = remote_personas
        if remote_personas is not None:
            remote_personas.subscribe(self.remote_personas_changed.emit)
        self.remote_hosts = remote_hosts
        self._headings: list[HostHeading] = remote_hosts.headings() if remote_hosts else []
        self.project_service = project_service
        self._project_views: list[ProjectView] = []
        self._projects_read_once = False
        self._reading: Future[dict[ProjectKey, ProjectStats]] | None = None
        self._read_again = False
        self._stats_read.connect(self._on_stats)
        self.usage = usage
        self.problems = problems
        self.progression = progression
        # Reads only, on this (the loop) thread: the widgets never see the database.
        self.pages = PersonaPages(progression.db) if progression is not None else None
        # Under load a pane changes many times per loop turn (each event, then its XP): the
        # widgets need only its last state, so changes are sent once per turn (flush_panes).
        self._changed: dict[str, PaneState] = {}
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(FRAME_MS)
        self._flush.timeout.connect(self.flush_panes)
        registry.subscribe(self._on_pane_changed, self._on_pane_removed)
        if remote_registry is not None:
            remote_registry.subscribe(self._on_pane_changed, self._on_pane_removed)
        if remote_hosts is not None:
            remote_hosts.subscribe(lambda _state: self._on_host())
        ingest.subscribe(self._on_event)
        if progression is not None:
            progression.subscribe(self.progress_changed.emit)
        if usage is not None:
            usage.subscribe(lambda _sessions: self.usage_changed.emit())
        # Problems (tmux missing, port in use) have no observer in the core: look each second.
        self._problem_timer = QTimer(self)
        self._problem_timer.setInterval(PROBLEM_POLL_MS)
        self._problem_timer.timeout.connect(self.check_problems)
        self._problem_timer.start()

    def panes(self) -> list[PaneState]:
        remote = self.remote_registry.all() if self.remote_registry is not None else []
        return self.registry.all() + remote

    def hosts(self) -> list[HostHeading]:
        return self._headings

    def _on_host(self) -> None:
        # A feed reports often (each events batch): only a new heading re-draws anything.
        assert self.remote_hosts is not None
        headings = self.remote_hosts.headings()
        if headings != self._headings:
            self._headings = headings
            self.hosts_changed.emit()

    def persona_page(self, persona_id: int) -> PersonaPage | None:
        return self.pages.page(persona_id) if self.pages is not None else None

    def leaderboard(self, limit: int = 100) -> list[LeaderboardEntry]:
        local = self.progression.leaderboard(limit) if self.progression is not None else []
        if self.remote_personas is None:
            return local
        return self.remote_personas.leaderboard(local, limit)

    def remote_persona(self, host: str, session_id: str) -> PersonaInfo | None:
        if self.remote_personas is None:
            return None
        return self.remote_personas.find(host, session_id)

    def projects(self) -> list[ProjectView]:
        return self._project_views

    @property
    def projects_known(self) -> bool:
        return self._projects_read_once or self.project_service is None

    def request_projects(self) -> None:
        """Read the log for the projects on the service's thread; a year of a busy log takes
        seconds, and the window must not wait for it."""
        service = self.project_service
        if service is None:
            self.projects_read.emit()
            return
        if self._reading is not None and not self._reading.done():
            self._read_again = True  # events came in during the read: one more after it
            return
        self._reading = service.executor.submit(service.read_stats)
        # Runs on the reading thread; the signal carries the stats to this (the Qt) thread.
        self._reading.add_done_callback(self._stats_done)

    def _stats_done(self, future: Future[dict[ProjectKey, ProjectStats]]) -> None:
        try:
            self._stats_read.emit(future.result())
        except Exception:  # a read that fails must leave the last projects shown
            log.exception("reading the projects from the log failed")
            self._stats_read.emit(None)

    def _on_stats(self, stats: dict[ProjectKey, ProjectStats] | None) -> None:
        if stats is not None and self.project_service is not None:
            self._project_views = self.project_service.combine(stats)
            self._projects_read_once = True
        self.projects_read.emit()
        if self._read_again:
            self._read_again = False
            self.request_projects()

    def report(self, days: int) -> Report | None:
        service = self.project_service
        return service.report(days) if service is not None and service.db else None

    def today_cost(self) -> float | None:
        return self.usage.today_cost() if self.usage is not None else None

    def persona_usage(self, persona_id: int, days: int = 14) -> tuple[PersonaUsage, list[UsageDay]]:
        if self.usage is None:
            return PersonaUsage(), []
        return self.usage.persona_usage(persona_id), self.usage.days(days, persona_id)

    def plan_limits(self) -> PlanLimits | None:
        return self.usage.limits if self.usage is not None else None

    def _on_pane_changed(self, pane: PaneState) -> None:
        self._changed[pane.pane_id] = pane
        if not self._flush.isActive():
            self._flush.start()

    def _on_pane_removed(self, pane_id: str) -> None:
        self._changed.pop(pane_id, None)  # a change still waiting must not bring it back
        self.pane_removed.emit(pane_id)

    @property
    def changes_pending(self) -> bool:
        """Pane changes wait for the next flush (at most a frame)."""
        return bool(self._changed)

    def flush_panes(self) -> None:
        """Send the pane changes waiting since the last flush (the newest state of each)."""
        changed, self._changed = self._changed, {}
        for pane in changed.values():
            self.pane_changed.emit(pane)

    def check_problems(self) -> None:
        if self.problems is not None:
            self.set_problem("\n".join(p for p in self.problems() if p))

    def _on_event(self, event: IncomingEvent, result: IngestResult) -> None:
        if not result.stored:
            return  # a retried hook call: the UI saw it the first time
        pane = result.pane
        self.event_received.emit(
            SessionEvent(
                name=event.event_name,
                session_id=event.session_id,
                pane_id=pane.pane_id if pane is not None else event.pane_id,
                pane=pane,
                persona_name=result.persona.name if result.persona else None,
                detail=event_detail(event),
            )
        )
