"""Where the app keeps its files; computed on demand, never created at import time."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "claude-rpg"
DEFAULT_PORT = 4011


def default_data_dir() -> Path:
    """The XDG data dir for the app (e.g. ~/.local/share/claude-rpg)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def data_dir_flag(data_dir: Path | None) -> str:
    """The `--data-dir X` to repeat in a command the user is told to run (empty for the default)."""
    if data_dir is None or data_dir.expanduser().resolve() == default_data_dir().resolve():
        return ""
    return f" --data-dir {data_dir}"


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

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    def ensure(self) -> None:
        """Create the data dir and its subfolders (only the user may read them)."""
        for folder in (self.root, self.spool, self.logs, self.hook_script.parent):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def read_secret(self) -> str | None:
        """The secret as it is on disk, creating nothing; None when missing, empty or unreadable."""
        try:
            value = self.secret_file.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return None
        return value or None

    def secret(self) -> str:
        """The per-install secret every /api and /hooks client sends, created on first use.

        A missing or empty file gets a new secret: an empty one would let an empty header
        through.
        """
        self.ensure()
        existing = self.read_secret()
        if existing is not None:
            return existing
        value = secrets.token_urlsafe(24)
        tmp = self.secret_file.with_name(f".secret.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(value + "\n")
        try:
            if self.secret_file.exists():
                # An empty file: replaced (two starts racing both write a valid secret and
                # both read back the one that won).
                os.replace(tmp, self.secret_file)
            else:
                # link() fails if another process won the race; then theirs is the secret.
                os.link(tmp, self.secret_file)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        found = self.read_secret()
        if found is None:
            raise OSError(f"cannot keep a secret in {self.secret_file}")
        return found

    def tighten(self, extra: Iterable[Path] = ()) -> list[Path]:
        """Make the app's files user-only: in the data dir, and in `extra` folders (logs).

        Each loses every group and other bit (folders 0700, files 0600, the hook script
        0700), even when it was made loose before this release or by hand.
        Returns what was changed; symlinks are left alone.
        """
        changed: list[Path] = []
        # Only what the app made: a --data-dir pointing at a folder with other files in it
        # (even $HOME) must not have those changed.
        ours = [self.root, self.secret_file, self.spool, self.logs, self.hook_script.parent]
        ours += sorted(self.root.glob(f"{self.database.name}*"))
        for top in (*ours, *extra):
            changed += _tighten_one(top)
            if top.is_dir() and not top.is_symlink() and top != self.root:
                for folder, dirs, files in os.walk(top):
                    changed += [
                        p for name in dirs + files for p in _tighten_one(Path(folder, name))
                    ]
        return changed


def _tighten_one(path: Path) -> list[Path]:
    """Take every group and other permission bit off one file or folder ([] if none had)."""
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode) or not st.st_mode & 0o077:
            return []
        os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
    except OSError:
        return []
    return [path]
