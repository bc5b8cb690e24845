"""Immutable views of core state handed to the API and the UI (never database rows)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from desktop.core.projects.gitstate import GitState
from desktop.core.usage.context import SessionInsight

# The host name this machine's panes carry; a remote pane carries its host's name.
LOCAL_HOST = "local"
# How a remote pane's detail starts while its host cannot be reached (its status is stale).
UNREACHABLE = "host unreachable since"


class Status(StrEnum):
    """What a Claude pane is doing, as the person needs to know it."""

    UNKNOWN = "unknown"
    IDLE = "idle"
    WORKING = "working"
    NEEDS_INPUT = "needs_input"
    ERROR = "error"
    ENDED = "ended"


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC; SQLite hands back naive datetimes that were written as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


@dataclass(frozen=True)
class PersonaInfo:
    """A persona as the API and the UI show it."""

    id: int
    session_id: str
    name: str
    avatar_seed: str
    created_at: datetime
    xp: int = 0
    level: int = 1
    session_ids: tuple[str, ...] = ()
    # "local", or the remote host that made the persona (and computes its XP); `id` is then
    # the id that host gave it, and (host, session_id) its key here.
    host: str = LOCAL_HOST

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = iso(self.created_at)
        data["session_ids"] = list(self.session_ids)
        return data


@dataclass(frozen=True)
class ChallengeInfo:
    """A challenge as the API shows it."""

    id: int
    kind: str
    title: str
    description: str
    progress: int
    target: int
    completed_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["completed_at"] = iso(self.completed_at)
        return data


@dataclass(frozen=True)
class PaneProject:
    """The project a pane works in: its repository (by main top-level folder) and git state."""

    id: str | None  # None: the folder is in no repository, or cannot be read (see problem)
    name: str
    root: str  # the main repository's top-level folder: the project's key
    worktree: str  # the worktree the pane is in (the root itself, or a linked worktree)
    git: GitState | None = None
    problem: str = ""

    @property
    def in_linked_worktree(self) -> bool:
        return bool(self.worktree) and self.worktree != self.root

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name or None,
            "root": self.root or None,
            "worktree": self.worktree or None,
            "problem": self.problem or (self.git.problem if self.git else "") or None,
        }


@dataclass(frozen=True)
class PaneState:
    """One tmux pane running Claude: where it is, who it is, and what it is doing."""

    pane_id: str
    target: str
    cwd: str
    pane_pid: int | None = None
    claude_pid: int | None = None
    claude_start_ticks: int | None = None
    title: str = ""
    status: Status = Status.UNKNOWN
    status_detail: str = ""
    status_since: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The same moment on the elapsed clock (desktop.core.clock): what "for 3m" is measured
    # from, so a wall clock moved by an hour does not move it. None: only the wall time is
    # known (a pane built elsewhere, e.g. a remote host's).
    status_elapsed: float | None = None
    session_id: str | None = None
    persona: PersonaInfo | None = None
    last_event: str | None = None
    alive: bool = True
    project: PaneProject | None = None
    host: str = LOCAL_HOST  # a remote pane: its host's name, and pane_id is "host:%N"
    insight: SessionInsight | None = None  # model and context, from the session's transcript

    @property
    def awaiting_identity(self) -> bool:
        """True while no hook event has told us which session (and persona) this pane runs."""
        return self.persona is None

    @property
    def session_insight(self) -> SessionInsight | None:
        """The insight of the session the pane runs now (never a previous session's)."""
        insight = self.insight
        if insight is None or insight.session_id != self.session_id:
            return None
        return insight

    def to_json(self) -> dict[str, Any]:
        return {
            "pane_id": self.pane_id,
            "target": self.target,
            "cwd": self.cwd,
            "pane_pid": self.pane_pid,
            "claude_pid": self.claude_pid,
            "title": self.title,
            "status": self.status.value,
            "status_detail": self.status_detail,
            "status_since": iso(self.status_since),
            "awaiting_identity": self.awaiting_identity,
            "session_id": self.session_id,
            "persona": self.persona.to_json() if self.persona else None,
            "last_event": self.last_event,
            "alive": self.alive,
            "project_id": self.project.id if self.project else None,
            "project": self.project.to_json() if self.project else None,
            "git": self.project.git.to_json() if self.project and self.project.git else None,
            "model": insight.model if (insight := self.session_insight) else None,
            "context": insight.context_json() if insight else None,
        }
