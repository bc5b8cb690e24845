"""One scan of the projects behind the panes: which repo each folder is in, and its git state.

A scan runs on the git worker thread. Per worktree it stats a few files (HEAD, the index,
HEAD's reflog, packed-refs, FETCH_HEAD, the worktree's folder and the panes' folders); only
when one of them changed, a hook said a tool ran there, or the last read is old does it run
`git status`. So an idle tick costs a few stat calls per repository, however many panes
work in it, and no git process at all.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from desktop.core.projects.gitstate import GitState, read_git_state
from desktop.core.projects.locate import NotARepo, RepoLocation, locate

# A state older than this is read again even if nothing we watch changed (an edit in a
# subfolder changes no mtime the scan looks at).
STALE_AFTER_S = 30.0
# A repo whose status read timed out is not tried again sooner than this.
BUSY_RETRY_S = 60.0
# A folder in no repository is looked at again this often (someone may run `git init`).
RELOCATE_AFTER_S = 30.0

Where = RepoLocation | NotARepo
StatusReader = Callable[[str], GitState]


@dataclass(frozen=True)
class FolderProject:
    """What a scan says about one folder: its repository and that worktree's state."""

    location: RepoLocation | None
    git: GitState | None
    problem: str = ""


@dataclass
class _Read:
    stamp: tuple[int | None, ...]
    state: GitState
    at: float


@dataclass
class ScanState:
    """What scans remember between ticks; touched only by the git worker thread."""

    read_status: StatusReader = read_git_state
    locate: Callable[[str], Where] = locate
    stale_after: float = STALE_AFTER_S
    busy_retry: float = BUSY_RETRY_S
    clock: Callable[[], float] = time.monotonic
    where: dict[str, tuple[Where, float]] = field(default_factory=dict)
    reads: dict[str, _Read] = field(default_factory=dict)
    git_runs: int = 0  # `git status` processes started (the benchmark counts them)

    def scan(
        self, folders: Collection[str], touched: Collection[str] = ()
    ) -> dict[str, FolderProject]:
        """The project of each folder, reading git only where something changed."""
        now = self.clock()
        wanted = sorted({*folders, *touched})
        for attempt in (1, 2):
            located = {folder: self._where(folder, now) for folder in wanted}
            by_worktree: dict[str, list[str]] = {}
            for folder, where in located.items():
                if isinstance(where, RepoLocation):
                    by_worktree.setdefault(where.worktree, []).append(folder)
            stamps = {wt: _stamp(_location(located, fs), fs) for wt, fs in by_worktree.items()}
            # One stat per folder and a few per worktree tell what moved: a git dir or a
            # folder that is gone is looked up again (once), everything else stays known.
            gone = [
                folder
                for wt, in_it in by_worktree.items()
                for i, folder in enumerate(in_it)
                if stamps[wt][0] is None or stamps[wt][_FOLDERS_AT + i] is None
            ]
            if not gone or attempt == 2:
                break
            for folder in gone:
                self.where.pop(folder, None)
        dirty_worktrees = {
            where.worktree
            for folder in touched
            if isinstance(where := located[folder], RepoLocation)
        }
        states: dict[str, GitState] = {}
        for worktree, in_it in by_worktree.items():
            loc = _location(located, in_it)
            touched_here = worktree in dirty_worktrees
            states[worktree] = self._state(loc, stamps[worktree], touched_here, now)
        # Forget what no pane shows any more: a closed repo costs nothing later.
        self.reads = {k: v for k, v in self.reads.items() if k in by_worktree}
        out: dict[str, FolderProject] = {}
        for folder in folders:
            where = located[folder]
            if isinstance(where, RepoLocation):
                out[folder] = FolderProject(where, states[where.worktree])
            else:
                out[folder] = FolderProject(None, None, where.problem)
        return out

    def _where(self, folder: str, now: float) -> Where:
        known = self.where.get(folder)
        if known is not None:
            where, at = known
            # A repository stays known until its stamp says it is gone (see scan).
            if isinstance(where, RepoLocation) or now - at < RELOCATE_AFTER_S:
                return where
        where = self.locate(folder)
        self.where[folder] = (where, now)
        if len(self.where) > 4096:  # folders come and go with panes: keep the newest
            for old in list(self.where)[:1024]:
                del self.where[old]
        return where

    def _state(
        self, loc: RepoLocation, stamp: tuple[int | None, ...], touched: bool, now: float
    ) -> GitState:
        last = self.reads.get(loc.worktree)
        if last is not None:
            if last.state.busy:
                fresh = now - last.at < self.busy_retry
            else:
                fresh = not touched and last.stamp == stamp and now - last.at < self.stale_after
            if fresh:
                return last.state
        self.git_runs += 1
        state = self.read_status(loc.worktree)
        # The stamp is taken before the read: a change during the read is seen next tick.
        self.reads[loc.worktree] = _Read(stamp, state, now)
        return state


def _location(located: dict[str, Where], folders: list[str]) -> RepoLocation:
    loc = located[folders[0]]
    assert isinstance(loc, RepoLocation)
    return loc


# Where the folders' mtimes start in a stamp (after HEAD, index, reflog, packed-refs,
# FETCH_HEAD and the worktree's own folder).
_FOLDERS_AT = 6


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _stamp(loc: RepoLocation, folders: list[str]) -> tuple[int | None, ...]:
    """The mtimes that change when git state can have changed (a commit, a checkout, a fetch,
    `git add`, a new file in the worktree's or a pane's folder)."""
    paths = [
        os.path.join(loc.git_dir, "HEAD"),
        os.path.join(loc.git_dir, "index"),
        os.path.join(loc.git_dir, "logs", "HEAD"),
        os.path.join(loc.common_dir, "packed-refs"),
        os.path.join(loc.common_dir, "FETCH_HEAD"),
        loc.worktree,
        *folders,
    ]
    return tuple(_mtime(p) for p in paths)
