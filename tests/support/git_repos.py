"""Real git repositories for tests and benchmarks: init, commit, worktrees, an upstream."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Commits need an identity; the throwaway HOME of a test has no git config.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` (no network: every repository here is local) and return stdout."""
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def make_repo(path: Path, branch: str = "main", files: int = 1) -> Path:
    """A repository with `files` committed files on `branch`."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    for i in range(files):
        (path / f"file{i}.txt").write_text(f"{i}\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first")
    return path


def commit_file(repo: Path, name: str, text: str = "x\n", message: str = "change") -> None:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)


def add_worktree(repo: Path, path: Path, branch: str) -> Path:
    """A linked worktree of `repo` at `path`, on a new branch."""
    git(repo, "worktree", "add", "-q", "-b", branch, str(path))
    return path


def clone_with_upstream(origin: Path, path: Path) -> Path:
    """A local clone whose branch tracks `origin` (ahead/behind are counted against it)."""
    subprocess.run(
        ["git", "clone", "-q", str(origin), str(path)],
        env={**os.environ, **GIT_ENV},
        check=True,
        capture_output=True,
    )
    return path
