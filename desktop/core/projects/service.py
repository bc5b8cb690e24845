"""What the API and the UI read about projects: the live ones (panes, git state) joined with
what the event log says (personas and their XP share, tools, commits, tests, streak)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from desktop.core.clock import local_now
from desktop.core.model import PaneState
from desktop.core.panes import PaneRegistry
from desktop.core.projects.identity import ProjectKey, ProjectResolver
from desktop.core.projects.page import project_stats
from desktop.core.projects.report import build_report
from desktop.core.projects.tracker import ProjectTracker
from desktop.core.projects.views import ProjectStats, ProjectView, Report
from desktop.core.usage.prices import Price
from desktop.store.activity import ActivityRepo, read_only
from desktop.store.db import Database


class ProjectService:
    """Projects seen live or in the log of the last year; the daily report."""

    def __init__(
        self,
        tracker: ProjectTracker,
        registry: PaneRegistry,
        db: Database | None = None,
        clock: Callable[[], datetime] = local_now,
        prices: Callable[[], Mapping[str, Price]] = dict,
    ) -> None:
        self.tracker = tracker
        self.registry = registry
        self.db = db
        self.clock = clock
        self.prices = prices  # the price overrides the usage service holds, read when used
        # Folders of the log map to projects through the file system, once per folder.
        self.resolve = ProjectResolver()
        # Reading a year of the log runs here, in order, never on the loop.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="project-stats")

    def _panes_of(self, project_id: str) -> tuple[PaneState, ...]:
        return tuple(p for p in self.registry.all() if p.project and p.project.id == project_id)

    def read_stats(self) -> dict[ProjectKey, ProjectStats]:
        """What the log of the last year says of every project. Safe on any thread: it reads
        through a read-only connection of its own (a year of a busy log takes seconds, so
        the app runs it on `executor`, never on the loop)."""
        if self.db is None:
            return {}
        conn = read_only(self.db.path)
        try:
            repo = ActivityRepo.on_connection(conn)
            return project_stats(repo, self.clock(), self.resolve, self.prices())
        finally:
            conn.close()

    async def views_async(self) -> list[ProjectView]:
        """views(), with the log read on the executor while the loop goes on."""
        loop = asyncio.get_running_loop()
        return self.combine(await loop.run_in_executor(self.executor, self.read_stats))

    def views(self) -> list[ProjectView]:
        """Every project (live or in the log), most XP first, then by name (blocking)."""
        return self.combine(self.read_stats())

    def combine(self, stats: dict[ProjectKey, ProjectStats]) -> list[ProjectView]:
        """The log's stats joined with the live projects and panes (on the loop thread)."""
        by_id = {key.id: s for key, s in stats.items() if key.id is not None}
        for known in self.tracker.known.values():
            if known.id not in by_id:
                by_id[known.id] = ProjectStats(ProjectKey(known.id, known.name, known.root))
        views = [
            ProjectView(s, self.tracker.known.get(pid), self._panes_of(pid))
            for pid, s in by_id.items()
        ]
        return sorted(views, key=lambda v: (-v.stats.totals.xp, v.name.lower(), v.id))

    def view(self, project_id: str) -> ProjectView | None:
        """One project, or None when no project has that id (blocking)."""
        return next((v for v in self.views() if v.id == project_id), None)

    async def all(self) -> list[dict[str, Any]]:
        return [v.to_json(full=False) for v in await self.views_async()]

    async def get(self, project_id: str) -> dict[str, Any] | None:
        found = next((v for v in await self.views_async() if v.id == project_id), None)
        return found.to_json() if found is not None else None

    def stop(self) -> None:
        self.executor.shutdown(wait=True)

    def report(self, days: int) -> Report:
        """The daily report of the last `days` days (1: today)."""
        if self.db is None:
            raise RuntimeError("the report needs the database")
        return build_report(self.db, days, self.clock(), self.resolve, self.prices())
