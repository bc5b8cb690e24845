"""The e2e harness itself, proven against the real Claude Code CLI (offline, private tmux)."""

from __future__ import annotations

import http.client
import ipaddress
import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.support.claude_cli import (
    MARKETPLACE_VAR,
    OFFLINE_VARS,
    claude_bin,
    offline_env,
    write_settings,
)
from tests.support.claude_session import (
    PERMISSION_DIALOG,
    READY,
    WORKING,
    HookRecorder,
    start_claude,
    type_prompt,
    verify_offline_process,
)
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.private_tmux import PrivateTmux

pytestmark = pytest.mark.e2e


def _socket_peers(pid: int) -> list[str]:
    """Return the remote addresses of every inet socket that process pid holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink()
        except OSError:
            continue
        if str(target).startswith("socket:["):
            inodes.add(str(target)[8:-1])
    peers = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if fields[9] not in inodes:
                continue
            raw = bytes.fromhex(fields[2].split(":")[0])
            # /proc/net lists addresses as host-order 32-bit words.
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            peers.append(str(ipaddress.ip_address(words)))
    return peers


def test_prompt_gets_the_fake_reply(
    fake_api: FakeAnthropic, tmux_server: PrivateTmux, claude_home: Path, project_dir: Path
) -> None:
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir)
    assert tmux_server.pane_info(pane)["pane_current_command"] == "claude"

    type_prompt(tmux_server, pane, "say hi")

    screen = tmux_server.wait_for(pane, r"● hello\b")
    assert "❯ say hi" in screen
    assert [r.reply for r in fake_api.messages()].count("text") >= 1


def test_hooks_fire_with_session_id_and_tmux_pane(
    fake_api: FakeAnthropic,
    tmux_server: PrivateTmux,
    claude_home: Path,
    project_dir: Path,
    hook_recorder: HookRecorder,
) -> None:
    write_settings(claude_home, hook_recorder.settings())
    session_id = str(uuid.uuid4())

    pane = start_claude(
        tmux_server, fake_api, claude_home, project_dir, args=["--session-id", session_id]
    )
    start = hook_recorder.wait_for("SessionStart")
    type_prompt(tmux_server, pane, "hooks please")
    hook_recorder.wait_for("Stop")

    calls = hook_recorder.calls()
    events = [c.event for c in calls]
    assert events.index("SessionStart") < events.index("UserPromptSubmit") < events.index("Stop")
    assert start.payload["source"] == "startup"
    assert start.payload["cwd"] == str(project_dir.resolve())
    assert {c.session_id for c in calls} == {session_id}
    assert {c.tmux_pane for c in calls} == {pane}
    submit = next(c for c in calls if c.event == "UserPromptSubmit")
    assert submit.payload["prompt"] == "hooks please"
    stop = next(c for c in calls if c.event == "Stop")
    assert stop.payload["last_assistant_message"] == "hello"
    assert stop.payload["prompt_id"] == submit.payload["prompt_id"]
    # A hook that printed or failed would show up on the screen.
    assert "hook error" not in tmux_server.capture(pane, history=True).lower()


def test_permission_dialog_then_yes_runs_the_tool(
    fake_api: FakeAnthropic,
    tmux_server: PrivateTmux,
    claude_home: Path,
    project_dir: Path,
    hook_recorder: HookRecorder,
) -> None:
    write_settings(claude_home, hook_recorder.settings())
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir)

    type_prompt(tmux_server, pane, "BASH:touch x")

    screen = tmux_server.wait_for(pane, PERMISSION_DIALOG)
    assert "1. Yes" in screen
    request = hook_recorder.wait_for("PermissionRequest")
    assert request.payload["tool_name"] == "Bash"
    assert request.payload["tool_input"]["command"] == "touch x"
    assert request.tmux_pane == pane
    assert not (project_dir / "x").exists()

    tmux_server.send_keys(pane, "Enter")

    hook_recorder.wait_for("Stop")
    assert (project_dir / "x").exists()
    events = hook_recorder.events()
    for earlier, later in (
        ("PreToolUse", "PermissionRequest"),
        ("PermissionRequest", "PostToolUse"),
    ):
        assert events.index(earlier) < events.index(later), events
    tmux_server.wait_for(pane, READY)


def test_api_error_fires_stop_failure(
    fake_api: FakeAnthropic,
    tmux_server: PrivateTmux,
    claude_home: Path,
    project_dir: Path,
    hook_recorder: HookRecorder,
) -> None:
    write_settings(claude_home, hook_recorder.settings())
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir)

    type_prompt(tmux_server, pane, "this fails ERROR")

    failure = hook_recorder.wait_for("StopFailure")
    assert failure.payload["error"] == "server_error"
    tmux_server.wait_for(pane, r"API Error: 500")
    submit = hook_recorder.wait_for("UserPromptSubmit")
    assert failure.payload["prompt_id"] == submit.payload["prompt_id"]
    assert "Stop" not in hook_recorder.events()
    assert fake_api.messages("error")


def test_the_cli_only_talks_to_the_loopback_fake(
    fake_api: FakeAnthropic,
    tmux_server: PrivateTmux,
    claude_home: Path,
    project_dir: Path,
    offline_guard: list[str],
) -> None:
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir)
    type_prompt(tmux_server, pane, "anyone there")
    tmux_server.wait_for(pane, r"● hello\b")

    assert fake_api.requests
    assert {r.client for r in fake_api.requests} == {"127.0.0.1"}
    assert {r.headers.get("authorization") for r in fake_api.messages()} == {"Bearer fake"}
    pid = int(tmux_server.pane_info(pane)["pane_pid"])
    env = verify_offline_process(pid)
    assert env[MARKETPLACE_VAR] == "1"
    assert env["ANTHROPIC_BASE_URL"] == fake_api.base_url
    expected = {"PATH", "HOME", "TERM", "LANG", "ANTHROPIC_BASE_URL", "TMUX", "TMUX_PANE"}
    assert set(env) == expected | set(OFFLINE_VARS)
    assert env["TMUX_PANE"] == pane
    for peer in _socket_peers(pid):
        assert ipaddress.ip_address(peer).is_loopback or ipaddress.ip_address(peer).is_unspecified

    # The guard refuses to start claude without the offline recipe, before anything runs.
    online = offline_env(claude_home, fake_api.base_url)
    del online[MARKETPLACE_VAR]
    with pytest.raises(AssertionError, match=MARKETPLACE_VAR):
        subprocess.Popen([str(claude_bin()), "--version"], env=online)
    assert offline_guard
    offline_guard.clear()


def test_fake_keywords_drive_the_real_cli(
    fake_api: FakeAnthropic,
    tmux_server: PrivateTmux,
    claude_home: Path,
    project_dir: Path,
    hook_recorder: HookRecorder,
) -> None:
    (project_dir / "notes.txt").write_text("probe file content\n")
    write_settings(claude_home, hook_recorder.settings())
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir)

    type_prompt(tmux_server, pane, "take your time SLOW1.5")
    tmux_server.wait_for(pane, WORKING)
    title = tmux_server.pane_info(pane)["pane_title"]
    assert "\u2800" <= title[:1] <= "\u28ff", title  # a braille spinner while working
    hook_recorder.wait_for("Stop", count=1)

    type_prompt(tmux_server, pane, "BASH:ls")
    hook_recorder.wait_for("Stop", count=2)
    type_prompt(tmux_server, pane, f"READ:{project_dir / 'notes.txt'}")
    hook_recorder.wait_for("Stop", count=3)
    type_prompt(tmux_server, pane, "AGENT")
    hook_recorder.wait_for("Stop", count=4)
    type_prompt(tmux_server, pane, "/compact")
    hook_recorder.wait_for("PostCompact")

    calls = hook_recorder.calls()
    tools = [(c.payload["tool_name"], c.event) for c in calls if "tool_name" in c.payload]
    assert ("Bash", "PostToolUse") in tools
    assert ("Read", "PostToolUse") in tools
    assert ("Agent", "PostToolUse") in tools
    assert not any(c.event == "PermissionRequest" for c in calls)
    # /compact runs its own agent too (SubagentStop with an empty agent_type).
    subagent = [c for c in calls if c.payload.get("agent_type") == "general-purpose"]
    assert [c.event for c in subagent if c.event.startswith("Subagent")] == [
        "SubagentStart",
        "SubagentStop",
    ]
    stops = [c.payload["last_assistant_message"] for c in calls if c.event == "Stop"]
    assert stops[0] == "hello"
    assert stops[1] == "done: notes.txt"
    assert stops[2].startswith("done: ") and "probe file content" in stops[2]
    compact = [c.payload.get("source") for c in calls if c.event == "SessionStart"]
    assert compact == ["startup", "compact"]
    kinds = {r.reply for r in fake_api.messages()}
    assert {"slow", "bash", "read", "agent", "subagent", "after_tool", "compact"} <= kinds


def test_fake_speaks_sse_and_stops_cleanly_mid_stream(fake_api: FakeAnthropic) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fake_api.port, timeout=5)
    try:
        conn.request("HEAD", "/")
        head = conn.getresponse()
        head.read()
        assert head.status == 200

        body = {"stream": True, "messages": [{"role": "user", "content": "x BASH:touch y"}]}
        conn.request("POST", "/v1/messages?beta=true", json.dumps(body))
        reply = conn.getresponse()
        assert reply.getheader("content-type") == "text/event-stream"
        events = [
            ln.split(": ", 1)[1]
            for ln in reply.read().decode().splitlines()
            if ln.startswith("event: ")
        ]
        assert events == [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]

        conn.request(
            "POST",
            "/v1/messages?beta=true",
            json.dumps({"messages": [{"role": "user", "content": "ERROR529"}]}),
        )
        error = conn.getresponse()
        assert error.status == 529
        assert json.loads(error.read())["error"]["type"] == "overloaded_error"

        slow = {"stream": True, "messages": [{"role": "user", "content": "SLOW30"}]}
        conn.request("POST", "/v1/messages?beta=true", json.dumps(slow))
        assert conn.getresponse().status == 200
        started = time.monotonic()
        fake_api.stop()
        assert time.monotonic() - started < 3
    finally:
        conn.close()
    assert [r.reply for r in fake_api.requests] == ["", "bash", "error", "slow"]
