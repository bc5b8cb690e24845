"""The pinned Claude Code CLI and the offline environment every test run of it must get."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CLAUDE_VERSION = "2.1.197"
REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_ENV_VAR = "CLAUDE_RPG_TEST_CLAUDE_BIN"
MARKETPLACE_VAR = "CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL"

# Without every one of these the CLI phones home (telemetry, updates, error reports, and on a
# fresh HOME a DNS lookup, ssh and a git clone for the plugin marketplace).
OFFLINE_VARS: dict[str, str] = {
    "ANTHROPIC_AUTH_TOKEN": "fake",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    MARKETPLACE_VAR: "1",
}

_SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


class ClaudeNotInstalledError(RuntimeError):
    """The pinned Claude Code CLI is not where the tests look for it."""


def claude_bin() -> Path:
    """Return the pinned claude executable, or raise with the fix if it is missing."""
    override = os.environ.get(BIN_ENV_VAR)
    path = Path(override) if override else REPO_ROOT / ".cache/claude-code/node_modules/.bin/claude"
    if not (path.is_file() and os.access(path, os.X_OK)):
        where = f"${BIN_ENV_VAR}={override}" if override else str(path)
        raise ClaudeNotInstalledError(
            f"Claude Code {CLAUDE_VERSION} not found at {where}: run `make install` "
            f"(or `make claude-cli`) in {REPO_ROOT} to install it"
        )
    return path


def offline_env(
    home: Path, fake_base_url: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """Build from scratch the whole environment of a claude process that talks only to the fake."""
    host = urlsplit(fake_base_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"the fake API must be on loopback, not {fake_base_url!r}")
    env = {
        # The claude binary's own folder first; the rest lets hooks find bash, cat, python3.
        "PATH": f"{claude_bin().parent}:{_SYSTEM_PATH}",
        "HOME": str(home),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "ANTHROPIC_BASE_URL": fake_base_url,
        **OFFLINE_VARS,
    }
    for key, value in (extra or {}).items():
        if key in OFFLINE_VARS or key.startswith("ANTHROPIC_"):
            raise ValueError(f"{key} is part of the offline recipe and cannot be overridden")
        if key.lower().endswith("_proxy"):
            raise ValueError(f"{key}: a proxy would take claude off loopback")
        env[key] = value
    return env


def check_offline_env(env: dict[str, str]) -> None:
    """Raise AssertionError unless env holds the whole offline recipe pointing at loopback."""
    missing = {k: v for k, v in OFFLINE_VARS.items() if env.get(k) != v}
    if missing:
        raise AssertionError(f"claude would run without the offline variables {sorted(missing)}")
    base = env.get("ANTHROPIC_BASE_URL", "")
    if urlsplit(base).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise AssertionError(f"claude would talk to {base!r}, not a loopback fake")
    leaked = sorted(k for k in env if k.lower().endswith("_proxy"))
    if leaked:
        raise AssertionError(f"claude would inherit proxy variables {leaked}")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def seed_home(home: Path, trusted_dirs: list[Path]) -> None:
    """Write $HOME/.claude.json so the CLI skips onboarding and trusts the given folders."""
    path = home / ".claude.json"
    data: dict[str, Any] = {}
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
    data["hasCompletedOnboarding"] = True
    projects = data.setdefault("projects", {})
    for folder in trusted_dirs:
        entry = projects.setdefault(str(Path(folder).resolve()), {})
        entry["hasTrustDialogAccepted"] = True
    _write_json(path, data)


def write_settings(home: Path, settings: dict[str, Any]) -> Path:
    """Write $HOME/.claude/settings.json (the CLI hot-reloads it) and return its path."""
    path = home / ".claude" / "settings.json"
    _write_json(path, settings)
    return path
