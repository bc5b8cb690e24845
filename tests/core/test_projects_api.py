"""Projects on panes and in the API: the real listener, real repositories, the real tracker."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from desktop.core.hooks.listener import SECRET_HEADER, HookListener
from desktop.core.hooks.payload import IncomingEvent
from desktop.core.ingest import EventIngest
from desktop.core.model import PaneState
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.core.projects.locate import project_id
from desktop.core.projects.service import ProjectService
from desktop.core.projects.tracker import ProjectTracker
from desktop.store.db import Database
from tests.support.git_repos import add_worktree, make_repo


async def get_json(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with http.get(url) as resp:
        return resp.status, await resp.json()


def test_panes_gain_project_and_git_and_the_api_lists_projects(
    tmp_path: Path, ingest: EventIngest, personas: PersonaService, registry: PaneRegistry
) -> None:
    repo = make_repo(tmp_path / "api-server", branch="main")
    (repo / "src").mkdir()
    tree = add_worktree(repo, tmp_path / "api-server-fix", "fix")
    plain = tmp_path / "notes"
    plain.mkdir()
    registry.put(PaneState(pane_id="%1", target="w:1.0", cwd=str(repo)))
    registry.put(PaneState(pane_id="%2", target="w:2.0", cwd=str(repo / "src")))
    registry.put(PaneState(pane_id="%3", target="w:3.0", cwd=str(tree)))
    registry.put(PaneState(pane_id="%4", target="w:4.0", cwd=str(plain)))
    registry.put(PaneState(pane_id="%5", target="w:5.0", cwd=str(tmp_path / "vanished")))
    tracker = ProjectTracker(registry)
    service = ProjectService(tracker, registry)
    pid = project_id(str(repo))

    async def main() -> None:
        await tracker.scan_now()
        listener = HookListener(ingest, personas, registry, secret="s", port=0, projects=service)
        await listener.start()
        try:
            # Every /api route but /api/health needs the secret.
            async with aiohttp.ClientSession(headers={SECRET_HEADER: "s"}) as http:
                status, panes = await get_json(http, f"{listener.url}/api/panes")
                assert status == 200
                by_id = {p["pane_id"]: p for p in panes}
                assert {by_id[k]["project_id"] for k in ("%1", "%2", "%3")} == {pid}
                assert by_id["%1"]["git"]["branch"] == "main"
                assert by_id["%3"]["git"]["branch"] == "fix"
                assert by_id["%3"]["project"]["worktree"] == str(tree)
                assert {k: by_id["%1"]["git"][k] for k in ("dirty", "ahead", "behind")} == {
                    "dirty": False,
                    "ahead": 0,
                    "behind": 0,
                }
                assert (by_id["%4"]["project_id"], by_id["%4"]["git"]) == (None, None)
                assert by_id["%4"]["project"] is None  # no repo, nothing wrong: no project
                assert "is gone" in by_id["%5"]["project"]["problem"]

                status, projects = await get_json(http, f"{listener.url}/api/projects")
                assert status == 200 and [p["id"] for p in projects] == [pid]
                [project] = projects
                assert (project["name"], project["root"]) == ("api-server", str(repo))
                assert sorted(p["pane_id"] for p in project["panes"]) == ["%1", "%2", "%3"]
                assert {w["path"]: w["main"] for w in project["worktrees"]} == {
                    str(repo): True,
                    str(tree): False,
                }
                status, one = await get_json(http, f"{listener.url}/api/projects/{pid}")
                assert status == 200 and one["id"] == pid
                status, missing = await get_json(http, f"{listener.url}/api/projects/nope")
                assert status == 404
                assert missing["error"] == "no project with id 'nope'; see /api/projects"
        finally:
            await listener.stop()
            await tracker.stop()

    asyncio.run(main())


def test_a_tool_event_in_a_repo_reads_it_again_and_a_new_file_shows_dirty(
    tmp_path: Path, registry: PaneRegistry
) -> None:
    repo = make_repo(tmp_path / "site")
    sub = repo / "docs"
    sub.mkdir()
    registry.put(PaneState(pane_id="%1", target="w:1.0", cwd=str(repo)))
    tracker = ProjectTracker(registry)
    changes: list[int] = []
    tracker.subscribe(lambda: changes.append(1))

    def git_of(pane_id: str) -> Any:
        pane = registry.get(pane_id)
        assert pane is not None and pane.project is not None and pane.project.git is not None
        return pane.project.git

    async def main() -> None:
        try:
            await tracker.scan_now()
            assert not git_of("%1").dirty and changes == [1]
            runs = tracker.state.git_runs
            await tracker.scan_now()
            assert tracker.state.git_runs == runs and changes == [1]  # idle: no git run
            # A file in a subfolder changes no watched mtime; the hook event marks it.
            (sub / "page.md").write_text("new\n")
            tracker.on_event(
                IncomingEvent(
                    payload={"cwd": str(repo), "tool_name": "Write"},
                    event_name="PostToolUse",
                    session_id="s",
                    dedupe_key="k",
                    stamp=1.0,
                )
            )
            await tracker.scan_now()
            assert git_of("%1").dirty and changes == [1, 1]
        finally:
            await tracker.stop()

    asyncio.run(main())


def test_the_report_route_checks_days(
    tmp_path: Path, db: Database, ingest: EventIngest, personas: PersonaService,
    registry: PaneRegistry,
) -> None:  # fmt: skip
    tracker = ProjectTracker(registry)
    service = ProjectService(tracker, registry, db)

    async def main() -> None:
        listener = HookListener(ingest, personas, registry, secret="s", port=0, projects=service)
        await listener.start()
        try:
            async with aiohttp.ClientSession(headers={SECRET_HEADER: "s"}) as http:
                status, report = await get_json(http, f"{listener.url}/api/report")
                assert status == 200
                assert (report["days"], report["projects"], report["totals"]["xp"]) == (1, [], 0)
                status, week = await get_json(http, f"{listener.url}/api/report?days=7")
                assert status == 200 and week["days"] == 7
                for bad in ("0", "367", "x", "-1", "1e3"):
                    status, error = await get_json(http, f"{listener.url}/api/report?days={bad}")
                    assert status == 400
                    assert error["error"] == "days must be a whole number from 1 to 366"
                async with (
                    aiohttp.ClientSession() as anonymous,
                    anonymous.get(f"{listener.url}/api/report") as resp,
                ):
                    assert resp.status == 401  # like every /api read but health
        finally:
            await listener.stop()
            await tracker.stop()

    asyncio.run(main())
