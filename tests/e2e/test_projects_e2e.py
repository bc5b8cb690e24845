"""Projects end to end: real claude panes in real git repositories, the real app's API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop.core.projects.locate import project_id
from tests.support.app_process import AppProcess
from tests.support.claude_session import PERMISSION_DIALOG, start_claude, type_prompt
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.git_repos import GIT_ENV, add_worktree, git, make_repo
from tests.support.install import install_hooks
from tests.support.private_tmux import PrivateTmux

pytestmark = pytest.mark.e2e


def panes_in(app: AppProcess, pid: str, count: int) -> list[dict[str, Any]]:
    """The panes once `count` of them have their persona (SessionStart) and project `pid`."""
    return app.wait_for(  # type: ignore[no-any-return]
        "/api/panes",
        lambda ps: len(ps) == count and all(p["persona"] and p["project_id"] == pid for p in ps),
        timeout=30,
    )


def test_two_claude_panes_in_one_repo_are_one_project_with_both_personas(
    app: AppProcess,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    tmp_path: Path,
) -> None:
    install_hooks(claude_home, app.data_dir, app.port)
    repo = make_repo(tmp_path / "api-server")
    sub = repo / "src"
    sub.mkdir()
    first = start_claude(tmux_server, fake_api, claude_home, repo)
    second = start_claude(tmux_server, fake_api, claude_home, sub)
    pid = project_id(str(repo))

    # SessionStart names both personas; the panes' project comes from their folders.
    panes = panes_in(app, pid, 2)
    assert {p["git"]["branch"] for p in panes} == {"main"}
    assert not any(p["git"]["dirty"] for p in panes)
    project = app.wait_for(f"/api/projects/{pid}", lambda p: len(p["personas"]) == 2)
    assert project["name"] == "api-server" and project["root"] == str(repo)
    assert {p["id"] for p in project["personas"]} == {p["persona"]["id"] for p in panes}
    assert sorted(p["pane_id"] for p in project["panes"]) == sorted([first, second])
    assert [p["id"] for p in app.get("/api/projects")] == [pid]

    # An untracked file: the next poll's scan sees the folder's mtime move.
    polls_before = app.get("/api/health")["tmux"]["polls"]
    (repo / "new-file.txt").write_text("hello\n")
    dirty = app.wait_for(
        "/api/panes", lambda ps: all(p["git"] and p["git"]["dirty"] for p in ps), timeout=10
    )
    polls_after = app.get("/api/health")["tmux"]["polls"]
    assert {p["git"]["changes"] for p in dirty} == {1}
    # The poll after the change starts the scan that shows it; by the time this test reads
    # it, at most one more poll (two on a loaded machine) has gone by.
    assert polls_after - polls_before <= 3, (polls_before, polls_after)


def test_a_commit_made_by_claude_counts_in_the_project_and_the_report(
    app: AppProcess,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    tmp_path: Path,
) -> None:
    install_hooks(claude_home, app.data_dir, app.port)
    repo = make_repo(tmp_path / "website")
    pid = project_id(str(repo))
    pane = start_claude(tmux_server, fake_api, claude_home, repo, extra_env=dict(GIT_ENV))
    app.wait_for("/api/panes", lambda ps: any(p["persona"] and p["project_id"] == pid for p in ps))
    (repo / "index.html").write_text("<h1>hi</h1>\n")

    # git commit changes files: Claude asks first; the answer "1" lets it run.
    type_prompt(tmux_server, pane, 'BASH:git add -A && git commit -q -m "from claude"')
    tmux_server.wait_for(pane, PERMISSION_DIALOG)
    tmux_server.send_keys(pane, "1")
    tmux_server.wait_for(pane, r"done:")
    assert git(repo, "log", "-1", "--format=%s").strip() == "from claude"

    # The commit counts at its PostToolUse, the turn at the Stop after it.
    project = app.wait_for(
        f"/api/projects/{pid}", lambda p: (p["totals"]["commits"], p["totals"]["turns"]) == (1, 1)
    )
    assert project["totals"]["tool_calls"] >= 1 and project["totals"]["turns"] == 1
    assert [t["tool"] for t in project["top_tools"]] == ["Bash"]
    [member] = project["team"]
    assert member["share"] == 1.0 and member["xp"] > 0
    assert project["streak_days"] == 1  # XP today in this repo
    [session] = project["recent_sessions"]
    assert session["persona"]["id"] == member["id"] and session["turns"] == 1

    report = app.get("/api/report?days=1")
    [line] = [p for p in report["projects"] if p["id"] == pid]
    assert (line["commits"], line["turns"], line["test_runs"]) == (1, 1, 0)
    assert line["personas"][0]["commits"] == 1
    # The CLI reads the same database while the app runs, and says the same.
    out = subprocess.run(
        [sys.executable, "-m", "desktop", "report", "--data-dir", str(app.data_dir),
         "--format", "json"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    cli = json.loads(out.stdout)
    assert [(p["id"], p["commits"]) for p in cli["projects"]] == [(pid, 1)]
    # The commit left the worktree clean: the next scan after it says so.
    app.wait_for("/api/panes", lambda ps: ps[0]["git"]["dirty"] is False)


def test_a_claude_in_a_linked_worktree_belongs_to_the_main_repository(
    app: AppProcess,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    tmp_path: Path,
) -> None:
    install_hooks(claude_home, app.data_dir, app.port)
    repo = make_repo(tmp_path / "website")
    tree = add_worktree(repo, tmp_path / "website-hotfix", "hotfix")
    start_claude(tmux_server, fake_api, claude_home, repo)
    start_claude(tmux_server, fake_api, claude_home, tree)
    pid = project_id(str(repo))
    panes = panes_in(app, pid, 2)
    by_folder = {p["cwd"]: p for p in panes}
    assert by_folder[str(tree)]["git"]["branch"] == "hotfix"
    assert by_folder[str(tree)]["project"]["worktree"] == str(tree)
    assert by_folder[str(repo)]["git"]["branch"] == "main"
    project = app.wait_for(f"/api/projects/{pid}", lambda p: len(p["worktrees"]) == 2)
    assert {w["path"]: (w["main"], w["git"]["branch"]) for w in project["worktrees"]} == {
        str(repo): (True, "main"),
        str(tree): (False, "hotfix"),
    }
    assert len(project["personas"]) == 2
