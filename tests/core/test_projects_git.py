"""Projects from real git repositories: where a folder's repo is, and its state in words."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from desktop.core.projects.gitstate import parse_status, read_git_state
from desktop.core.projects.locate import NotARepo, RepoLocation, locate, project_id
from desktop.core.projects.scan import BUSY_RETRY_S, ScanState
from tests.support.git_repos import (
    add_worktree,
    clone_with_upstream,
    commit_file,
    git,
    make_repo,
)


def located(folder: Path) -> RepoLocation:
    where = locate(str(folder))
    assert isinstance(where, RepoLocation), where
    return where


def test_a_subfolder_and_a_worktree_belong_to_the_main_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "api-server")
    sub = repo / "src" / "deep"
    sub.mkdir(parents=True)
    tree = add_worktree(repo, tmp_path / "api-feature", "feature")

    main, inner, linked = located(repo), located(sub), located(tree)
    assert main.root == inner.root == linked.root == str(repo)
    assert main.project_id == linked.project_id == project_id(str(repo))
    assert (main.name, linked.name) == ("api-server", "api-server")
    assert inner.worktree == str(repo) and not inner.is_linked_worktree
    assert linked.worktree == str(tree) and linked.is_linked_worktree
    assert linked.git_dir != main.git_dir and linked.common_dir == main.common_dir


def test_folders_that_are_no_project_say_why_in_words(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert locate(str(plain)) == NotARepo("")  # simply no project: nothing is wrong

    gone = locate(str(tmp_path / "vanished"))
    assert isinstance(gone, NotARepo) and "is gone" in gone.problem

    bare = tmp_path / "site.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    where = locate(str(bare))
    assert isinstance(where, NotARepo) and "bare repository" in where.problem

    repo = make_repo(tmp_path / "r")
    tree = add_worktree(repo, tmp_path / "tree", "t")
    git(repo, "worktree", "prune")  # nothing to prune yet: the worktree exists
    (repo / ".git" / "worktrees" / "tree").rename(tmp_path / "moved-away")
    broken = locate(str(tree))
    assert isinstance(broken, NotARepo) and "points at a git dir that is gone" in broken.problem


REPO_ROOT = Path(__file__).resolve().parents[2]


def locate_as_user(folder: Path) -> str:
    """`locate(folder)` run by a user the folder's permissions apply to (root reads all)."""
    code = f"from desktop.core.projects.locate import locate; print(locate({str(folder)!r}))"
    command = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: no user to deny")
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    return done.stdout.strip()


def test_permission_denied_is_a_sentence() -> None:
    # Under /tmp, not pytest's own folder: the other user must reach the locked folder.
    base = Path(tempfile.mkdtemp(prefix="claude-rpg-perm-", dir="/tmp"))
    try:
        base.chmod(0o755)
        locked = base / "locked"
        (locked / "inner").mkdir(parents=True)
        locked.chmod(0)
        shown = locate_as_user(locked / "inner")
    finally:
        (base / "locked").chmod(0o755)
        shutil.rmtree(base)
    assert shown == (
        f"NotARepo(problem='cannot read {locked / 'inner'}: permission denied "
        "(no git state shown)')"
    )


def test_branch_dirty_ahead_behind_from_one_status_read(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin")
    clone = clone_with_upstream(origin, tmp_path / "clone")
    clean = read_git_state(str(clone))
    assert (clean.branch, clean.dirty, clean.ahead, clean.behind) == ("main", False, 0, 0)
    assert clean.upstream == "origin/main" and clean.label == "main"

    commit_file(clone, "mine.txt")
    commit_file(clone, "mine2.txt")
    commit_file(origin, "theirs.txt")
    git(clone, "fetch", "-q")  # a local path: no network
    (clone / "untracked.txt").write_text("new\n")
    state = read_git_state(str(clone))
    assert (state.dirty, state.changes, state.ahead, state.behind) == (True, 1, 2, 1)


def test_detached_head_and_empty_repo_in_words(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    head = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "--detach")
    state = read_git_state(str(repo))
    assert state.detached and state.branch == "" and state.label == f"detached HEAD at {head[:7]}"

    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "trunk")
    fresh = read_git_state(str(empty))
    assert (fresh.branch, fresh.head, fresh.problem) == ("trunk", "", "")


