"""Merges our command hooks into Claude Code's settings.json, keeping everything else."""

from __future__ import annotations

import copy
import difflib
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.core.hooks.command import command_for, is_our_command
from desktop.core.usage import statusline

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
# Claude kills a hook after this; ours answers or spools within about half a second.
HOOK_TIMEOUT_S = 5
BACKUP_SUFFIX = ".claude-rpg.bak"

Settings = dict[str, Any]


class SettingsError(Exception):
    """settings.json cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class SettingsChange:
    """What install or uninstall does to one settings file."""

    path: Path
    before_text: str
    before: Settings
    after: Settings

    @property
    def changed(self) -> bool:
        # Compared as data: the same settings are no change, whatever the file's layout, so
        # the file is never reformatted for nothing.
        return self.before != self.after

    @property
    def after_text(self) -> str:
        return render(self.after) if self.changed else self.before_text

    def diff(self) -> str:
        """The change as a unified diff ('' when there is none)."""
        return "".join(
            difflib.unified_diff(
                self.before_text.splitlines(keepends=True),
                self.after_text.splitlines(keepends=True),
                fromfile=str(self.path),
                tofile=f"{self.path} (after)",
            )
        )


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as e:
        raise SettingsError(f"cannot read {path}: {e}; fix it and run the command again") from e


def parse_settings(path: Path, text: str) -> Settings:
    """The settings as a dict ({} for a missing or empty file); refuse anything unusable."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SettingsError(
            f"{path} is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}; "
            "it was left untouched: fix it and run the command again"
        ) from e
    if not isinstance(data, dict):
        raise SettingsError(f"{path} must hold a JSON object; it was left untouched")
    hooks = data.get("hooks", {})
    if not isinstance(hooks, dict):
        raise SettingsError(f'"hooks" in {path} must be an object; it was left untouched')
    for event, groups in hooks.items():
        if not isinstance(groups, list):
            raise SettingsError(
                f'"hooks.{event}" in {path} must be a list; it was left untouched: '
                "fix it and run the command again"
            )
    settings: Settings = data
    return settings


def load_settings(path: Path) -> Settings:
    """Read and parse a settings file ({} when it does not exist)."""
    return parse_settings(path, read_text(path))


def is_ours(handler: Any) -> bool:
    """Is this hook handler one that we installed?"""
    return (
        isinstance(handler, dict)
        and handler.get("type", "command") == "command"
        and is_our_command(str(handler.get("command", "")))
    )


def without_ours(settings: Settings) -> Settings:
    """A copy with every handler we installed removed, and only what that emptied dropped."""
    out: Settings = copy.deepcopy(settings)
    hooks = out.get("hooks")
    if not isinstance(hooks, dict):
        return statusline.without_ours(out)
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept = []
        for group in groups:
            handlers = group.get("hooks") if isinstance(group, dict) else None
            if isinstance(handlers, list) and any(is_ours(h) for h in handlers):
                theirs = [h for h in handlers if not is_ours(h)]
                if not theirs:
                    continue
                group = {**group, "hooks": theirs}
            kept.append(group)
        if kept or not groups:
            hooks[event] = kept
        else:
            del hooks[event]
    if not hooks and settings.get("hooks"):
        del out["hooks"]
    # The status line goes with the hooks: the user's own command is put back as it was.
    return statusline.without_ours(out)


def with_ours(
    settings: Settings, script: Path, events: Iterable[str], status_line: bool = False
) -> Settings:
    """A copy with exactly one handler of ours per event, after everyone else's (idempotent)."""
    out = without_ours(settings)
    hooks = out.setdefault("hooks", {})
    for event in events:
        handler = {
            "type": "command",
            "command": command_for(script, event),
            "timeout": HOOK_TIMEOUT_S,
        }
        hooks.setdefault(event, []).append({"hooks": [handler]})
    # The status-line snippet wraps the user's own statusLine; it keeps Claude's status JSON
    # in the data dir (the hook script's folder's parent).
    # With no statusLine of the user's, ours is added only when asked (`status_line`), and
    # kept by a later install that did not ask.
    folder = script.parent.parent / statusline.STATUS_DIR
    always = status_line or statusline.is_ours(settings.get("statusLine"))
    return statusline.with_ours(out, folder, always=always)


def hooked_events(settings: Settings) -> list[str]:
    """The events that have a handler of ours, in file order."""
    hooks = settings.get("hooks")
    found = []
    for event, groups in hooks.items() if isinstance(hooks, dict) else ():
        for group in groups if isinstance(groups, list) else ():
            handlers = group.get("hooks") if isinstance(group, dict) else None
            if isinstance(handlers, list) and any(is_ours(h) for h in handlers):
                found.append(event)
                break
    return found


def our_commands(settings: Settings) -> list[str]:
    """Every command string of ours in the file."""
    hooks = settings.get("hooks")
    commands = []
    for groups in hooks.values() if isinstance(hooks, dict) else ():
        for group in groups if isinstance(groups, list) else ():
            handlers = group.get("hooks") if isinstance(group, dict) else None
            for handler in handlers if isinstance(handlers, list) else ():
                if is_ours(handler):
                    commands.append(str(handler["command"]))
    return commands


def render(settings: Settings) -> str:
    return json.dumps(settings, indent=2, ensure_ascii=False) + "\n"


def plan_install(
    path: Path, script: Path, events: Sequence[str] = HOOK_EVENTS, status_line: bool = False
) -> SettingsChange:
    """What installing our handlers for `events` would change (nothing is written)."""
    text = read_text(path)
    before = parse_settings(path, text)
    return SettingsChange(path, text, before, with_ours(before, script, events, status_line))


def plan_uninstall(path: Path) -> SettingsChange:
    """What removing our handlers would change (nothing is written)."""
    text = read_text(path)
    before = parse_settings(path, text)
    return SettingsChange(path, text, before, without_ours(before))


def apply(change: SettingsChange) -> Path | None:
    """Write the change, if there is one: a backup first, then an atomic replace.

    Returns the backup's path (None when nothing was written or there was no file before).
    """
    if not change.changed:
        return None
    return write_settings(change.path, change.after_text)


def write_settings(path: Path, text: str) -> Path | None:
    """Replace the file atomically, after a backup of the old one; return the backup path."""
    # A settings.json symlinked from a dotfiles repo stays a symlink: write its target.
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    if target.exists():
        backup = target.with_name(target.name + BACKUP_SUFFIX)
        shutil.copy2(target, backup)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if target.exists():
            shutil.copymode(target, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return backup


def install(
    path: Path, script: Path, events: Sequence[str] = HOOK_EVENTS, status_line: bool = False
) -> SettingsChange:
    """Merge our handlers for `events` into the settings file; return what changed."""
    change = plan_install(path, script, events, status_line)
    apply(change)
    return change


def uninstall(path: Path) -> SettingsChange:
    """Remove our handlers (and nothing else) from the settings file; return what changed."""
    change = plan_uninstall(path)
    apply(change)
    return change
