"""Projects end to end: real claude panes in real git repositories, the real app's API."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.projects.locate import project_id
from tests.support.app_process import AppProcess
from tests.support.claude_session import start_claude
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.git_repos import make_repo
from tests.support.install import install_hooks
from tests.support.private_tmux import PrivateTmux

pytestmark = pytest.mark.e2e


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
    panes = app.wait_for(
        "/api/panes",
        lambda ps: len(ps) == 2 and all(p["persona"] and p["project_id"] == pid for p in ps),
        timeout=30,
    )
    assert {p["git"]["branch"] for p in panes} == {"main"}
    assert not any(p["git"]["dirty"] for p in panes)
    project = app.wait_for(f"/api/projects/{pid}", lambda p: len(p["personas"]) == 2)
    assert project["name"] == "api-server" and project["root"] == str(repo)
    assert {p["id"] for p in project["personas"]} == {p["persona"]["id"] for p in panes}
    assert sorted(p["pane_id"] for p in project["panes"]) == sorted([first, second])
    assert [p["id"] for p in app.get("/api/projects")] == [pid]

    # An untracked file: the next poll's scan sees the folder's mtime move.
    (repo / "new-file.txt").write_text("hello\n")
    dirty = app.wait_for(
        "/api/panes", lambda ps: all(p["git"] and p["git"]["dirty"] for p in ps), timeout=10
    )
    assert {p["git"]["changes"] for p in dirty} == {1}
