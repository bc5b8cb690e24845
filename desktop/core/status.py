"""What hook events say about a session's status: the event -> state table (docs/status.md)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from desktop.core.hooks.payload import IncomingEvent
from desktop.core.model import Status

# Tools whose PreToolUse means Claude is now asking the person something, not working.
QUESTION_TOOLS = frozenset({"AskUserQuestion"})
# Notification types that mean a dialog waits for the person.
ASKING_NOTIFICATIONS = frozenset({"permission_prompt", "elicitation_dialog"})
INTERRUPTED = "interrupted"
COMPACTING = "compacting"


@dataclass(frozen=True)
class StatusChange:
    """The status an event moves a session to, with what it is about."""

    status: Status
    detail: str


@dataclass(frozen=True)
class HookState:
    """What the newest status-bearing hook event said about one session, and its stamp."""

    status: Status = Status.UNKNOWN
    detail: str = ""
    stamp: float = 0.0
    event_name: str = ""
    subagents: frozenset[tuple[str, str]] = frozenset()  # (agent_id, agent_type) running


def elide(text: str, limit: int = 120) -> str:
    """One line of at most `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tool_detail(event: IncomingEvent) -> str:
    """`Bash: touch x`: the tool and the most telling part of its input."""
    tool = event.text("tool_name") or "tool"
    tool_input = event.payload.get("tool_input")
    if isinstance(tool_input, dict):
        for key in ("command", "file_path", "path", "pattern", "url", "description", "prompt"):
            value = tool_input.get(key)
            if isinstance(value, str) and value:
                return elide(f"{tool}: {value}")
    return tool


def _question(event: IncomingEvent) -> str:
    tool_input = event.payload.get("tool_input")
    questions = tool_input.get("questions") if isinstance(tool_input, dict) else None
    if isinstance(questions, list) and questions and isinstance(questions[0], dict):
        text = questions[0].get("question")
        if isinstance(text, str) and text:
            return elide("question: " + text)
    return "question"


def _subagent(event: IncomingEvent) -> tuple[str, str]:
    return (event.text("agent_id"), event.text("agent_type") or "agent")


def _working_detail(current: HookState, subagents: frozenset[tuple[str, str]]) -> str:
    """What a session works on between tools: its subagents, or the compaction it runs."""
    if subagents:
        return "subagent: " + ", ".join(sorted({kind for _, kind in subagents}))
    return COMPACTING if current.detail == COMPACTING else ""


def status_after(event: IncomingEvent, current: HookState) -> StatusChange | None:
    """The status after `event`, or None when the event says nothing about the status."""
    name = event.event_name
    running = _working_detail(current, current.subagents)
    if name == "SessionStart":
        if event.text("source") == "compact":
            return StatusChange(Status.WORKING, COMPACTING)
        return StatusChange(Status.IDLE, "")
    if name == "UserPromptSubmit":
        return StatusChange(Status.WORKING, elide(event.text("prompt")))
    if name == "PreToolUse":
        if event.text("tool_name") in QUESTION_TOOLS:
            return StatusChange(Status.NEEDS_INPUT, _question(event))
        return StatusChange(Status.WORKING, tool_detail(event))
    if name == "PermissionRequest":
        return StatusChange(Status.NEEDS_INPUT, "permission: " + tool_detail(event))
    if name == "Notification":
        return _notification(event, current)
    if name == "PostToolUseFailure" and event.payload.get("is_interrupt") is True:
        return StatusChange(Status.IDLE, INTERRUPTED)
    if name in ("PostToolUse", "PostToolUseFailure", "PostToolBatch", "SubagentStop"):
        return StatusChange(Status.WORKING, running)
    if name == "SubagentStart":
        return StatusChange(Status.WORKING, "subagent: " + (event.text("agent_type") or "agent"))
    if name == "PreCompact":
        return StatusChange(Status.WORKING, COMPACTING)
    if name == "PostCompact":
        # A manual /compact ends there; an automatic one goes on with the turn it interrupted.
        manual = event.text("trigger") == "manual"
        return StatusChange(Status.IDLE if manual else Status.WORKING, "")
    if name == "Stop":
        return StatusChange(Status.IDLE, elide(event.text("last_assistant_message")))
    if name == "StopFailure":
        return StatusChange(Status.ERROR, event.text("error") or "unknown error")
    if name == "SessionEnd":
        return StatusChange(Status.ENDED, event.text("reason"))
    return None


def _notification(event: IncomingEvent, current: HookState) -> StatusChange | None:
    kind = event.text("notification_type")
    if kind in ASKING_NOTIFICATIONS:
        # The PermissionRequest that came first already said what is asked, in more words.
        if current.status is Status.NEEDS_INPUT and current.detail:
            return StatusChange(Status.NEEDS_INPUT, current.detail)
        return StatusChange(Status.NEEDS_INPUT, elide(event.text("message")) or "needs input")
    if kind == "idle_prompt" and current.status in (Status.WORKING, Status.NEEDS_INPUT):
        # Claude says it waits at its prompt: whatever we thought it was doing is over.
        return StatusChange(Status.IDLE, "")
    return None


# Late deliveries come within seconds (the spool's watch, a drain in stamp order at start).
CLOCK_SET_BACK_S = 600.0


def apply_hook(state: HookState, event: IncomingEvent) -> HookState | None:
    """The session's hook state after `event`; None when the status stays as it is.

    Events are applied in stamp order: async hooks and spool drains deliver some late, and
    an event older than the newest one applied must not overwrite the status. One older by
    CLOCK_SET_BACK_S or more is no late delivery but a wall clock set back (the stamps are
    the hooks' wall-clock readings): it is applied, or the card would freeze that long.
    """
    if state.stamp - CLOCK_SET_BACK_S < event.stamp < state.stamp:
        return None
    change = status_after(event, state)
    if change is None:
        return None
    subagents = state.subagents
    detail = change.detail
    if event.event_name == "SubagentStart":
        subagents = subagents | {_subagent(event)}
    elif event.event_name == "SubagentStop":
        # A stop matches its start by agent id; the type may be blank on the stop.
        agent_id = event.text("agent_id")
        subagents = frozenset(a for a in subagents if a[0] != agent_id)
        detail = _working_detail(state, subagents)
    elif change.status is not Status.WORKING:
        subagents = frozenset()
    return dataclasses.replace(
        state,
        status=change.status,
        detail=detail,
        stamp=event.stamp,
        event_name=event.event_name,
        subagents=subagents,
    )
