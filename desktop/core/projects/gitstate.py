"""Reading one worktree's git state with one local `git status` call, bounded in time.

`git status --porcelain=v2 --branch` gives the branch, the last known upstream's
ahead/behind counts (no network: it compares against the remote-tracking ref as it was last
fetched) and every change, in one process. `--no-optional-locks` keeps git from rewriting
the index, which would change the very mtime the watcher looks at.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from typing import Any

# A status read that takes longer is given up; the project shows "busy repo" meanwhile.
STATUS_TIMEOUT_S = 3.0
_GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",  # never wait for a password
    "GIT_OPTIONAL_LOCKS": "0",
    "LC_ALL": "C",  # messages parsed below are git's own English ones
}


@dataclass(frozen=True)
class GitState:
    """A worktree's branch and changes as the card and the API show them."""

    branch: str = ""  # "" when HEAD is detached
    head: str = ""  # the commit HEAD is at (short), "" before the first commit
    detached: bool = False
    dirty: bool = False
    changes: int = 0  # changed, staged and untracked paths
    upstream: str = ""
    ahead: int = 0
    behind: int = 0
    problem: str = ""  # a sentence when the state could not be read
    busy: bool = False  # the read took too long (a huge repo): the state is not known

    @property
    def label(self) -> str:
        """The branch in words: the branch's name, or where a detached HEAD is."""
        if self.busy:
            return "busy repo"
        if self.detached:
            return f"detached HEAD at {self.head}" if self.head else "detached HEAD"
        return self.branch

    def to_json(self) -> dict[str, Any]:
        return {
            "branch": self.branch or None,
            "label": self.label,
            "head": self.head or None,
            "detached": self.detached,
            "dirty": self.dirty,
            "changes": self.changes,
            "upstream": self.upstream or None,
            "ahead": self.ahead,
            "behind": self.behind,
            "busy": self.busy,
            "problem": self.problem or None,
        }


def parse_status(text: str) -> GitState:
    """The state `git status --porcelain=v2 --branch` printed."""
    branch = head = upstream = ""
    detached = False
    ahead = behind = changes = 0
    for line in text.splitlines():
        if line.startswith("# branch.oid "):
            oid = line[len("# branch.oid ") :].strip()
            head = "" if oid == "(initial)" else oid[:7]
        elif line.startswith("# branch.head "):
            name = line[len("# branch.head ") :].strip()
            detached = name == "(detached)"
            branch = "" if detached else name
        elif line.startswith("# branch.upstream "):
            upstream = line[len("# branch.upstream ") :].strip()
        elif line.startswith("# branch.ab "):
            parts = line.split()
            if len(parts) == 4:
                ahead, behind = abs(int(parts[2])), abs(int(parts[3]))
        elif line and not line.startswith("#"):
            changes += 1
    return GitState(
        branch=branch,
        head=head,
        detached=detached,
        dirty=changes > 0,
        changes=changes,
        upstream=upstream,
        ahead=ahead,
        behind=behind,
    )


def read_git_state(worktree: str, timeout: float = STATUS_TIMEOUT_S, git: str = "git") -> GitState:
    """Run one `git status` in `worktree` (blocking, at most `timeout` seconds); never raises."""
    try:
        done = subprocess.run(
            [git, "--no-optional-locks", "status", "--porcelain=v2", "--branch"],
            cwd=worktree,
            env={**os.environ, **_GIT_ENV},
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return GitState(
            busy=True,
            problem=f"busy repo: git status took over {timeout:g} s; it is tried again later",
        )
    except FileNotFoundError:
        if not os.path.isdir(worktree):
            return GitState(problem=f"the repository at {worktree} is gone")
        return GitState(problem="git is not installed: install git to see branches and changes")
    except PermissionError:
        return GitState(problem=f"cannot read {worktree}: permission denied")
    except OSError as e:
        return GitState(problem=f"cannot run git in {worktree}: {e.strerror or e}")
    if done.returncode != 0:
        return GitState(problem=_failure_sentence(worktree, done.stderr))
    return parse_status(done.stdout)


def _failure_sentence(worktree: str, stderr: str) -> str:
    first = next((line for line in stderr.splitlines() if line.strip()), "").strip()
    first = first.removeprefix("fatal: ").removeprefix("error: ")
    if "dubious ownership" in stderr:
        return (
            f"git refuses {worktree}: it belongs to another user "
            f"(`git config --global --add safe.directory {worktree}` allows it)"
        )
    if "Permission denied" in stderr:
        return f"cannot read {worktree}: permission denied"
    if "not a git repository" in stderr:
        return f"{worktree} is no longer a git repository"
    return f"git status failed in {worktree}: {first or 'no message'}"
