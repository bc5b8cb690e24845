"""Session insight end to end: the real claude CLI's transcript gives tokens, cost, context."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from desktop.core.usage.prices import price_for
from tests.support.app_process import REPO, AppProcess
from tests.support.claude_session import start_claude, type_prompt
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.install import install_hooks
from tests.support.private_tmux import PrivateTmux

pytestmark = pytest.mark.e2e

FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")
# The app reads transcripts only inside the user's Claude config dir: the test's HOME.
APP_READS_CLAUDE_HOME = True


def on_disk(path: Path) -> tuple[dict[str, int], list[int], float]:
    """Sums over the transcript's assistant replies (deduped by message id + request id), the
    context of each main-thread reply in order, and their estimated cost."""
    replies: dict[str, dict[str, Any]] = {}
    contexts: list[int] = []
    if not path.exists():
        return dict.fromkeys(FIELDS, 0), [], 0.0
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if entry.get("type") != "assistant":
            continue
        message = entry["message"]
        usage = message["usage"]
        key = f"{message['id']}:{entry['requestId']}"
        if key not in replies and not entry.get("isSidechain"):
            contexts.append(
                usage["input_tokens"]
                + usage["cache_read_input_tokens"]
                + usage["cache_creation_input_tokens"]
            )
        replies[key] = {
            "model": message["model"],
            "input_tokens": usage["input_tokens"],
            "output_tokens": usage["output_tokens"],
            "cache_read_tokens": usage["cache_read_input_tokens"],
            "cache_creation_tokens": usage["cache_creation_input_tokens"],
        }
    sums = {f: sum(r[f] for r in replies.values()) for f in FIELDS}
    cost = sum(price_for(r["model"]).cost(*(r[f] for f in FIELDS)) for r in replies.values())
    return sums, contexts, cost


def wait_for_file(folder: Path, pattern: str, timeout: float = 15.0) -> Path:
    deadline = time.monotonic() + timeout
    while not (found := sorted(folder.glob(pattern))):
        assert time.monotonic() < deadline, f"no {pattern} in {folder} within {timeout}s"
        time.sleep(0.05)
    return found[0]


def usage_of(app: AppProcess, persona_id: int) -> dict[str, Any]:
    return dict(app.get(f"/api/personas/{persona_id}")["usage"])


def test_tokens_cost_and_context_follow_the_transcript(
    app: AppProcess,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
) -> None:
    install_hooks(claude_home, app.data_dir, app.port)
    sid = str(uuid.uuid4())
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir, args=["--session-id", sid])
    personas = app.wait_for("/api/personas", lambda ps: any(p["session_id"] == sid for p in ps))
    [persona_id] = [p["id"] for p in personas if p["session_id"] == sid]

    def settled_on_disk(prompts: int) -> dict[str, Any]:
        """The persona's usage once it equals the transcript's sums (and `prompts` turns)."""

        def matches(persona: dict[str, Any]) -> bool:
            sums, _, _ = on_disk(transcript)
            usage = persona["usage"]
            sub = sum((on_disk(p)[0]["input_tokens"] for p in agents.glob("*.jsonl")), 0)
            return (
                usage["turns"] == prompts
                and usage["input_tokens"] == sums["input_tokens"] + sub
                and sums["output_tokens"] > 0
            )

        return dict(app.wait_for(f"/api/personas/{persona_id}", matches, timeout=30)["usage"])

    # Two prompts: a plain one, then one with a tool call (its reply is written twice).
    type_prompt(tmux_server, pane, "first prompt")
    transcript = wait_for_file(claude_home / ".claude" / "projects", f"*/{sid}.jsonl")
    agents = transcript.with_suffix("") / "subagents"
    type_prompt(tmux_server, pane, "please run BASH:echo insight-e2e")
    tmux_server.wait_for(pane, r"done: insight-e2e")
    usage = settled_on_disk(2)
    sums, contexts, cost = on_disk(transcript)
    assert len(contexts) == 3  # three replies, four lines: the tool reply came in two
    assert {f: usage[f] for f in FIELDS} == sums
    assert all(sums[f] > 0 for f in FIELDS)
    assert usage["cost_usd"] == pytest.approx(cost, abs=1e-6) and cost > 0
    assert (usage["subagents"], usage["subagent_usage"]["input_tokens"]) == (0, 0)
    assert usage["models"] == ["claude-opus-4-8"] and usage["cost_is_estimate"] is True

    # The card: the model and the context of the last reply against the 1M window.
    card = app.wait_for_pane(pane, lambda p: p["context"])
    assert card["model"] == "claude-opus-4-8"
    assert card["context"] == {
        "used_tokens": contexts[-1],
        "window_tokens": 1_000_000,  # 2.1.197 names the model claude-opus-4-8[1m]
        "percent": contexts[-1] * 100 // 1_000_000,
        "compacting": False,
    }

    # A subagent: its own transcript counts toward the session, and is shown apart.
    type_prompt(tmux_server, pane, "please AGENT")
    tmux_server.wait_for(pane, r"done: hello")
    usage = settled_on_disk(3)
    [agent_file] = agents.glob("*.jsonl")
    agent_sums, _, agent_cost = on_disk(agent_file)
    sums, contexts, cost = on_disk(transcript)
    assert {f: usage[f] for f in FIELDS} == {f: sums[f] + agent_sums[f] for f in FIELDS}
    assert {f: usage["subagent_usage"][f] for f in FIELDS} == agent_sums
    assert usage["subagents"] == 1
    assert usage["cost_usd"] == pytest.approx(cost + agent_cost, abs=1e-6)
    [card] = [p for p in app.get("/api/panes") if p["pane_id"] == pane]
    assert card["context"]["used_tokens"] == contexts[-1]  # the main thread's, not the agent's

    # /compact: the summary replaces the conversation; the next reply sizes the context.
    type_prompt(tmux_server, pane, "/compact")
    app.wait_for_pane(pane, lambda p: p["context"]["used_tokens"] == 0, timeout=30)
    type_prompt(tmux_server, pane, "after the compaction")
    usage = settled_on_disk(4)
    sums, contexts, cost = on_disk(transcript)
    app.wait_for_pane(pane, lambda p: p["context"]["used_tokens"] == contexts[-1])
    assert {f: usage[f] for f in FIELDS} == {f: sums[f] + agent_sums[f] for f in FIELDS}

    # Per day: everything happened today; the health counts no bad lines.
    [today] = app.get("/api/usage?days=1")
    assert {f: today[f] for f in FIELDS} == {f: usage[f] for f in FIELDS}
    assert today["turns"] == 4
    week = app.get("/api/usage?days=7")
    assert len(week) == 7 and week[-1] == today
    assert all(day["input_tokens"] == 0 for day in week[:-1])
    health = app.get("/api/health")["usage"]
    assert (health["malformed_lines"], health["read_errors"], health["ignored_paths"]) == (0, 0, 0)
    # The session's, the subagent's, and the one a SubagentStop names for the compaction
    # (2.1.197 never writes that file: it is watched, and counts nothing).
    assert health["transcripts"] == 3

    # Rebuilt from the transcripts, with the app stopped, the totals are the live ones.
    live = app.get(f"/api/personas/{persona_id}")["usage"]
    app.stop()
    rebuilt = subprocess.run(
        [sys.executable, "-m", "desktop", "usage", "rebuild", "--data-dir", str(app.data_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "read 2 transcript files again (1 named but gone); 0 malformed lines skipped" in (
        rebuilt.stdout
    )
    app.start()
    assert app.get(f"/api/personas/{persona_id}")["usage"] == live


def test_a_transcript_outside_the_claude_config_dir_is_ignored(
    app: AppProcess, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "s.jsonl"
    outside.parent.mkdir()
    outside.write_text(
        json.dumps(
            {
                "type": "assistant",
                "requestId": "r1",
                "message": {"id": "m1", "model": "claude-opus-4-8", "usage": {"input_tokens": 9}},
            }
        )
        + "\n"
    )
    sid = str(uuid.uuid4())
    reply = app.post_event(
        {
            "session_id": sid,
            "hook_event_name": "Stop",
            "transcript_path": str(outside),
            "cwd": str(tmp_path),
        }
    )
    health = app.wait_for("/api/health", lambda h: h["usage"]["ignored_paths"] == 1)
    assert health["usage"]["transcripts"] == 0
    assert usage_of(app, reply["persona_id"])["input_tokens"] == 0
