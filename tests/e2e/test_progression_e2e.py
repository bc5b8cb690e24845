"""Progression end to end: the real claude CLI runs a tool; XP and a challenge move in the API."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from desktop.core.progression.catalog import INITIAL_CHALLENGES, draw
from tests.support.app_process import REPO, AppProcess
from tests.support.claude_session import start_claude, type_prompt
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.install import install_hooks as install
from tests.support.private_tmux import PrivateTmux

pytestmark = pytest.mark.e2e


def install_hooks(app: AppProcess, home: Path) -> None:
    install(home, app.data_dir, app.port)


def session_holding(kind: str) -> str:
    """A session id whose persona is drawn a `kind` challenge (draws derive from the id)."""
    while True:
        sid = str(uuid.uuid4())
        if kind in {spec.kind for spec in draw(sid, INITIAL_CHALLENGES)}:
            return sid


def persona_of(app: AppProcess, sid: str) -> dict[str, Any] | None:
    return next((p for p in app.get("/api/personas") if p["session_id"] == sid), None)


def test_a_real_tool_call_raises_xp_and_moves_a_challenge(
    app: AppProcess,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
) -> None:
    install_hooks(app, claude_home)
    sid = session_holding("shell_commands")
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir, args=["--session-id", sid])

    # SessionStart makes the persona; opening Claude earns nothing.
    app.wait_for("/api/personas", lambda ps: any(p["session_id"] == sid for p in ps))
    persona = persona_of(app, sid)
    assert persona is not None
    pid = persona["id"]
    start = app.get(f"/api/personas/{pid}")
    assert (start["xp"], start["level"], start["badges"]) == (0, 1, [])
    [shell] = [
        c for c in app.get(f"/api/personas/{pid}/challenges") if c["kind"] == "shell_commands"
    ]
    assert (shell["progress"], shell["completed_at"]) == (0, None)

    # A read-only Bash call runs without a permission dialog: PostToolUse, then Stop.
    type_prompt(tmux_server, pane, "please run BASH:echo hi-from-e2e")
    tmux_server.wait_for(pane, r"done: hi-from-e2e")
    ledger = app.wait_for(
        f"/api/personas/{pid}/xp", lambda lines: any(line["rule"] == "turns" for line in lines)
    )
    rules = {line["rule"]: line for line in ledger}
    assert rules["shell_commands"]["reason"] == "shell command: Bash: echo hi-from-e2e"
    assert "badge:first_turn" in rules

    after = app.get(f"/api/personas/{pid}")
    assert after["xp"] == sum(line["amount"] for line in ledger) > start["xp"]
    assert after["level_xp"] <= after["xp"] < after["next_level_xp"]
    assert "first_turn" in {b["id"] for b in after["badges"]}
    challenges = {c["id"]: c for c in app.get(f"/api/personas/{pid}/challenges")}
    assert challenges[shell["id"]]["progress"] == 1

    # The pane's card shows the new XP, and the persona is on the leaderboard.
    card = app.wait_for_pane(pane, lambda p: (p["persona"] or {}).get("xp"))
    assert (card["persona"]["id"], card["persona"]["xp"]) == (pid, after["xp"])
    [entry] = [e for e in app.get("/api/leaderboard") if e["id"] == pid]
    assert (entry["rank"], entry["xp"], entry["badges"]) == (1, after["xp"], len(after["badges"]))

    # A restart keeps everything, and the rebuild from the log agrees with the live totals.
    app.stop()
    rebuilt = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop",
            "progression",
            "rebuild",
            "--data-dir",
            str(app.data_dir),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert rebuilt.stdout.rstrip().endswith("; 0 changed their XP")
    app.start()
    assert app.get(f"/api/personas/{pid}") == after
    assert {c["id"]: c for c in app.get(f"/api/personas/{pid}/challenges")} == challenges
