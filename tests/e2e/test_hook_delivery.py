"""A whole real claude session while the app is down, then the app starts: nothing is missing.

The real Claude Code CLI runs offline in a private tmux server with two sets of hooks in
its settings.json: the harness's recorder (what Claude fired, as Claude gave it) and ours,
merged in by `claude-rpg hooks install`. The app is not running; when it starts, every
event the recorder saw must be stored, once, in order, with its pane and claude pid.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from desktop.core.history.record import compact
from desktop.core.hooks.command import SPOOL_SUFFIX
from desktop.core.hooks.installer import HOOK_EVENTS
from tests.support.app_process import AppProcess
from tests.support.claude_cli import write_settings
from tests.support.claude_session import HookRecorder, start_claude, type_prompt
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.install import install_beside_recorder
from tests.support.private_tmux import PrivateTmux
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def stored_events(database: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        found = conn.execute(
            "SELECT event_name, session_id, pane_id, claude_pid, stamp, tool_name, cwd, record"
            " FROM hook_event ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    keys = ("event_name", "session_id", "pane_id", "claude_pid", "stamp", "tool_name", "cwd")
    keys += ("record",)
    return [dict(zip(keys, row, strict=True)) for row in found]


def kept(stored: dict[str, Any]) -> tuple[Any, ...]:
    """What the log holds of a stored event beyond its ids."""
    return (stored["event_name"], stored["tool_name"], stored["cwd"], stored["record"])


def compact_of(payload: dict[str, Any]) -> tuple[Any, ...]:
    """What the log should hold of a fired hook's payload (its compact record)."""
    name = payload["hook_event_name"]
    facts = compact(name, payload)
    return (name, facts.tool_name or None, facts.cwd or None, facts.record_json())


def test_a_session_run_while_the_app_is_down_arrives_whole_when_it_starts(
    tmp_path: Path,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
    hook_recorder: HookRecorder,
) -> None:
    app = AppProcess(tmp_path / "data", tmux_socket=tmux_server.socket_path)
    install_beside_recorder(hook_recorder, claude_home, app.data_dir, app.port)
    spool = app.data_dir / "spool"
    sid = str(uuid.uuid4())

    pane = start_claude(tmux_server, fake_api, claude_home, project_dir, args=["--session-id", sid])
    claude_pid = int(tmux_server.pane_info(pane)["pane_pid"])
    type_prompt(tmux_server, pane, "say hi please")
    hook_recorder.wait_for("Stop")
    type_prompt(tmux_server, pane, "BASH:echo hi")
    hook_recorder.wait_for("Stop", count=2)
    type_prompt(tmux_server, pane, "AGENT")
    hook_recorder.wait_for("Stop", count=3)
    type_prompt(tmux_server, pane, "/exit")
    hook_recorder.wait_for("SessionEnd")

    fired = [c for c in hook_recorder.calls() if c.event in HOOK_EVENTS]
    kinds = {c.event for c in fired}
    assert {"SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse"} <= kinds
    assert {"SubagentStart", "SubagentStop", "Stop", "SessionEnd"} <= kinds
    # Claude runs both hooks of an event side by side: ours may finish a moment later.
    wait_until(lambda: len(list(spool.glob(f"*{SPOOL_SUFFIX}"))) == len(fired), "spooling")
    assert not app.data_dir.joinpath("claude-rpg.sqlite3").exists()

    app.start()
    try:
        health = app.get("/api/health")
        personas = app.get("/api/personas")
    finally:
        app.stop()

    stored = stored_events(app.data_dir / "claude-rpg.sqlite3")
    assert health["events_accepted"] == len(fired) == len(stored)
    assert health["spool"]["waiting"] == 0
    assert sorted(map(kept, stored), key=repr) == sorted(
        (compact_of(c.payload) for c in fired), key=repr
    )
    # Replayed in stamp order, which is the order Claude fired them in.
    stamps = [e["stamp"] for e in stored]
    assert stamps == sorted(stamps)
    # Claude fires these at least ~50 ms apart here, far more than the two hooks' clocks
    # differ: the stored order is the order the recorder saw.
    assert [e["event_name"] for e in stored] == [c.event for c in fired]
    assert {(e["session_id"], e["pane_id"], e["claude_pid"]) for e in stored} == {
        (sid, pane, claude_pid)
    }
    assert [p["session_id"] for p in personas] == [sid]


