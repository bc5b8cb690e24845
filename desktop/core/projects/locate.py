"""Finding the git repository a folder belongs to, from the file system alone (no git call).

A project is keyed by the top-level folder of its main repository: a linked worktree
(`git worktree add`) belongs to the repository it was made from, a subfolder to the
repository around it. Walking up a handful of folders and reading a `.git` file costs a few
stat calls, so it is done once per folder and remembered.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RepoLocation:
    """Where a folder's repository is: the project's key, this worktree and its git dir."""

    root: str  # the main repository's top-level folder: the project's key
    worktree: str  # the top-level folder of the worktree the folder is in
    git_dir: str  # this worktree's git dir (HEAD, index live here)
    common_dir: str  # the repository's shared git dir (refs, packed-refs)

    @property
    def project_id(self) -> str:
        return project_id(self.root)

    @property
    def name(self) -> str:
        return project_name(self.root)

    @property
    def is_linked_worktree(self) -> bool:
        return self.worktree != self.root


@dataclass(frozen=True)
class NotARepo:
    """A folder that is in no repository ("no project"), or one that cannot be read."""

    problem: str = ""  # a sentence when something is wrong (permission, bare repo, gone)


def project_id(root: str) -> str:
    """A short stable id for a project's key (its top-level folder), fit for a URL."""
    return hashlib.sha256(root.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def project_name(root: str) -> str:
    """What a project is called: its folder's name (a bare `x.git` becomes `x`)."""
    name = os.path.basename(root.rstrip("/")) or root
    return name[:-4] if name.endswith(".git") and len(name) > 4 else name


def _is_bare_repo(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def _read_gitdir_file(dot_git: Path) -> Path | None:
    """The git dir a `.git` file (a linked worktree or a submodule) points at."""
    text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
    if not text.startswith("gitdir:"):
        return None
    target = Path(text[len("gitdir:") :].strip())
    return target if target.is_absolute() else (dot_git.parent / target)


def _common_dir(git_dir: Path) -> Path:
    commondir = git_dir / "commondir"
    if commondir.is_file():
        target = Path(commondir.read_text(encoding="utf-8", errors="replace").strip())
        return Path(os.path.normpath(target if target.is_absolute() else git_dir / target))
    return git_dir


def locate(folder: str) -> RepoLocation | NotARepo:
    """The repository `folder` is in, or why it is in none (never raises)."""
    try:
        return _locate(Path(os.path.abspath(folder)))
    except PermissionError:
        return NotARepo(f"cannot read {folder}: permission denied (no git state shown)")
    except OSError as e:
        return NotARepo(f"cannot read {folder}: {e.strerror or e} (no git state shown)")


def _locate(start: Path) -> RepoLocation | NotARepo:
    if not start.is_dir():
        return NotARepo(f"the folder {start} is gone")
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            git_dir = dot_git
        elif dot_git.is_file():
            found = _read_gitdir_file(dot_git)
            if found is None or not found.is_dir():
                return NotARepo(f"{dot_git} points at a git dir that is gone (a removed worktree?)")
            git_dir = found
        elif folder == start and _is_bare_repo(folder):
            return NotARepo(f"{folder} is a bare repository: it has no files to work on")
        else:
            continue
        common = _common_dir(git_dir)
        # The main repository's top level is the folder holding its `.git`; a worktree of a
        # bare repository has none, so the bare repository's own folder stands for it.
        root = common.parent if common.name == ".git" else common
        return RepoLocation(str(root), str(folder), str(git_dir), str(common))
    return NotARepo()
