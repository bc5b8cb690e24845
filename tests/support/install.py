"""Install the app's hooks into a throwaway HOME the way a person would: the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from desktop.core.hooks.installer import HOOK_EVENTS
from tests.support.claude_cli import write_settings
from tests.support.claude_session import HookRecorder

REPO = Path(__file__).resolve().parents[2]


def install_hooks(home: Path, data_dir: Path, port: int, events: str | None = None) -> Path:
    """Run `claude-rpg hooks install` into home's settings.json; return that file."""
    settings = home / ".claude" / "settings.json"
    args = [
        sys.executable, "-m", "desktop", "hooks", "install",
        "--settings", str(settings), "--port", str(port), "--data-dir", str(data_dir),
    ]  # fmt: skip
    if events:
        args += ["--events", events]
    subprocess.run(args, cwd=REPO, check=True, capture_output=True)
    return settings


def install_beside_recorder(recorder: HookRecorder, home: Path, data_dir: Path, port: int) -> Path:
    """Claude's own record of every hook call it makes (the recorder's hooks on every event
    the app hooks) in home's settings.json, then the app's hooks beside them as a person
    installs them: the count to compare the app's against. Returns the settings file."""
    write_settings(home, recorder.settings(HOOK_EVENTS))
    return install_hooks(home, data_dir, port)
