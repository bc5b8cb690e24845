"""What reading git costs per poll tick: 20 panes in 5 repositories against 5 panes in the
same 5, idle (nothing changes) and busy (one repository changes every tick).

Each tick runs what the app's git worker runs after a tmux poll (ScanState.scan over the
panes' folders: a few stat calls per worktree, and `git status` only where something
changed). Baseline: the naive design, one `git status` per pane per tick. git processes are
counted by a `git` shim first on PATH; time and CPU (this process and its git children) are
measured in a second pass without it. The repositories hold --files files each.

Target (issue 13): git processes per tick do not grow with the number of panes (idle: 0;
busy: one per changed repository), and the cost per tick at 20 panes stays within 1.5x of
the cost at 5 panes (the ratio column). Exits non-zero when a scan did not see a change.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import Result, percentile, print_machine, print_table

from desktop.core.projects.gitstate import read_git_state
from desktop.core.projects.scan import ScanState

REPOS = 5
Tick = Callable[[int], None]  # one tick; its argument is the tick's number


def make_repos(root: Path, files: int) -> list[Path]:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.invalid"}
    repos = []
    for r in range(REPOS):
        repo = root / f"repo{r}"
        for d in range(4):
            (repo / f"pkg{d}").mkdir(parents=True)
        for i in range(files):
            (repo / f"pkg{i % 4}" / f"f{i}.txt").write_text(f"{i}\n")
        for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "x"]):
            subprocess.run(["git", *cmd], cwd=repo, env=env, check=True)
        repos.append(repo)
    return repos


def pane_folders(repos: list[Path], per_repo: int) -> list[str]:
    """Pane folders: the top level, then subfolders, `per_repo` panes in each repository."""
    out = []
    for repo in repos:
        for p in range(per_repo):
            out.append(str(repo if p == 0 else repo / f"pkg{p - 1}"))
    return out


def install_shim(folder: Path, log: Path) -> Path:
    """A `git` that appends a line per invocation to `log` and execs the real git."""
    real = shutil.which("git")
    if real is None:
        raise SystemExit("git is not installed: install it (e.g. apt install git)")
    shim = folder / "git"
    shim.write_text(f"#!/bin/sh\necho x >> '{log}'\nexec {real} \"$@\"\n")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return folder


_CHANGES = itertools.count()


def change(repos: list[Path], tick: int) -> Path:
    """Make one repository change (a new file in it), a different one each tick."""
    repo = repos[tick % len(repos)]
    (repo / f"new-{next(_CHANGES)}.txt").write_text("new\n")
    return repo


def ours(folders: list[str], repos: list[Path], busy: bool) -> Tick:
    state = ScanState()
    state.scan(folders)  # the first tick reads every repository once

    def tick(n: int) -> None:
        changed = change(repos, n) if busy else None
        runs = state.git_runs
        found = state.scan(folders)
        if changed is not None:
            git = found[str(changed)].git
            if git is None or not git.dirty or state.git_runs != runs + 1:
                raise SystemExit(f"BROKEN: the scan did not read {changed} once after it changed")

    return tick


def baseline(folders: list[str], repos: list[Path], busy: bool) -> Tick:
    def tick(n: int) -> None:
        if busy:
            change(repos, n)
        for folder in folders:
            read_git_state(folder)

    return tick


def children_cpu() -> float:
    """CPU seconds of this process (fine-grained) and of its finished children (git)."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


def measure(tick: Tick, ticks: int, log: Path, shim: Path) -> dict[str, float]:
    path = os.environ["PATH"]
    os.environ["PATH"] = f"{shim}:{path}"
    try:
        log.unlink(missing_ok=True)
        for n in range(ticks):
            tick(n)
        processes = len(log.read_text().splitlines()) if log.exists() else 0
    finally:
        os.environ["PATH"] = path
    walls = []
    cpu0 = children_cpu()
    for n in range(ticks, 2 * ticks):
        t0 = time.perf_counter()
        tick(n)
        walls.append((time.perf_counter() - t0) * 1e3)
    return {
        "processes": processes / ticks,
        "wall_p50": percentile(walls, 0.5),
        "wall_p95": percentile(walls, 0.95),
        "cpu": (children_cpu() - cpu0) * 1e3 / ticks,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=30, help="ticks per case")
    parser.add_argument("--files", type=int, default=2000, help="files in each repository")
    args = parser.parse_args()
    print_machine()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-git-") as tmp:
        root = Path(tmp)
        shim = install_shim(root, root / "git-calls.log")
        for busy in (False, True):
            repos = make_repos(root / ("busy" if busy else "idle"), args.files)
            mode = "busy" if busy else "idle"
            runs = {}
            for per_repo in (1, 4):
                folders = pane_folders(repos, per_repo)
                for name, make in (("ours", ours), ("baseline", baseline)):
                    runs[(name, per_repo)] = measure(
                        make(folders, repos, busy), args.ticks, root / "git-calls.log", shim
                    )
            want = 1.0 if busy else 0.0
            for per_repo in (1, 4):
                panes = REPOS * per_repo
                us, base = runs[("ours", per_repo)], runs[("baseline", per_repo)]
                five = runs[("ours", 1)]
                results.append(
                    Result(
                        f"{mode}, {panes} panes: git processes/tick",
                        us["processes"],
                        "",
                        f"== {want:g}",
                        us["processes"] == want,
                        base["processes"],
                        "a git status per pane",
                    )
                )
                results.append(
                    Result(
                        f"{mode}, {panes} panes: CPU/tick (vs 5 panes)",
                        us["cpu"],
                        "ms",
                        f"<= {1.5 * five['cpu'] + 0.05:.2f}" if per_repo > 1 else "",
                        us["cpu"] <= 1.5 * five["cpu"] + 0.05 if per_repo > 1 else None,
                        five["cpu"] if per_repo > 1 else None,
                        "ours, 5 panes",
                    )
                )
                results.append(
                    Result(
                        f"{mode}, {panes} panes: wall p50/tick",
                        us["wall_p50"],
                        "ms",
                        baseline=base["wall_p50"],
                        baseline_name="a git status per pane",
                    )
                )
                results.append(
                    Result(
                        f"{mode}, {panes} panes: CPU/tick vs a git status per pane",
                        us["cpu"],
                        "ms",
                        baseline=base["cpu"],
                        baseline_name="a git status per pane",
                    )
                )
    print_table(
        f"git cost per tick, {REPOS} repositories of {args.files} files, {args.ticks} ticks",
        results,
    )
    return 0 if all(r.ok is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
