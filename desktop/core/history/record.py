"""The compact event record: what the log keeps of one hook call, computed at ingest.

Claude Code sends a lot with each hook (a tool's whole response, the prompt, the last
assistant message). The app keeps only what it uses; the row of `hook_event` is:

==================  ===========================================================================
column              meaning
==================  ===========================================================================
id                  log id (the XP ledger and badges name it)
dedupe_key          the hook call's unique key (export/import and spool replays use it)
event_name          the hook event, e.g. ``PostToolUse`` (unknown names are kept as they came)
session_id          Claude's session id
pane_id             $TMUX_PANE of the hook, or NULL
claude_pid          the Claude process that ran the hook, or NULL
stamp               when the hook ran (Unix seconds)
received_at         when the app stored it (UTC)
tool_name           the tool, for tool events (``Bash``, ``Read``...), else NULL
cwd                 the session's working directory as the hook saw it, or NULL
record              JSON object: the fields of `EventFacts` below that are set
==================  ===========================================================================

`record` holds only non-default fields, so an unknown event stores ``{}``:

- ``summary``: the tool's input in a few words, secrets redacted, at most 200 characters
  (a Bash command, a file path, a search pattern, a URL, a subagent's description); for
  InstructionsLoaded and ConfigChange the file path.
- ``outcome``: ``ok`` (PostToolUse), ``failed`` (PostToolUseFailure), ``interrupted``
  (PostToolUseFailure the user interrupted).
- ``is_commit``, ``is_test_run``: a Bash command that runs ``git commit`` / a test suite,
  decided on the whole command at ingest (desktop.core.progression.shell).
- ``stop_hook_active`` (Stop), ``error`` (StopFailure's error kind, PostToolUseFailure's
  error in a few words), ``trigger`` (PreCompact/PostCompact), ``source``
  (SessionStart/ConfigChange), ``reason`` (SessionEnd), ``notification_type``
  (Notification), ``agent_type`` (SubagentStart/SubagentStop), ``model`` (SessionStart),
  ``transcript_path`` (SessionStart, Stop, SessionEnd: where the session's transcript is).
- sizes: ``input_size`` and ``response_size`` (characters of the tool's input and response
  as JSON), ``prompt_size`` (UserPromptSubmit), ``message_size`` (Stop), ``duration_ms``.

Prompts, tool responses and assistant messages are never stored. Progression reads only
this record, live and in `progression rebuild`, so both give the same totals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from desktop.core.history.redact import redact
from desktop.core.progression.shell import makes_commit, runs_tests

SUMMARY_LIMIT = 200
_ERROR_LIMIT = 120
# The tool input keys that say the most about a call, in the order they are looked for.
_SUMMARY_KEYS = ("command", "file_path", "notebook_path", "pattern", "url", "query", "description")
_TRANSCRIPT_EVENTS = frozenset({"SessionStart", "Stop", "SessionEnd"})


@dataclass(frozen=True)
class EventFacts:
    """The compact facts of one hook event (see the module docstring for each field)."""

    tool_name: str = ""
    cwd: str = ""
    summary: str = ""
    outcome: str = ""
    is_commit: bool = False
    is_test_run: bool = False
    stop_hook_active: bool = False
    error: str = ""
    trigger: str = ""
    source: str = ""
    reason: str = ""
    notification_type: str = ""
    agent_type: str = ""
    model: str = ""
    transcript_path: str = ""
    input_size: int = 0
    response_size: int = 0
    prompt_size: int = 0
    message_size: int = 0
    duration_ms: int = 0

    @property
    def interrupted(self) -> bool:
        return self.outcome == "interrupted"

    def record_json(self) -> str:
        """The `record` column: the set fields other than the ones with columns of their own."""
        data = {
            f.name: value
            for f in fields(self)
            if f.name not in _COLUMNS and (value := getattr(self, f.name)) != f.default
        }
        return json.dumps(data, separators=(",", ":")) if data else "{}"

    @classmethod
    def from_row(cls, tool_name: str | None, cwd: str | None, record: str | None) -> EventFacts:
        """The facts of a stored row; fields a newer version wrote are ignored."""
        data = json.loads(record) if record else {}
        known = {k: v for k, v in data.items() if k in _FIELDS and k not in _COLUMNS}
        return cls(tool_name=tool_name or "", cwd=cwd or "", **known)


_COLUMNS = frozenset({"tool_name", "cwd"})
_FIELDS = frozenset(f.name for f in fields(EventFacts))


def clean_text(value: str, limit: int) -> str:
    """One line of at most `limit` characters that SQLite can store (no lone surrogates)."""
    text = " ".join(value.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.encode("utf-8", "replace").decode("utf-8")


def _text(payload: dict[str, Any], key: str, limit: int = 200) -> str:
    value = payload.get(key)
    return clean_text(value, limit) if isinstance(value, str) else ""


def _size(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value)
    return len(json.dumps(value, separators=(",", ":"), default=str))


def _summary(tool_input: Any) -> str:
    if not isinstance(tool_input, dict):
        return ""
    for key in _SUMMARY_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            # Redact the whole value first: a secret cut in half no longer matches a pattern.
            return clean_text(redact(value), SUMMARY_LIMIT)
    return ""


def _tool_facts(event_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    tool_input = payload.get("tool_input")
    found: dict[str, Any] = {"summary": _summary(tool_input), "input_size": _size(tool_input)}
    if event_name == "PostToolUse":
        found["outcome"] = "ok"
    elif event_name == "PostToolUseFailure":
        found["outcome"] = "interrupted" if payload.get("is_interrupt") is True else "failed"
        found["error"] = clean_text(redact(_text(payload, "error", 1000)), _ERROR_LIMIT)
    if event_name in ("PostToolUse", "PostToolUseFailure"):
        found["response_size"] = _size(payload.get("tool_response"))
        duration = payload.get("duration_ms")
        if isinstance(duration, int | float) and not isinstance(duration, bool):
            found["duration_ms"] = int(duration)
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    if payload.get("tool_name") == "Bash" and isinstance(command, str) and command:
        found["is_test_run"] = runs_tests(command)
        found["is_commit"] = makes_commit(command)
    return found


def compact(event_name: str, payload: dict[str, Any]) -> EventFacts:
    """The facts the app keeps of a hook payload (computed once, at ingest, from all of it)."""
    found: dict[str, Any] = {
        "tool_name": _text(payload, "tool_name", 100),
        "cwd": _text(payload, "cwd", 1000),
    }
    if "tool_name" in payload or "tool_input" in payload:
        found.update(_tool_facts(event_name, payload))
    if event_name in _TRANSCRIPT_EVENTS:
        found["transcript_path"] = _text(payload, "transcript_path", 1000)
    if event_name == "SessionStart":
        found["source"] = _text(payload, "source", 40)
        found["model"] = _text(payload, "model", 100)
    elif event_name == "UserPromptSubmit":
        found["prompt_size"] = _size(payload.get("prompt"))
    elif event_name in ("Stop", "SubagentStop"):
        found["stop_hook_active"] = payload.get("stop_hook_active") is True
        found["message_size"] = _size(payload.get("last_assistant_message"))
    elif event_name == "StopFailure":
        found["error"] = _text(payload, "error", _ERROR_LIMIT)
    elif event_name in ("PreCompact", "PostCompact"):
        found["trigger"] = _text(payload, "trigger", 40)
    elif event_name == "SessionEnd":
        found["reason"] = _text(payload, "reason", 40)
    elif event_name == "Notification":
        found["notification_type"] = _text(payload, "notification_type", 60)
    elif event_name in ("InstructionsLoaded", "ConfigChange"):
        found["summary"] = clean_text(redact(_text(payload, "file_path", 1000)), SUMMARY_LIMIT)
        found["source"] = _text(payload, "source", 40)
    if event_name in ("SubagentStart", "SubagentStop"):
        found["agent_type"] = _text(payload, "agent_type", 60)
    return EventFacts(**found)
