"""The compact record kept per event, on the recorded real hook calls of Claude Code 2.1.197."""

from __future__ import annotations

from typing import Any

from desktop.core.history.record import EventFacts, compact
from tests.core.progression_events import all_rows, bash, recorded

# Fields whose text is the user's or Claude's words, or a tool's output: never stored.
PRIVATE_FIELDS = ("prompt", "last_assistant_message", "tool_response", "delta", "message")


def texts(value: Any) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in texts(v)]
    return []


def test_no_prompt_message_or_tool_output_is_kept() -> None:
    checked = 0
    for _stem, _i, row in all_rows():
        payload = row["payload"]
        facts = compact(payload["hook_event_name"], payload)
        stored = facts.record_json() + facts.cwd + facts.tool_name
        asked = " ".join(texts(payload.get("tool_input")))  # `echo x` prints what it was given
        for field in PRIVATE_FIELDS:
            for text in texts(payload.get(field)):
                # Short words ("hello") may be in a path by chance.
                if len(text) >= 12 and text not in asked:
                    assert text not in stored, (payload["hook_event_name"], field)
                    checked += 1
    assert checked > 30  # the recordings do hold prompts, answers and outputs


def test_the_record_reads_back_as_it_was_written() -> None:
    for _stem, _i, row in all_rows():
        payload = row["payload"]
        facts = compact(payload["hook_event_name"], payload)
        assert EventFacts.from_row(facts.tool_name, facts.cwd, facts.record_json()) == facts


def test_facts_of_a_commit_and_a_test_run_are_decided_on_the_whole_command() -> None:
    commit = recorded("PostToolUse", bash("git commit"))
    facts = compact("PostToolUse", commit)
    assert (facts.tool_name, facts.outcome, facts.is_commit, facts.is_test_run) == (
        "Bash",
        "ok",
        True,
        False,
    )
    assert facts.cwd == commit["cwd"] and facts.response_size > 0
    # A test run hidden behind 300 characters of setup still counts, though the summary is cut.
    long = dict(commit, tool_input={"command": "true " + "x" * 300 + " && pytest -q"})
    cut = compact("PostToolUse", long)
    assert cut.is_test_run and len(cut.summary) <= 200 and "pytest" not in cut.summary


def test_an_unknown_event_keeps_its_name_and_ids_only() -> None:
    payload = {"session_id": "s", "hook_event_name": "BrandNew", "secret_stuff": "x" * 100}
    facts = compact("BrandNew", payload)
    assert facts.record_json() == "{}"
    assert EventFacts.from_row(None, None, '{"a_field_from_a_newer_release": 1}') == EventFacts()


def test_stop_and_session_facts() -> None:
    stop = compact("Stop", recorded("Stop"))
    assert not stop.stop_hook_active and stop.transcript_path.endswith(".jsonl")
    assert stop.message_size > 0
    start = compact("SessionStart", recorded("SessionStart"))
    assert start.source == "startup" and start.model
    failure = compact("StopFailure", recorded("StopFailure"))
    assert failure.error
