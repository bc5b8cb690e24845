"""The hook event -> status table, checked on the recorded Claude Code 2.1.197 events."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from desktop.core.hooks.payload import IncomingEvent
from desktop.core.model import Status
from desktop.core.status import HookState, apply_hook, status_after

RECORDED = Path(__file__).resolve().parents[1] / "fixtures/claude-code-2.1.197-hook-events.jsonl"


def recorded() -> list[tuple[float, IncomingEvent]]:
    events = []
    for n, line in enumerate(RECORDED.read_text().splitlines()):
        row = json.loads(line)
        payload = row["payload"]
        events.append(
            (
                row["t"],
                IncomingEvent(
                    payload,
                    payload["hook_event_name"],
                    payload["session_id"],
                    f"rec-{n}",
                    1000.0 + row["t"],
                    row["tmux_pane"],
                ),
            )
        )
    return events


def ev(name: str, stamp: float = 1.0, sid: str = "s1", **payload: Any) -> IncomingEvent:
    body = {"session_id": sid, "hook_event_name": name, **payload}
    return IncomingEvent(body, name, sid, f"{name}-{stamp}", stamp)


def run(events: Iterable[IncomingEvent], state: HookState | None = None) -> HookState:
    state = state or HookState()
    for event in events:
        state = apply_hook(state, event) or state
    return state


def session_timeline(session_prefix: str) -> list[tuple[str, Status, str]]:
    state = HookState()
    out = []
    for _, event in recorded():
        if not event.session_id.startswith(session_prefix):
            continue
        state = apply_hook(state, event) or state
        out.append((event.event_name, state.status, state.detail))
    return out


def test_recorded_first_session_walks_through_every_state() -> None:
    timeline = session_timeline("053c7322")
    statuses = [(name, status) for name, status, _ in timeline]
    assert statuses[:3] == [
        ("SessionStart", Status.IDLE),
        ("UserPromptSubmit", Status.WORKING),
        ("Stop", Status.IDLE),
    ]
    # The permission dialog: needs input at once, and the 6 s Notification keeps the detail.
    [first_ask] = [
        e
        for _, e in recorded()
        if e.event_name == "PermissionRequest" and e.session_id[:8] == "053c7322"
    ][:1]
    command = first_ask.payload["tool_input"]["command"]
    asked = [(n, s, d) for n, s, d in timeline if n in ("PermissionRequest", "Notification")]
    assert asked[0] == ("PermissionRequest", Status.NEEDS_INPUT, f"permission: Bash: {command}")
    assert asked[1][1:] == (Status.NEEDS_INPUT, f"permission: Bash: {command}")
    # The manual /compact: working while it compacts (through SessionStart source=compact),
    # idle once PostCompact says it is done.
    compact = [(n, s, d) for n, s, d in timeline if n in ("PreCompact", "PostCompact")]
    assert compact[0] == ("PreCompact", Status.WORKING, "compacting")
    assert compact[-1][:2] == ("PostCompact", Status.IDLE)
    assert timeline[-1][:2] == ("SessionEnd", Status.ENDED)
    assert timeline[-1][2] == "clear"


def test_recorded_subagent_and_api_error() -> None:
    timeline = session_timeline("47bbde96")
    by_event = {name: (status, detail) for name, status, detail in timeline}
    [agent] = [
        e for _, e in recorded() if e.event_name == "PreToolUse" and e.session_id[:8] == "47bbde96"
    ]
    description = agent.payload["tool_input"]["description"]
    assert by_event["PreToolUse"] == (Status.WORKING, f"Agent: {description}")
    assert by_event["SubagentStart"] == (Status.WORKING, "subagent: general-purpose")
    assert by_event["StopFailure"] == (Status.ERROR, "unknown")
    after_subagent = [d for n, _, d in timeline if n == "PostToolUse"]
    assert after_subagent == [""]


def test_compaction_subagent_stop_keeps_saying_compacting() -> None:
    state = run(
        [
            ev("PreCompact", 1, trigger="manual"),
            ev("SubagentStop", 2, agent_id="a1", agent_type=""),
            ev("SessionStart", 3, source="compact"),
        ]
    )
    assert (state.status, state.detail) == (Status.WORKING, "compacting")
    assert run([ev("PostCompact", 4, trigger="manual")], state).status is Status.IDLE
    assert run([ev("PostCompact", 4, trigger="auto")], state).status is Status.WORKING


def test_subagents_are_tracked_by_id_until_each_stops() -> None:
    state = run(
        [
            ev("UserPromptSubmit", 1, prompt="go"),
            ev("SubagentStart", 2, agent_id="a", agent_type="explore"),
            ev("SubagentStart", 3, agent_id="b", agent_type="general-purpose"),
            ev("SubagentStop", 4, agent_id="a", agent_type="explore"),
        ]
    )
    assert (state.status, state.detail) == (Status.WORKING, "subagent: general-purpose")
    state = run([ev("PostToolUse", 5, tool_name="Read")], state)
    assert state.detail == "subagent: general-purpose"
    state = run([ev("SubagentStop", 6, agent_id="b"), ev("Stop", 7)], state)
    assert state.status is Status.IDLE and state.subagents == frozenset()


def test_a_question_is_needs_input_with_the_question() -> None:
    asked = {"questions": [{"question": "Which database should I use?", "options": []}]}
    state = run([ev("PreToolUse", 1, tool_name="AskUserQuestion", tool_input=asked)])
    assert state.status is Status.NEEDS_INPUT
    assert state.detail == "question: Which database should I use?"


@pytest.mark.parametrize(
    ("kind", "before", "after"),
    [
        ("permission_prompt", Status.WORKING, Status.NEEDS_INPUT),
        ("elicitation_dialog", Status.IDLE, Status.NEEDS_INPUT),
        ("idle_prompt", Status.NEEDS_INPUT, Status.IDLE),
        ("idle_prompt", Status.ERROR, Status.ERROR),
        ("auth_success", Status.WORKING, Status.WORKING),
    ],
)
def test_notifications(kind: str, before: Status, after: Status) -> None:
    state = HookState(status=before, stamp=1)
    new = apply_hook(state, ev("Notification", 2, notification_type=kind, message="m"))
    assert (new or state).status is after


def test_interrupted_tool_failure_is_idle() -> None:
    state = run([ev("PreToolUse", 1, tool_name="Bash", tool_input={"command": "sleep 9"})])
    state = run([ev("PostToolUseFailure", 2, tool_name="Bash", is_interrupt=True)], state)
    assert (state.status, state.detail) == (Status.IDLE, "interrupted")


def test_informational_events_say_nothing() -> None:
    for name in ("InstructionsLoaded", "ConfigChange", "MessageDisplay", "SomeFutureEvent"):
        assert status_after(ev(name), HookState(status=Status.WORKING)) is None


def test_an_older_event_never_overwrites_a_newer_status() -> None:
    state = run([ev("UserPromptSubmit", 10, prompt="a"), ev("Stop", 12)])
    # The PreToolUse of that turn, delivered late by an async hook or a spool drain.
    assert apply_hook(state, ev("PreToolUse", 11, tool_name="Bash")) is None
    assert state.status is Status.IDLE


def test_events_without_a_status_do_not_move_the_clock() -> None:
    # MessageDisplay and Stop come ~20 ms apart in either order: Stop must still apply.
    state = run([ev("UserPromptSubmit", 10), ev("MessageDisplay", 10.592)])
    state = run([ev("Stop", 10.59)], state)
    assert state.status is Status.IDLE


def test_recorded_events_in_any_arrival_order_end_in_the_same_state() -> None:
    events = [e for _, e in recorded()]
    sessions = {e.session_id for e in events}
    in_order = {sid: run(e for e in events if e.session_id == sid) for sid in sessions}
    rng = random.Random(5)
    for _ in range(20):
        shuffled = events[:]
        rng.shuffle(shuffled)
        for sid in sessions:
            final = run(e for e in shuffled if e.session_id == sid)
            assert (final.status, final.detail) == (in_order[sid].status, in_order[sid].detail)
