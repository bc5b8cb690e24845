"""What a card says: project name and git branch, activity line, time in the current state."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from desktop.core.model import PaneState, Status

BRANCH_TTL_SECONDS = 5.0


def git_branch(folder: Path) -> str | None:
    """The branch checked out in the repository that holds folder (short sha when detached)."""
    for candidate in (folder, *folder.parents):
        dot_git = candidate / ".git"
        try:
            if dot_git.is_file():
                # A worktree or submodule: .git is a file that names the real git dir.
                line = dot_git.read_text(encoding="utf-8").strip()
                if not line.startswith("gitdir:"):
                    return None
                git_dir = Path(line.removeprefix("gitdir:").strip())
                dot_git = git_dir if git_dir.is_absolute() else candidate / git_dir
            if dot_git.is_dir():
                head = (dot_git / "HEAD").read_text(encoding="utf-8").strip()
                if head.startswith("ref:"):
                    return head.removeprefix("ref:").strip().removeprefix("refs/heads/")
                return head[:7] or None
        except OSError:
            return None
    return None


@dataclass
class BranchCache:
    """Git branches per folder, re-read at most every few seconds (cards update often)."""

    ttl: float = BRANCH_TTL_SECONDS
    _entries: dict[str, tuple[float, str | None]] = field(default_factory=dict)

    def branch(self, cwd: str) -> str | None:
        now = time.monotonic()
        known = self._entries.get(cwd)
        if known is not None and now - known[0] < self.ttl:
            return known[1]
        value = git_branch(Path(cwd)) if cwd else None
        self._entries[cwd] = (now, value)
        return value


def project_text(cwd: str, branch: str | None) -> str:
    """`folder` or `folder · branch`."""
    name = Path(cwd).name or cwd or "?"
    return f"{name} · {branch}" if branch else name


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
