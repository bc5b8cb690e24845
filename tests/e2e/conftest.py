"""Fixtures for end-to-end tests: a fake Anthropic API, a private tmux server, a throwaway HOME."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.support.app_process import AppProcess
from tests.support.claude_cli import MARKETPLACE_VAR, check_offline_env
from tests.support.claude_session import HookRecorder
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.private_tmux import PrivateTmux

_CLAUDE_NAMES = ("claude", "claude.exe")
# Words after which a bare `claude` (or a path to it) is in command position.
_LAUNCHERS = {
    "env",
    "exec",
    "--",
    "-i",
    "command",
    "nohup",
    "setsid",
    "timeout",
    "sudo",
    "&&",
    "||",
    ";",
    "|",
    "&",
    "then",
    "do",
    "else",
}
# tmux commands whose trailing words are a command to run.
_TMUX_LAUNCH = {
    "new-window",
    "neww",
    "split-window",
    "splitw",
    "new-session",
    "new",
    "respawn-pane",
    "respawnp",
    "respawn-window",
    "respawnw",
}
# Typed into a pane, these run whatever a shell there reads.
_TMUX_TYPE = {"send-keys", "send"}
_SHELL_FLAGS = {"-c", "-lc", "-ic"}
_ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def _is_claude(word: str) -> bool:
    return word.rsplit("/", 1)[-1] in _CLAUDE_NAMES


def _tmux_launch_at(words: list[str]) -> int | None:
    """Return where a tmux command that runs or types a command starts, if words is one."""
    if not words or words[0].rsplit("/", 1)[-1] != "tmux":
        return None
    return next((i for i, w in enumerate(words) if w in _TMUX_LAUNCH | _TMUX_TYPE), None)


def _commands(args: Any) -> list[list[str]]:
    """Split args into word lists: the argv, then each shell command string found inside it."""
    if isinstance(args, (str, bytes)):
        return _commands(shlex.split(os.fsdecode(args)))
    argv = [os.fsdecode(a) if isinstance(a, (bytes, os.PathLike)) else str(a) for a in args]
    commands = [argv]
    launch_at = _tmux_launch_at(argv)
    for i, word in enumerate(argv):
        shell_string = (i > 0 and argv[i - 1] in _SHELL_FLAGS) or (
            launch_at is not None and i > launch_at
        )
        if shell_string and any(c.isspace() for c in word):
            try:
                commands.extend(_commands(shlex.split(word)))
            except ValueError:
                commands.append(word.split())
    return commands


def _runs_claude(words: list[str]) -> bool:
    launch_at = _tmux_launch_at(words)
    for i, word in enumerate(words):
        if not _is_claude(word):
            continue
        if launch_at is not None and i > launch_at:
            return True
        if i == 0 or words[i - 1] in _LAUNCHERS or _ASSIGN.match(words[i - 1]):
            return True
    return False


def offline_violation(args: Any, env: Mapping[str, str] | None) -> str | None:
    """Return why starting args with env could run claude online, or None if it is safe."""
    commands = _commands(args)
    if not any(_runs_claude(words) for words in commands):
        return None
    words = [w for words in commands for w in words]
    # Variables given on the command line (env -i K=V claude ...) count as the claude env.
    merged = dict(os.environ if env is None else env)
    for word in words:
        if _ASSIGN.match(word):
            key, _, value = word.partition("=")
            merged[key] = value
    shown = shlex.join(commands[0][:16])
    if merged.get(MARKETPLACE_VAR) != "1":
        return f"would run claude without {MARKETPLACE_VAR}=1: {shown}"
    try:
        check_offline_env(merged)
    except AssertionError as exc:
        return f"{exc}: {shown}"
    return None


@pytest.fixture(autouse=True)
def offline_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse, and fail the test for, any subprocess that would run claude not fully offline."""
    violations: list[str] = []
    real_init = subprocess.Popen.__init__

    def checked_init(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        problem = offline_violation(args, kwargs.get("env"))
        if problem is not None:
            violations.append(problem)
            raise AssertionError(problem)
        real_init(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", checked_init)
    yield violations
    # Also catches a refusal that the code under test caught and swallowed.
    if violations:
        pytest.fail("; ".join(violations))


@pytest.fixture
def fake_api() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def tmux_server() -> Iterator[PrivateTmux]:
    tmux = PrivateTmux()
    try:
        yield tmux.start()
    finally:
        tmux.kill()


@pytest.fixture
def claude_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    return project


@pytest.fixture
def app(
    request: pytest.FixtureRequest, tmp_path: Path, tmux_server: PrivateTmux
) -> Iterator[AppProcess]:
    """The app, headless, watching the private tmux server (a test file may define its own).

    A test file that sets `APP_READS_CLAUDE_HOME = True` gets an app that reads the
    throwaway HOME's transcripts: the app reads them only inside the user's Claude config
    dir.
    """
    env = None
    if getattr(request.module, "APP_READS_CLAUDE_HOME", False):
        claude_home: Path = request.getfixturevalue("claude_home")
        env = dict(os.environ, CLAUDE_CONFIG_DIR=str(claude_home / ".claude"))
    proc = AppProcess(tmp_path / "data", tmux_socket=tmux_server.socket_path, env=env)
    yield proc.start()
    proc.stop()


@pytest.fixture
def hook_recorder(tmp_path: Path) -> HookRecorder:
    return HookRecorder(tmp_path / "hook-calls")
