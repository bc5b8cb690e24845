"""Fault tests: each injects a real fault (a damaged file, a full disk, a killed tmux server).

Events go in through the installed hook script, the way Claude Code runs it, and are
counted in the database at the end: every test ends with as many stored events as it sent.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from desktop.core.hooks.command import write_script
from desktop.paths import DataPaths
from tests.support.app_process import REPO, AppProcess

OFFSCREEN_NOISE = r"This plugin does not support (propagateSizeHints|raise)\(\)"


def stored_count(database: Path) -> int:
    """How many hook events the database holds (read-only, as a second process would)."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM hook_event").fetchone()[0])
    finally:
        conn.close()


def stored_keys(database: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT dedupe_key FROM hook_event")}
    finally:
        conn.close()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)


def hooked_app(data_dir: Path, tmux_socket: Path) -> AppProcess:
    """A headless app with the hook script written for its port (as `hooks install` does)."""
    app = AppProcess(data_dir, tmux_socket=tmux_socket)
    write_script(DataPaths(data_dir), app.port)
    return app


def claude_rpg(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run the real command line (`python -m desktop ...`)."""
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# The real-CLI fixtures of the end-to-end tests (the offline guard is autouse there too).
from tests.e2e.conftest import (  # noqa: E402, F401
    claude_home,
    fake_api,
    hook_recorder,
    offline_guard,
    project_dir,
    tmux_server,
)