def test_claude_runs_command_hooks_with_bin_sh(
    tmp_path: Path,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
    hook_recorder: HookRecorder,
) -> None:
    """The README's hook cost is measured under the shell this probe finds: Claude 2.1.197
    runs every command hook as `/bin/sh -c <command>`, whatever $SHELL says."""
    probe = tmp_path / "probe"
    probe.mkdir()
    out = shlex.quote(str(probe))
    command = f'{{ readlink /proc/$$/exe; echo "$0"; }} > {out}/$$.txt; exit 0'
    settings = hook_recorder.settings(["Stop"])
    settings["hooks"]["UserPromptSubmit"] = [{"hooks": [{"type": "command", "command": command}]}]
    write_settings(claude_home, settings)

    pane = start_claude(
        tmux_server,
        fake_api,
        claude_home,
        project_dir,
        extra_env={"SHELL": shutil.which("zsh") or "/bin/bash"},
    )
    type_prompt(tmux_server, pane, "say hi please")
    hook_recorder.wait_for("Stop")

    [seen] = [p.read_text().split("\n") for p in probe.iterdir()]
    assert seen[:2] == [os.path.realpath("/bin/sh"), "/bin/sh"]


def test_a_removed_data_dir_never_blocks_claude(
    tmp_path: Path,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
    hook_recorder: HookRecorder,
) -> None:
    """Hooks installed, then the data dir deleted (the app removed without `hooks uninstall`):
    Claude still runs its tools (a PreToolUse exiting 2 would refuse them) and shows no hook
    error."""
    data = tmp_path / "data"
    install_beside_recorder(hook_recorder, claude_home, data, 9)
    shutil.rmtree(data)

    pane = start_claude(tmux_server, fake_api, claude_home, project_dir)
    type_prompt(tmux_server, pane, "BASH:echo hi")
    hook_recorder.wait_for("Stop")

    assert "PostToolUse" in hook_recorder.events()
    screen = tmux_server.capture(pane)
    assert "hook error" not in screen.lower() and "claude-rpg-hook" not in screen
    assert not data.exists()


def test_a_hooks_background_job_outlives_it_and_holds_nothing_up(
    tmp_path: Path,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
    hook_recorder: HookRecorder,
) -> None:
    """What the spool cap's check relies on: a subshell a hook leaves in the background (its
    output on /dev/null, as the hook script's is) neither holds up the turn nor is killed
    when the hook's shell exits."""
    probe = tmp_path / "probe"
    probe.mkdir()
    out = shlex.quote(str(probe))
    # The job waits for a gate the test opens only after the turn is over (at most 60 s).
    command = (
        f"exec >/dev/null 2>&1; {{ n=0; while [ ! -e {out}/gate ] && [ $n -lt 600 ]; do "
        f"sleep 0.1; n=$((n+1)); done; : > {out}/background-done; }} </dev/null & "
        f": > {out}/hook-done; exit 0"
    )
    settings = hook_recorder.settings(["Stop"])
    settings["hooks"]["UserPromptSubmit"] = [{"hooks": [{"type": "command", "command": command}]}]
    write_settings(claude_home, settings)
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir)

    type_prompt(tmux_server, pane, "say hi please")
    # The turn ends while the job still waits: Claude did not wait for it.
    hook_recorder.wait_for("Stop", timeout=30)

    assert (probe / "hook-done").exists() and not (probe / "background-done").exists()
    (probe / "gate").touch()
    wait_until(lambda: (probe / "background-done").exists(), "the background job", timeout=30)
