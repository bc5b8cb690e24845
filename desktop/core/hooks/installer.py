"""Writes our command hooks into Claude Code's settings.json, keeping everything else."""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from desktop.core.hooks.command import MARKER, command_for

HOOK_EVENTS: tuple[str, ...] = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PermissionRequest",
    "Notification",
    "PostToolUse",
    "PostToolUseFailure",
    "Stop",
    "StopFailure",
    "SubagentStart",
    "SubagentStop",
    "PreCompact",
    "PostCompact",
    "SessionEnd",
)
HOOK_TIMEOUT_S = 5


class SettingsError(Exception):
    """settings.json cannot be used; the message says why and what to do."""


def load_settings(path: Path) -> dict[str, Any]:
    """The settings as a dict ({} when the file does not exist); refuse invalid JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SettingsError(
            f"{path} is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}; "
            "fix the file (it was left untouched) and run the command again"
        ) from e
    if not isinstance(data, dict):
        raise SettingsError(f"{path} must hold a JSON object; it was left untouched")
    settings: dict[str, Any] = data
    hooks = data.get("hooks", {})
    if not isinstance(hooks, dict):
        raise SettingsError(f'"hooks" in {path} must be an object; it was left untouched')
    return settings


def _is_ours(handler: Any) -> bool:
    return isinstance(handler, dict) and MARKER in str(handler.get("command", ""))


def without_ours(settings: dict[str, Any]) -> dict[str, Any]:
    """A copy of settings with every handler we installed removed (and groups left empty)."""
    out: dict[str, Any] = copy.deepcopy(settings)
    hooks = out.get("hooks")
    if not isinstance(hooks, dict):
        return out
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept = []
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                handlers = [h for h in group["hooks"] if not _is_ours(h)]
                if not handlers and group["hooks"]:
                    continue
                group = {**group, "hooks": handlers}
            kept.append(group)
        if kept:
            hooks[event] = kept
        else:
            del hooks[event]
    if not hooks:
        del out["hooks"]
    return out


def with_ours(settings: dict[str, Any], script: Path, events: Iterable[str]) -> dict[str, Any]:
    """settings with exactly one handler of ours per event (idempotent)."""
    out = without_ours(settings)
    hooks = out.setdefault("hooks", {})
    for event in events:
        handler = {
            "type": "command",
            "command": command_for(script, event),
            "timeout": HOOK_TIMEOUT_S,
        }
        hooks.setdefault(event, []).append({"hooks": [handler]})
    return out


def hooked_events(settings: dict[str, Any]) -> list[str]:
    """The events that have a handler of ours."""
    hooks = settings.get("hooks", {})
    found = []
    for event, groups in hooks.items() if isinstance(hooks, dict) else ():
        for group in groups if isinstance(groups, list) else ():
            if isinstance(group, dict) and any(_is_ours(h) for h in group.get("hooks", [])):
                found.append(event)
                break
    return found


def render(settings: dict[str, Any]) -> str:
    return json.dumps(settings, indent=2, ensure_ascii=False) + "\n"


def write_settings(path: Path, settings: dict[str, Any]) -> Path | None:
    """Replace the file atomically, after a backup of the old one; return the backup path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    if path.exists():
        backup = path.with_name(path.name + ".claude-rpg.bak")
        shutil.copy2(path, backup)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(render(settings), encoding="utf-8")
    if path.exists():
        shutil.copymode(path, tmp)
    os.replace(tmp, path)
    return backup


def install(path: Path, script: Path, events: Sequence[str] = HOOK_EVENTS) -> dict[str, Any]:
    """Merge our handlers for `events` into the settings file; return the new settings."""
    updated = with_ours(load_settings(path), script, events)
    write_settings(path, updated)
    return updated
