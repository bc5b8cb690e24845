"""A Claude Code release the app has not seen: events and fields kept, its screen not trusted.

The release is real to the app: a process named after it (as the native installer names
Claude's binary) in a private tmux pane, showing a screen the 2.1.197 patterns would read;
a `claude` on PATH that prints the new version for doctor; hook events of a kind and with
fields 2.1.197 never sent, through the installed hook script into the running app.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.core.tmux.client import TmuxClient
from desktop.core.tmux.poller import DetectContext, detect
from desktop.core.tmux.screen import ScreenState, read_screen, trusted_version
from desktop.doctor import Level, check_claude
from desktop.paths import DataPaths
from tests.core.test_spool import run_hook
from tests.faults.conftest import hooked_app, stored_count, wait_until
from tests.support.app_process import free_port
from tests.support.claude_cli import OFFLINE_VARS
from tests.support.private_tmux import PrivateTmux

SCREENS = Path(__file__).parents[1] / "fixtures" / "screens" / "claude-code-2.1.197"


@pytest.fixture
def tmux() -> Iterator[PrivateTmux]:
    with PrivateTmux() as server:
        yield server


def shown_by(tmux: PrivateTmux, tmp_path: Path, release: str, screen: str) -> str:
    """A pane whose process is named `release` and whose screen is a recorded one."""
    binary = tmp_path / release / release
    binary.parent.mkdir(exist_ok=True)
    shutil.copy(shutil.which("sleep") or "/bin/sleep", binary)
    # The banner would name 2.1.197: only the bottom of the screen (what is read) is shown.
    text = tmp_path / f"{release}-{screen}.txt"
    text.write_text("\n".join((SCREENS / f"{screen}.txt").read_text().splitlines()[-12:]) + "\n")
    pane = tmux.new_window(["/bin/sh", "-c", f"cat {text}; exec {binary} 600"])
    tmux.wait_for(pane, r"Do you want to proceed\?" if screen == "permission" else r"❯")
    return pane


def test_the_screen_of_an_unseen_release_is_not_read_for_status(
    tmux: PrivateTmux, tmp_path: Path
) -> None:
    seen = shown_by(tmux, tmp_path, "2.1.197", "permission")
    unseen = shown_by(tmux, tmp_path, "2.2.0", "permission")
    client = TmuxClient(str(tmux.socket_path))
    context = DetectContext(fallback_claude_dir=tmp_path / "none")
    detect(client, context=context)  # the first tick lists; the second reads the screens
    by_id = {p.raw.pane_id: p for p in detect(client, context=context).panes}
    known, new = by_id[seen].screen, by_id[unseen].screen
    assert known is not None and known.state is ScreenState.WAITING
    assert new is not None and new.state is ScreenState.UNKNOWN and not new.options
    # Read from the banner alone, the same: a release no pattern set was recorded on.
    banner = (SCREENS / "idle.txt").read_text()
    assert read_screen(banner).state is ScreenState.IDLE
    assert read_screen(banner.replace("v2.1.197", "v2.1.198")).state is ScreenState.UNKNOWN
    assert trusted_version("") and trusted_version("2.1.197") and not trusted_version("3.0.0")


def test_doctor_says_the_release_is_untested(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    claude = bindir / "claude"
    claude.write_text("#!/bin/sh\necho '2.2.0 (Claude Code)'\n")
    claude.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    for key, value in OFFLINE_VARS.items():
        monkeypatch.setenv(key, value)  # the suite's guard: no claude runs without them
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{free_port()}")
    finding = check_claude()
    assert finding.level is Level.WARN
    assert finding.message.startswith(f"Claude Code 2.2.0 at {claude} is untested")
    assert "tested with 2.1.197" in finding.message
    assert "screen is not read for status" in finding.message


def test_unknown_events_and_fields_are_stored_not_rejected(tmp_path: Path) -> None:
    data = tmp_path / "data"
    paths = DataPaths(data)
    app = hooked_app(data, tmp_path / "no-tmux.sock").start()
    sent = [
        {
            "hook_arg": "SessionStart",
            "payload": {
                "session_id": "f0e1d2c3-0000-4000-8000-000000000001",
                "hook_event_name": "SessionStart",
                "source": "startup",
                "agent_mood": {"new": ["field", 3]},
            },
        },
        {
            "hook_arg": "TeamMateJoined",
            "payload": {
                "session_id": "f0e1d2c3-0000-4000-8000-000000000001",
                "hook_event_name": "TeamMateJoined",
                "mate": "reviewer",
            },
        },
    ]
    try:
        for event in sent:
            run_hook(paths, event)
        wait_until(lambda: stored_count(paths.database) == len(sent), "both events stored")
    finally:
        app.stop()
    conn = sqlite3.connect(paths.database)
    try:
        rows = conn.execute("SELECT event_name, session_id FROM hook_event ORDER BY id").fetchall()
    finally:
        conn.close()
    # The log keeps a compact record of what the app uses (no payload): an unknown kind of
    # event and unknown fields are stored, never rejected.
    assert rows == [(e["payload"]["hook_event_name"], e["payload"]["session_id"]) for e in sent]
