"""What one hook event counts for (metrics), and what each metric pays in XP."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from desktop.core.progression.shell import makes_commit, runs_tests

# Only these events can change a persona's progression; the rest are skipped unread.
RELEVANT_EVENTS: tuple[str, ...] = (
    "SessionStart",
    "UserPromptSubmit",
    "PostToolUse",
    "PostToolUseFailure",
    "Stop",
    "StopFailure",
    "PostCompact",
)

# tool_name -> the metric a successful call of it counts for; any other tool is other_tools.
TOOL_METRICS: dict[str, str] = {
    "Read": "reads",
    "Glob": "reads",
    "Grep": "reads",
    "LS": "reads",
    "NotebookRead": "reads",
    "Edit": "edits",
    "MultiEdit": "edits",
    "NotebookEdit": "edits",
    "Write": "writes",
    "Bash": "shell_commands",
    "Agent": "subagents",
    "Task": "subagents",
    "WebFetch": "web",
    "WebSearch": "web",
}


@dataclass(frozen=True)
class XpRule:
    """XP paid for each unit of one metric."""

    metric: str
    xp: int
    label: str
    when: str


XP_RULES: tuple[XpRule, ...] = (
    XpRule("turns", 5, "finished turn", "Stop (not a stop-hook continuation)"),
    XpRule("reads", 1, "read", "PostToolUse of Read, Glob, Grep, LS, NotebookRead"),
    XpRule("edits", 3, "edit", "PostToolUse of Edit, MultiEdit, NotebookEdit"),
    XpRule("writes", 3, "write", "PostToolUse of Write"),
    XpRule("shell_commands", 2, "shell command", "PostToolUse of Bash"),
    XpRule(
        "test_runs",
        5,
        "test run",
        "Bash running a test suite, passed (PostToolUse) or failed (PostToolUseFailure)",
    ),
    XpRule("commits", 10, "git commit", "PostToolUse of Bash running `git commit`"),
    XpRule("test_fixes", 15, "failing tests fixed", "a test run passes after a failed one"),
    XpRule("subagents", 5, "subagent", "PostToolUse of Agent (or Task)"),
    XpRule("web", 2, "web", "PostToolUse of WebFetch, WebSearch"),
    XpRule("other_tools", 1, "other tool", "PostToolUse of any other tool (MCP, TodoWrite...)"),
    XpRule("compactions", 3, "compaction", "PostCompact"),
)
XP_BY_METRIC: dict[str, XpRule] = {rule.metric: rule for rule in XP_RULES}


@dataclass(frozen=True)
class Facts:
    """What one event counts for: metric increments, and a short text saying what it was."""

    counts: Counter[str] = field(default_factory=Counter)
    detail: str = ""
    test_passed: bool = False
    test_failed: bool = False


def _elide(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tool_detail(tool: str, tool_input: Any) -> str:
    if isinstance(tool_input, dict):
        for key in ("command", "file_path", "notebook_path", "pattern", "url", "query"):
            value = tool_input.get(key)
            if isinstance(value, str) and value:
                return _elide(f"{tool}: {value}")
        value = tool_input.get("description")
        if isinstance(value, str) and value:
            return _elide(f"{tool}: {value}")
    return tool


def _bash_command(payload: dict[str, Any]) -> str:
    tool_input = payload.get("tool_input")
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    return command if isinstance(command, str) else ""


def facts(event_name: str, payload: dict[str, Any]) -> Facts:
    """The metrics one hook event counts for (docs/progression.md has the table)."""
    counts: Counter[str] = Counter()
    if event_name == "Stop":
        if payload.get("stop_hook_active") is not True:
            counts["turns"] += 1
        return Facts(counts)
    if event_name == "StopFailure":
        counts["failed_turns"] += 1
        error = payload.get("error")
        return Facts(counts, f"turn failed: {error}" if isinstance(error, str) else "turn failed")
    if event_name == "PostCompact":
        counts["compactions"] += 1
        trigger = payload.get("trigger")
        return Facts(counts, trigger if isinstance(trigger, str) and trigger else "")
    if event_name not in ("PostToolUse", "PostToolUseFailure"):
        return Facts(counts)
    tool = payload.get("tool_name")
    tool = tool if isinstance(tool, str) and tool else "tool"
    detail = _tool_detail(tool, payload.get("tool_input"))
    command = _bash_command(payload) if tool == "Bash" else ""
    tests = bool(command) and runs_tests(command)
    if event_name == "PostToolUseFailure":
        # A failed call earns nothing, except a failed test run: it is news worth having.
        if tests and payload.get("is_interrupt") is not True:
            counts["test_runs"] += 1
            return Facts(counts, detail, test_failed=True)
        return Facts(counts, detail)
    counts["tool_calls"] += 1
    counts[TOOL_METRICS.get(tool, "other_tools")] += 1
    if tests:
        counts["test_runs"] += 1
    if command and makes_commit(command):
        counts["commits"] += 1
    return Facts(counts, detail, test_passed=tests)
