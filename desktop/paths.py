"""Where the app keeps its files; computed on demand, never created at import time."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "claude-rpg"
DEFAULT_PORT = 4011


def default_data_dir() -> Path:
    """The XDG data dir for the app (e.g. ~/.local/share/claude-rpg)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_dir() -> Path:
    """The XDG config dir for the app (e.g. ~/.config/claude-rpg)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def default_state_dir() -> Path:
    """The XDG state dir for the app (logs)."""
    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def claude_config_dir() -> Path:
    """Claude Code's own config dir: $CLAUDE_CONFIG_DIR, else ~/.claude."""
    env = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(env) if env else Path.home() / ".claude"


@dataclass(frozen=True)
class DataPaths:
    """Every file the app writes lives under one data dir."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "claude-rpg.sqlite3"

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def secret_file(self) -> Path:
        return self.root / "secret"

    @property
    def hook_script(self) -> Path:
        return self.root / "bin" / "claude-rpg-hook"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> None:
        """Create the data dir and its subfolders (only the user may read them)."""
        for folder in (self.root, self.spool, self.logs, self.hook_script.parent):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def secret(self) -> str:
        """The per-install secret hooks send with every event, created on first use."""
        self.ensure()
        try:
            return self.secret_file.read_text().strip()
        except FileNotFoundError:
            pass
        value = secrets.token_urlsafe(24)
        tmp = self.secret_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(value + "\n")
        # link() fails if another process won the race; then theirs is the secret.
        try:
            os.link(tmp, self.secret_file)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        return self.secret_file.read_text().strip()
