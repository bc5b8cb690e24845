"""Stable personas end to end: the real claude CLI in a private tmux, the real app headless."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.support.app_process import AppProcess
from tests.support.claude_session import start_claude, type_prompt
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.install import install_hooks as install
from tests.support.private_tmux import PrivateTmux

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ALL_BUT_SESSION_START = (
    "UserPromptSubmit,PreToolUse,PermissionRequest,Notification,PostToolUse,"
    "PostToolUseFailure,Stop,StopFailure,SubagentStart,SubagentStop,PreCompact,PostCompact,"
    "SessionEnd"
)


def install_hooks(app: AppProcess, home: Path, events: str | None = None) -> Path:
    return install(home, app.data_dir, app.port, events)


def test_pane_awaits_identity_until_the_first_event_and_keeps_its_persona_across_restarts(
    app: AppProcess,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
) -> None:
    install_hooks(app, claude_home, ALL_BUT_SESSION_START)
    sid = str(uuid.uuid4())
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir, args=["--session-id", sid])

    # 1. Found by the poller, but no hook yet: awaiting identity, and no persona exists.
    entry = app.wait_for_pane(pane)
    assert entry["awaiting_identity"] is True
    assert entry["persona"] is None and entry["session_id"] is None
    assert entry["cwd"] == str(project_dir)
    assert entry["target"].startswith("harness:")
    assert app.get("/api/personas") == []

    # 2. The first prompt's hook creates exactly one persona, keyed by the session id.
    type_prompt(tmux_server, pane, "say hi please")
    tmux_server.wait_for(pane, r"hello")
    # Wait for the turn's Stop too, so no event of this turn is still in flight below.
    entry = app.wait_for_pane(pane, lambda p: p["last_event"] == "Stop")
    [persona] = app.get("/api/personas")
    assert persona["session_id"] == sid
    assert entry["awaiting_identity"] is False
    assert entry["session_id"] == sid and entry["persona"]["id"] == persona["id"]
    accepted = app.get("/api/health")["events_accepted"]

    # 3. Restart: same persona, same id, challenges answer, and the pane is bound again at
    #    once from its stored binding (same claude process), without a new prompt.
    app.restart()
    identity = ("id", "session_id", "name", "created_at", "xp", "level")
    [again_persona] = app.get("/api/personas")
    assert {k: again_persona[k] for k in identity} == {k: persona[k] for k in identity}
    assert len(app.get(f"/api/personas/{persona['id']}/challenges")) == 3
    entry = app.wait_for_pane(pane)
    assert entry["awaiting_identity"] is False
    assert entry["persona"]["id"] == persona["id"] and entry["session_id"] == sid
    assert accepted > 0
    assert app.get("/api/health")["events_accepted"] == 0  # nothing new was needed


def test_session_start_gives_a_new_claude_its_persona_without_typing(
    app: AppProcess,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
) -> None:
    install_hooks(app, claude_home)
    sid = str(uuid.uuid4())
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir, args=["--session-id", sid])
    entry = app.wait_for_pane(pane, lambda p: p["persona"], timeout=5)
    assert entry["session_id"] == sid and entry["status"] == "idle"
    assert [p["session_id"] for p in app.get("/api/personas")] == [sid]


def test_two_panes_two_sessions_two_personas(
    app: AppProcess,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    tmp_path: Path,
) -> None:
    install_hooks(app, claude_home)
    sids = [str(uuid.uuid4()), str(uuid.uuid4())]
    panes = [
        start_claude(
            tmux_server, fake_api, claude_home, tmp_path / f"proj{i}", args=["--session-id", sid]
        )
        for i, sid in enumerate(sids)
    ]
    for pane in panes:
        type_prompt(tmux_server, pane, "say hi please")
    seen = app.wait_for(
        "/api/panes",
        lambda ps: sum(1 for p in ps if p["pane_id"] in panes and p["persona"]) == 2,
    )
    by_pane = {p["pane_id"]: p for p in seen}
    assert [by_pane[p]["session_id"] for p in panes] == sids
    personas = app.get("/api/personas")
    assert sorted(p["session_id"] for p in personas) == sorted(sids)
    assert by_pane[panes[0]]["persona"]["id"] != by_pane[panes[1]]["persona"]["id"]


def test_a_burst_of_duplicate_first_events_creates_one_persona(app: AppProcess) -> None:
    sid = str(uuid.uuid4())
    payload = {"session_id": sid, "hook_event_name": "SessionStart", "source": "startup"}

    def post(i: int) -> Any:
        return app.post_event(payload, pane="%1", headers={"X-Hook-Id": f"burst-{i}"})

    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(pool.map(post, range(64)))
    assert all(r["stored"] for r in replies)
    assert len({r["persona_id"] for r in replies}) == 1
    assert [p["session_id"] for p in app.get("/api/personas")] == [sid]
    assert app.get("/api/health")["events_accepted"] == 64


def test_recorded_real_events_through_the_listener_give_one_persona_per_session(
    app: AppProcess,
) -> None:
    rows = [
        json.loads(line)
        for line in (FIXTURES / "claude-code-2.1.197-hook-events.jsonl").read_text().splitlines()
    ]
    for i, row in enumerate(rows):
        reply = app.post_event(
            row["payload"], pane=row["tmux_pane"], headers={"X-Hook-Id": f"r{i}"}
        )
        assert reply["stored"] is True
    sessions = {row["payload"]["session_id"] for row in rows}
    personas = app.get("/api/personas")
    assert len(personas) == len(sessions) == 15
    assert {p["session_id"] for p in personas} == sessions
