"""What a card says: project, git branch and state, activity line, time in the current state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop.core.model import PaneState, Status


def git_marker(pane: PaneState) -> str:
    """The small git marker: ● uncommitted changes, ↑n ahead of and ↓n behind the upstream."""
    git = pane.project.git if pane.project is not None else None
    if git is None or git.busy:
        return ""
    parts = ["●"] if git.dirty else []
    if git.ahead:
        parts.append(f"↑{git.ahead}")
    if git.behind:
        parts.append(f"↓{git.behind}")
    return " ".join(parts)


_PROBLEM_WORDS = (
    ("busy repo", "busy repo"),
    ("permission denied", "permission denied"),
    ("bare repository", "bare repository"),
    ("another user", "repo of another user"),
    ("git is not installed", "git not installed"),
    ("gone", "gone"),
    ("no longer a git repository", "no longer a repo"),
)


def problem_words(problem: str) -> str:
    """A project problem in two or three words for the card (the tooltip has the sentence)."""
    lowered = problem.lower()
    return next((words for key, words in _PROBLEM_WORDS if key in lowered), "git error")


def project_text(pane: PaneState, marker: bool = True) -> str:
    """`project · branch ● ↑1`; a folder in no repository says so; a problem in a few words.
    `marker=False` leaves the git marker out (the card shows it apart, never elided)."""
    project = pane.project
    folder = Path(pane.cwd).name or pane.cwd or "?"
    if project is None:
        return f"{folder} · no project"
    if project.id is None:
        return f"{folder} · {problem_words(project.problem)}"
    name = project.name
    if project.in_linked_worktree:
        name = f"{name} ({Path(project.worktree).name})"
    git = project.git
    if git is None:
        return name
    if git.problem and not git.busy:
        return f"{name} · {problem_words(git.problem)}"
    shown = git_marker(pane) if marker else ""
    return " ".join(part for part in (f"{name} · {git.label}", shown) if part)


def project_tip(pane: PaneState) -> str:
    """The card's tooltip on the project line: where, the upstream, and what is wrong."""
    project = pane.project
    lines = [pane.cwd]
    if project is not None and project.id is not None:
        lines[0] = f"{project.name}: {project.root}"
        if project.in_linked_worktree:
            lines.append(f"worktree {project.worktree}")
        git = project.git
        if git is not None:
            if git.changes:
                lines.append(f"{git.changes} changed or untracked files")
            if git.upstream:
                lines.append(
                    f"{git.ahead} ahead, {git.behind} behind {git.upstream} (as last fetched)"
                )
            if git.problem:
                lines.append(git.problem)
    elif project is not None and project.problem:
        lines.append(project.problem)
    else:
        lines.append("not in a git repository: no project")
    return "\n".join(lines)


def elapsed_text(seconds: float) -> str:
    """A short duration: 12s, 4m 05s, 2h 13m, 3d 4h."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


@dataclass
class ActivityMemory:
    """What a pane was last asked and which tool it is running, across events.

    PostToolUse clears the status detail while the turn goes on; the card then falls back to
    the prompt that started the turn.
    """

    prompt: str = ""
    tool: str = ""

    def remember(self, pane: PaneState) -> None:
        if pane.last_event == "UserPromptSubmit":
            self.prompt, self.tool = pane.status_detail, ""
        elif pane.last_event == "PreToolUse":
            self.tool = pane.status_detail
        elif pane.last_event in ("PostToolUse", "PostToolUseFailure", "PostToolBatch", "Stop"):
            self.tool = ""

    def line(self, pane: PaneState) -> str:
        """The activity line: current tool, else the last prompt, else what the status says."""
        if pane.awaiting_identity and pane.status is Status.UNKNOWN:
            return "waiting for the first hook event"
        if pane.status is Status.WORKING:
            if self.tool:
                return self.tool
            if pane.status_detail and pane.last_event != "UserPromptSubmit":
                return pane.status_detail  # a subagent, compacting...
            return f"› {self.prompt}" if self.prompt else "working"
        if pane.status in (Status.NEEDS_INPUT, Status.ERROR, Status.ENDED) and pane.status_detail:
            return pane.status_detail
        if self.prompt:
            return f"last prompt: {self.prompt}"
        return pane.status_detail or pane.title or ""
