"""What one hook event counts for (metrics), and what each metric pays in XP."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from desktop.core.history.record import EventFacts

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


def facts(event_name: str, event: EventFacts) -> Facts:
    """The metrics one hook event counts for (docs/progression.md has the table).

    It reads the compact record only, so the live path and a rebuild from the log agree.
    """
    counts: Counter[str] = Counter()
    if event_name == "Stop":
        if not event.stop_hook_active:
            counts["turns"] += 1
        return Facts(counts)
    if event_name == "StopFailure":
        counts["failed_turns"] += 1
        return Facts(counts, f"turn failed: {event.error}" if event.error else "turn failed")
    if event_name == "PostCompact":
        counts["compactions"] += 1
        return Facts(counts, event.trigger)
    if event_name not in ("PostToolUse", "PostToolUseFailure"):
        return Facts(counts)
    tool = event.tool_name or "tool"
    detail = _elide(f"{tool}: {event.summary}") if event.summary else tool
    tests = tool == "Bash" and event.is_test_run
    if event_name == "PostToolUseFailure":
        # A failed call earns nothing, except a failed test run: it is news worth having.
        if tests and not event.interrupted:
            counts["test_runs"] += 1
            return Facts(counts, detail, test_failed=True)
        return Facts(counts, detail)
    counts["tool_calls"] += 1
    counts[TOOL_METRICS.get(tool, "other_tools")] += 1
    if tests:
        counts["test_runs"] += 1
    if tool == "Bash" and event.is_commit:
        counts["commits"] += 1
    return Facts(counts, detail, test_passed=tests)
