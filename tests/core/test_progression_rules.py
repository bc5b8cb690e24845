"""Every XP rule, driven by the recorded payloads of the real CLI; the docs table matches."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from desktop.core.history.record import compact
from desktop.core.progression import engine
from desktop.core.progression.badges import ACHIEVEMENTS
from desktop.core.progression.catalog import CATALOG
from desktop.core.progression.rules import RELEVANT_EVENTS, XP_BY_METRIC, XP_RULES, facts
from desktop.core.progression.shell import makes_commit, runs_tests, segments
from tests.core.progression_events import all_rows, bash, record, recorded, tool

DOCS = Path(__file__).resolve().parents[2] / "docs" / "progression.md"

STOP = recorded("Stop")
READ = recorded("PostToolUse", tool("Read"))
EDIT = recorded("PostToolUse", tool("Edit"))
WRITE = recorded("PostToolUse", tool("Write"))
ECHO = recorded("PostToolUse", bash("echo hi-from-tool"))
TESTS_PASS = recorded("PostToolUse", bash("unittest"))
TESTS_FAIL = recorded("PostToolUseFailure", bash("unittest"))
COMMIT = recorded("PostToolUse", bash("git commit"))
AGENT = recorded("PostToolUse", tool("Agent"))
COMPACT = recorded("PostCompact")
API_ERROR = recorded("StopFailure")


def as_tool(base: dict[str, Any], name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    """A recorded tool payload with another tool in it (same envelope, as the CLI sends it)."""
    return {**base, "tool_name": name, "tool_input": tool_input}


# (case, payload, the metrics it must count, the XP it must pay)
CASES: list[tuple[str, dict[str, Any], dict[str, int], int]] = [
    ("finished turn", STOP, {"turns": 1}, 5),
    ("stop-hook continuation", {**STOP, "stop_hook_active": True}, {}, 0),
    ("read", READ, {"tool_calls": 1, "reads": 1}, 1),
    ("grep", as_tool(READ, "Grep", {"pattern": "def add"}), {"tool_calls": 1, "reads": 1}, 1),
    ("edit", EDIT, {"tool_calls": 1, "edits": 1}, 3),
    ("write", WRITE, {"tool_calls": 1, "writes": 1}, 3),
    ("shell command", ECHO, {"tool_calls": 1, "shell_commands": 1}, 2),
    (
        "passing test run",
        TESTS_PASS,
        {"tool_calls": 1, "shell_commands": 1, "test_runs": 1},
        2 + 5,
    ),
    ("failing test run", TESTS_FAIL, {"test_runs": 1}, 5),
    (
        "failed plain command",
        {**TESTS_FAIL, "tool_input": {"command": "false"}, "error": "Exit code 1"},
        {},
        0,
    ),
    (
        "interrupted test run",
        {**TESTS_FAIL, "is_interrupt": True},
        {},
        0,
    ),
    ("git commit", COMMIT, {"tool_calls": 1, "shell_commands": 1, "commits": 1}, 2 + 10),
    ("subagent", AGENT, {"tool_calls": 1, "subagents": 1}, 5),
    (
        "web fetch",
        as_tool(READ, "WebFetch", {"url": "http://127.0.0.1/x", "prompt": "summarise"}),
        {"tool_calls": 1, "web": 1},
        2,
    ),
    (
        "web search",
        as_tool(READ, "WebSearch", {"query": "sqlite wal"}),
        {"tool_calls": 1, "web": 1},
        2,
    ),
    (
        "mcp tool",
        as_tool(READ, "mcp__github__list_issues", {"repo": "x"}),
        {"tool_calls": 1, "other_tools": 1},
        1,
    ),
    ("compaction", COMPACT, {"compactions": 1}, 3),
    ("API error", API_ERROR, {"failed_turns": 1}, 0),
]


@pytest.mark.parametrize(("case", "payload", "counts", "xp"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_counts_and_pays(
    case: str, payload: dict[str, Any], counts: dict[str, int], xp: int
) -> None:
    found = facts(payload["hook_event_name"], compact(payload["hook_event_name"], payload))
    assert +found.counts == Counter(counts), case
    # Applied to a persona that has already seen a turn (so no first-time badge joins in).
    state = engine.initial_state(1, "seed")
    state.badges = {"first_turn", "first_commit", "first_subagent", "first_compaction"}
    outcome = engine.apply(state, record(payload, 1))
    assert outcome is not None
    paid = {a.rule: a.amount for a in outcome.awards if not a.rule.startswith("challenge:")}
    assert sum(paid.values()) == xp, (case, outcome.awards)
    for award in outcome.awards:
        assert award.reason and award.amount > 0


def test_the_cases_cover_every_rule() -> None:
    covered = {m for _case, _p, counts, _xp in CASES for m in counts}
    # test_fixes needs a failure first: test_progression_engine covers it.
    assert set(XP_BY_METRIC) - covered == {"test_fixes"}


def test_a_fix_pays_once_the_failing_run_is_followed_by_a_passing_one() -> None:
    state = engine.initial_state(1, "seed")
    engine.apply(state, record(TESTS_PASS, 1))
    engine.apply(state, record(TESTS_FAIL, 2))
    outcome = engine.apply(state, record(TESTS_PASS, 3))
    assert outcome is not None
    assert [a.amount for a in outcome.awards if a.rule == "test_fixes"] == [15]
    again = engine.apply(state, record(TESTS_PASS, 4))
    assert again is not None and "test_fixes" not in {a.rule for a in again.awards}


def test_reasons_say_what_was_done() -> None:
    state = engine.initial_state(1, "seed")
    outcome = engine.apply(state, record(COMMIT, 1))
    assert outcome is not None
    reasons = {a.rule: a.reason for a in outcome.awards}
    assert reasons["commits"] == "git commit: Bash: git add -A && git commit -q -m 'Add calc'"


def test_events_outside_the_relevant_set_count_for_nothing() -> None:
    seen = set()
    for _stem, _i, row in all_rows():
        payload = row["payload"]
        name = payload["hook_event_name"]
        seen.add(name)
        if name not in RELEVANT_EVENTS:
            assert not facts(name, compact(name, payload)).counts, name
            state = engine.initial_state(1, "seed")
            assert engine.apply(state, record(payload, 1)) is None
    # The recordings hold the irrelevant kinds this claims to skip.
    assert {"PreToolUse", "PostToolBatch", "MessageDisplay", "Notification"} <= seen


def doc_rows(section: str) -> dict[str, list[str]]:
    """The table rows of one `## section` of docs/progression.md, by their first cell's key."""
    text = DOCS.read_text(encoding="utf-8").split(f"\n## {section}\n", 1)[1].split("\n## ")[0]
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and (m := re.fullmatch(r"`([\w:<>]+)`", cells[0])):
            found[m.group(1)] = cells[1:]
    return found