def test_a_slow_status_read_is_cut_off_and_shown_as_busy(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "huge")
    slow_git = tmp_path / "slow-git"
    slow_git.write_text("#!/bin/sh\nexec sleep 30\n")
    slow_git.chmod(0o755)
    state = read_git_state(str(repo), timeout=0.3, git=str(slow_git))
    assert state.busy and state.label == "busy repo"
    assert state.problem.startswith("busy repo: git status took over 0.3 s")


def test_git_failures_become_sentences(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    gone = read_git_state(str(tmp_path / "nowhere"))
    assert gone.problem == f"the repository at {tmp_path / 'nowhere'} is gone"
    failing = tmp_path / "failing-git"
    failing.write_text(
        '#!/bin/sh\necho "fatal: unable to read x: Permission denied" >&2\nexit 128\n'
    )
    failing.chmod(0o755)
    denied = read_git_state(str(repo), git=str(failing))
    assert denied.problem == f"cannot read {repo}: permission denied"
    assert parse_status("# branch.oid (initial)\n# branch.head main\n").head == ""


def test_idle_scans_run_no_git_and_changes_are_read_once_per_worktree(tmp_path: Path) -> None:
    repos = [make_repo(tmp_path / f"repo{i}") for i in range(5)]
    folders = []
    for repo in repos:
        for j in range(4):  # 20 panes in 5 repos: some in subfolders
            folder = repo / f"sub{j}" if j else repo
            folder.mkdir(exist_ok=True)
            folders.append(str(folder))
    state = ScanState()
    first = state.scan(folders)
    assert state.git_runs == 5  # once per repository, not per pane
    assert {f.location.root for f in first.values() if f.location} == {str(r) for r in repos}
    state.scan(folders)
    state.scan(folders)
    assert state.git_runs == 5  # idle: nothing changed, no git process

    (repos[2] / "untracked.txt").write_text("new\n")
    after = state.scan(folders)
    assert state.git_runs == 6
    git_state = after[str(repos[2])].git
    assert git_state is not None and git_state.dirty

    commit_file(repos[3], "file0.txt", "changed\n")  # index, reflog: the repo is read again
    state.scan(folders)
    assert state.git_runs == 7

    # A hook said a tool ran in a subfolder: its worktree is read though no mtime moved.
    state.scan(folders, touched=[str(repos[0] / "sub1")])
    assert state.git_runs == 8


def test_a_scan_notices_a_repository_or_worktree_that_vanished(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "site")
    tree = add_worktree(repo, tmp_path / "site-fix", "fix")
    other = make_repo(tmp_path / "other")
    state = ScanState()
    folders = [str(repo), str(tree), str(other)]
    first = state.scan(folders)
    assert all(f.location is not None for f in first.values())

    git(repo, "worktree", "remove", "--force", str(tree))
    shutil.rmtree(other)
    after = state.scan(folders)
    assert after[str(repo)].location is not None  # the main worktree is still there
    assert after[str(tree)].location is None and "is gone" in after[str(tree)].problem
    assert after[str(other)].location is None and "is gone" in after[str(other)].problem


def test_a_busy_repo_is_not_read_again_every_tick(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "monorepo")
    slow_git = tmp_path / "slow-git"
    slow_git.write_text("#!/bin/sh\nexec sleep 30\n")
    slow_git.chmod(0o755)
    clock = [1000.0]
    state = ScanState(
        read_status=lambda worktree: read_git_state(worktree, timeout=0.2, git=str(slow_git)),
        clock=lambda: clock[0],
    )
    first = state.scan([str(repo)])[str(repo)].git
    assert first is not None and first.busy and first.label == "busy repo"
    (repo / "new.txt").write_text("x\n")  # a change, but the repo is known to be slow
    clock[0] += 5
    state.scan([str(repo)])
    assert state.git_runs == 1
    clock[0] += BUSY_RETRY_S
    state.scan([str(repo)])
    assert state.git_runs == 2  # tried again after a minute
