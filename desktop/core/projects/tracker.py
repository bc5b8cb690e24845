"""Keeps each pane's project and git state current: scans on one worker thread, after polls.

After every tmux poll the loop hands the panes' folders to the git worker (unless the last
scan is still running: a slow repository never piles scans up) and shows the result on the
panes when it comes back. Hook events of tools that change files mark their folder, so the
next scan reads it even when no watched mtime moved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from desktop.core.hooks.payload import IncomingEvent
from desktop.core.model import PaneProject
from desktop.core.panes import PaneRegistry
from desktop.core.projects.gitstate import GitState
from desktop.core.projects.locate import RepoLocation
from desktop.core.projects.scan import FolderProject, ScanState

log = logging.getLogger(__name__)

# Events after which files may have changed in the session's folder.
_CHANGING_EVENTS = frozenset({"PostToolUse", "PostToolUseFailure", "Stop", "SubagentStop"})
_READ_ONLY_TOOLS = frozenset({"Read", "Glob", "Grep", "LS", "WebFetch", "WebSearch", "TodoWrite"})


@dataclass
class KnownProject:
    """A project seen in this run: its key, name and the state of each worktree shown."""

    id: str
    name: str
    root: str
    worktrees: dict[str, GitState] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "root": self.root,
            "worktrees": [
                {"path": path, "main": path == self.root, "git": state.to_json()}
                for path, state in sorted(self.worktrees.items())
            ],
        }


def pane_project(found: FolderProject) -> PaneProject | None:
    """The project a pane shows for its folder (None: no repository, and nothing wrong)."""
    loc = found.location
    if loc is None:
        return (
            PaneProject(id=None, name="", root="", worktree="", problem=found.problem)
            if (found.problem)
            else None
        )
    return PaneProject(
        id=loc.project_id,
        name=loc.name,
        root=loc.root,
        worktree=loc.worktree,
        git=found.git,
    )


class ProjectTracker:
    """The loop side: schedules scans, applies their results to the pane registry."""

    def __init__(self, registry: PaneRegistry, state: ScanState | None = None) -> None:
        self.registry = registry
        self.state = state or ScanState()
        self.known: dict[str, KnownProject] = {}
        self.scans = 0
        self._by_folder: dict[str, PaneProject | None] = {}
        self._touched: set[str] = set()
        self._running: asyncio.Future[dict[str, FolderProject]] | None = None
        self._listeners: list[Callable[[], None]] = []
        # git runs here, never on the loop: a huge repository must not freeze the window.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="git")

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Hear when a scan changed some project's state."""
        self._listeners.append(listener)

    def on_event(self, event: IncomingEvent, _result: object = None) -> None:
        """A hook event: a tool that may change files marks its folder for the next scan."""
        if event.event_name not in _CHANGING_EVENTS:
            return
        if event.text("tool_name") in _READ_ONLY_TOOLS:
            return
        cwd = event.text("cwd")
        if cwd:
            self._touched.add(cwd)

    def after_poll(self, _result: object = None) -> None:
        """Show what is known on the panes now, and start a scan unless one is running."""
        self._apply()
        if self._running is not None and not self._running.done():
            return
        folders = frozenset(p.cwd for p in self.registry.all() if p.cwd)
        if not folders:
            return
        touched, self._touched = frozenset(self._touched), set()
        loop = asyncio.get_running_loop()
        self._running = loop.run_in_executor(self._executor, self.state.scan, folders, touched)
        self._running.add_done_callback(self._scanned)

    async def scan_now(self) -> None:
        """Run a scan and apply it (tests, and the first poll)."""
        if self._running is not None and not self._running.done():
            await asyncio.wait([self._running])
        self.after_poll()
        if self._running is not None:
            await asyncio.wait([self._running])

    def _scanned(self, future: asyncio.Future[dict[str, FolderProject]]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.error("project scan failed: %s", error, exc_info=error)
            return
        self.scans += 1
        found = future.result()
        changed = False
        for folder, item in found.items():
            shown = pane_project(item)
            if self._by_folder.get(folder) != shown:
                changed = True
            self._by_folder[folder] = shown
            if item.location is not None and item.git is not None:
                self._remember(item.location, item.git)
        self._apply()
        if changed:
            for listener in self._listeners:
                listener()

    def _remember(self, loc: RepoLocation, git: GitState) -> None:
        known = self.known.get(loc.project_id)
        if known is None:
            known = self.known[loc.project_id] = KnownProject(loc.project_id, loc.name, loc.root)
        known.worktrees[loc.worktree] = git

    def _apply(self) -> None:
        for pane in self.registry.all():
            if pane.cwd in self._by_folder:
                shown = self._by_folder[pane.cwd]
                if pane.project != shown:
                    self.registry.update(pane.pane_id, project=shown)

    def project_of_folder(self, folder: str) -> PaneProject | None:
        """The project last seen for a folder (None when not scanned or in no repo)."""
        return self._by_folder.get(folder)

    async def stop(self) -> None:
        if self._running is not None and not self._running.done():
            await asyncio.wait([self._running])
        self._executor.shutdown(wait=True)
