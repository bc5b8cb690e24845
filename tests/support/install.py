"""Install the app's hooks into a throwaway HOME the way a person would: the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
