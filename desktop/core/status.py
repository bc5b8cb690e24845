"""The hook event -> status table (see docs/status.md)."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.core.hooks.payload import IncomingEvent
from desktop.core.model import Status


@dataclass(frozen=True)
class StatusChange:
    """The status an event moves a session to, with what it is about."""

    status: Status
    detail: str


def _elide(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tool_detail(event: IncomingEvent) -> str:
    tool = event.text("tool_name") or "tool"
    tool_input = event.payload.get("tool_input")
    if isinstance(tool_input, dict):
        for key in ("command", "file_path", "path", "pattern", "url", "description", "prompt"):
            value = tool_input.get(key)
            if isinstance(value, str) and value:
                return _elide(f"{tool}: {value}")
    return tool


def status_after(event: IncomingEvent, current: Status) -> StatusChange | None:
    """The status after `event`, or None when the event says nothing about the status."""
    name = event.event_name
    if name == "SessionStart":
        return StatusChange(Status.IDLE, "")
    if name == "UserPromptSubmit":
        return StatusChange(Status.WORKING, _elide(event.text("prompt")))
    if name == "PreToolUse":
        return StatusChange(Status.WORKING, _tool_detail(event))
    if name == "PermissionRequest":
        return StatusChange(Status.NEEDS_INPUT, "permission: " + _tool_detail(event))
    if name == "Notification":
        kind = event.text("notification_type")
        if kind == "permission_prompt" or (
            kind not in ("idle_prompt", "") and current is not Status.IDLE
        ):
            return StatusChange(Status.NEEDS_INPUT, _elide(event.text("message")))
        return None
    if name in ("PostToolUse", "PostToolUseFailure", "PostToolBatch"):
        return StatusChange(Status.WORKING, "")
    if name == "SubagentStart":
        return StatusChange(Status.WORKING, "subagent: " + (event.text("agent_type") or "agent"))
    if name == "SubagentStop":
        return StatusChange(Status.WORKING, "")
    if name == "PreCompact":
        return StatusChange(Status.WORKING, "compacting")
    if name == "PostCompact":
        manual = event.text("trigger") == "manual"
        return StatusChange(Status.IDLE if manual else Status.WORKING, "")
    if name == "Stop":
        return StatusChange(Status.IDLE, _elide(event.text("last_assistant_message")))
    if name == "StopFailure":
        return StatusChange(Status.ERROR, event.text("error") or "unknown error")
    if name == "SessionEnd":
        return StatusChange(Status.ENDED, event.text("reason"))
    return None
