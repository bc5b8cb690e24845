"""How the grid orders, groups and filters cards: by project, by tmux session, or flat."""

from __future__ import annotations

from pathlib import Path

from desktop.core.model import LOCAL_HOST, PaneState, Status
from desktop.ui.theme import style_for

GroupKey = tuple[int, str, str]  # (order class, sort text, identity)


def pane_order(pane: PaneState) -> tuple[bool, str, str, int, str]:
    """This machine first, then each host; tmux session, then pane number: the order panes
    were created in."""
    digits = pane.pane_id.rpartition(":")[2].lstrip("%")
    return (
        pane.host != LOCAL_HOST,
        pane.host,
        pane.target.split(":")[0],
        int(digits) if digits.isdigit() else 0,
        pane.pane_id,
    )


def group_of(pane: PaneState, mode: str) -> tuple[GroupKey, str]:
    """The group a pane's card goes in under `mode`, and the group's heading.

    Another machine's panes go under their host's heading, after this machine's groups,
    whatever the mode (but flat): a card must not look local when it is not. (The grid adds
    the host's problem to that heading: it comes from the host, not from a pane.)
    """
    if pane.host != LOCAL_HOST and mode != "flat":
        return host_group(pane.host), f"on {pane.host}"
    if mode == "session":
        session = pane.target.split(":")[0]
        return (0, session.lower(), session), f"tmux session {session}"
    if mode == "project":
        project = pane.project
        if project is not None and project.id is not None:
            return (0, project.name.lower(), project.id), project.name
        # Folders in no repository (or that cannot be read) come last, together.
        return (1, "", ""), "No project"
    return (0, "", ""), ""


def host_group(host: str) -> GroupKey:
    """The group of a remote host's cards (and of its heading when it has none)."""
    return (2, host.lower(), f"host:{host}")


def status_words(status: Status) -> str:
    """The status as the chip says it ("needs input"), for matching typed words."""
    return style_for(status).word


def haystack(pane: PaneState) -> str:
    """Everything a search can find a pane by: name, project, branch, target, status."""
    parts = [pane.target, status_words(pane.status), pane.status.value, Path(pane.cwd).name]
    parts.append(pane.host)
    if pane.persona is not None:
        parts.append(pane.persona.name)
    else:
        parts.append("initializing awaiting identity")
    project = pane.project
    if project is not None and project.id is not None:
        parts.append(project.name)
        if project.git is not None:
            parts.append(project.git.label)
            if project.git.dirty:
                parts.append("dirty")
    else:
        parts.append("no project")
    return " ".join(parts).lower()


def matches(pane: PaneState, query: str) -> bool:
    """Does every word of the query appear in what the pane can be found by?"""
    text = haystack(pane)
    return all(word in text for word in query.lower().split())


def sort_key(pane: PaneState, mode: str, searching: bool) -> tuple[object, ...]:
    """Where a card goes: by group, then (while searching) those needing input first."""
    group, _title = group_of(pane, mode)
    urgent = 0 if searching and pane.status is Status.NEEDS_INPUT else 1
    return (group, urgent, pane_order(pane))