def test_the_docs_tables_are_the_code_tables() -> None:
    rules = doc_rows("What earns XP")
    assert {key: int(cells[-1]) for key, cells in rules.items()} == {
        rule.metric: rule.xp for rule in XP_RULES
    }
    challenges = doc_rows("Challenges")
    assert {key: (c[0], c[1], int(c[-1])) for key, c in challenges.items()} == {
        spec.kind: (spec.title, spec.description, spec.xp) for spec in CATALOG
    }
    badges = doc_rows("Badges")
    badges.pop("challenge:<kind>")
    assert {key: (c[0], int(c[-1])) for key, c in badges.items()} == {
        badge.key: (badge.title, badge.xp) for badge in ACHIEVEMENTS
    }


@pytest.mark.parametrize(
    "command",
    [
        "pytest",
        "pytest -q tests/core",
        "python3 -m unittest -q",
        ".venv/bin/python -m pytest tests -x",
        "cd backend && uv run pytest -k slow",
        "PYTHONPATH=. timeout 60 pytest",
        "npm test",
        "npm run test:unit",
        "yarn test --watch=false",
        "pnpm t",
        "go test ./...",
        "cargo test --all",
        "make -j4 check",
        "make test-integration",
        "./gradlew test",
        "python manage.py test polls",
        "bash -c 'cd app && npx jest'",
        "tox -e py311 2>&1 | tail -20",
        "bundle exec rspec spec/models",
    ],
)
def test_test_runs_are_recognised(command: str) -> None:
    assert runs_tests(command)


@pytest.mark.parametrize(
    "command",
    [
        "echo pytest",
        "grep -r pytest .",
        "cat tests/test_x.py",
        "pip install pytest",
        "npm install",
        "npm run build",
        "make",
        "make install",
        "go build ./...",
        "ls tests",
        "git commit -m 'run pytest'",
        "python3 script.py test",
    ],
)
def test_other_commands_are_not_test_runs(command: str) -> None:
    assert not runs_tests(command)


@pytest.mark.parametrize(
    "command",
    [
        "git commit -m x",
        "git add -A && git commit -q -m 'Add calc'",
        "git -C repo commit --amend --no-edit",
        "git -c user.name=x commit -am wip",
        "GIT_AUTHOR_DATE=now git commit -m x",
        "sh -c 'git commit -m x'",
    ],
)
def test_commits_are_recognised(command: str) -> None:
    assert makes_commit(command)


@pytest.mark.parametrize(
    "command",
    [
        "git status",
        "git log --oneline | grep commit",
        "git commit --dry-run -m x",
        "echo git commit",
        "git show HEAD",
    ],
)
def test_other_commands_are_not_commits(command: str) -> None:
    assert not makes_commit(command)


def test_segments_respect_quotes_and_survive_broken_ones() -> None:
    assert segments("a 'b && c' && d | e; f") == [["a", "b && c"], ["d"], ["e"], ["f"]]
    assert segments("echo 'unclosed && pytest") != []
    assert runs_tests("echo 'unclosed && pytest")
