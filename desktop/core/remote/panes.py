"""A remote host's panes as the desktop holds them: PaneStates read from its /api/panes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from desktop.core.model import LOCAL_HOST, PaneProject, PaneState, PersonaInfo, Status


def _time(text: Any) -> datetime:
    try:
        value = datetime.fromisoformat(str(text))
    except ValueError:
        return datetime.now(UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def persona_from_json(data: Any, host: str = LOCAL_HOST) -> PersonaInfo | None:
    """A persona as a host's /api/panes shows it; `host` made it (its id is that host's)."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    return PersonaInfo(
        id=data["id"],
        session_id=str(data.get("session_id") or ""),
        name=str(data.get("name") or "Claude"),
        avatar_seed=str(data.get("avatar_seed") or data.get("session_id") or ""),
        created_at=_time(data.get("created_at")),
        xp=int(data.get("xp") or 0),
        level=int(data.get("level") or 1),
        host=host,
    )


def project_from_json(data: Any) -> PaneProject | None:
    """The project a remote pane works in, by the host's own reading (its git state stays
    there: the card names the project, the host's folder and no branch)."""
    if not isinstance(data, dict) or not isinstance(data.get("root"), str):
        return None
    project_id = data.get("id")
    return PaneProject(
        id=project_id if isinstance(project_id, str) else None,
        name=str(data.get("name") or ""),
        root=data["root"],
        worktree=str(data.get("worktree") or data["root"]),
        problem=str(data.get("problem") or ""),
    )


def remote_pane_id(host: str, pane_id: str) -> str:
    """A remote pane's id on the desktop: its host, then the id tmux gave it there."""
    return f"{host}:{pane_id}"


def split_pane_id(pane_id: str) -> tuple[str, str]:
    """(host, the pane's id on that host); ("local", pane_id) for this machine's panes."""
    host, sep, there = pane_id.rpartition(":")
    return (host, there) if sep and host else (LOCAL_HOST, pane_id)


def pane_from_json(data: dict[str, Any], host: str = LOCAL_HOST) -> PaneState:
    """An /api/panes entry as a PaneState; a remote host's pane gets its host-scoped id."""
    try:
        status = Status(str(data.get("status")))
    except ValueError:
        status = Status.UNKNOWN
    pane_id = str(data["pane_id"])
    return PaneState(
        pane_id=pane_id if host == LOCAL_HOST else remote_pane_id(host, pane_id),
        target=str(data.get("target") or ""),
        cwd=str(data.get("cwd") or ""),
        pane_pid=data.get("pane_pid") if isinstance(data.get("pane_pid"), int) else None,
        claude_pid=data.get("claude_pid") if isinstance(data.get("claude_pid"), int) else None,
        title=str(data.get("title") or ""),
        status=status,
        status_detail=str(data.get("status_detail") or ""),
        status_since=_time(data.get("status_since")),
        session_id=data.get("session_id") if isinstance(data.get("session_id"), str) else None,
        persona=persona_from_json(data.get("persona"), host),
        last_event=data.get("last_event") if isinstance(data.get("last_event"), str) else None,
        alive=bool(data.get("alive", True)),
        project=project_from_json(data.get("project")),
        host=host,
    )
