"""The status-line snippet with the real claude CLI: the user's own line is shown unchanged,
the app keeps what Claude sent, and uninstall gives the user's statusLine back exactly."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from desktop.core.usage import statusline
from desktop.paths import DataPaths
from tests.support.app_process import REPO, AppProcess
from tests.support.claude_cli import write_settings
from tests.support.claude_session import start_claude, type_prompt
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.install import install_hooks
from tests.support.private_tmux import PrivateTmux

pytestmark = pytest.mark.e2e

# The user's own status line: a digest of the very bytes it was given.
THEIRS = {
    "type": "command",
    "command": "printf 'MYLINE-%s' \"$(sha256sum | cut -c1-12)\"",
    "padding": 0,
}
SHOWN = re.compile(r"MYLINE-([0-9a-f]{12})")
APP_READS_CLAUDE_HOME = True  # the app fixture (conftest) reads the test HOME's transcripts


def test_their_status_line_shows_unchanged_and_uninstall_restores_it(
    app: AppProcess,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
) -> None:
    settings = write_settings(claude_home, {"statusLine": THEIRS})
    original = json.loads(settings.read_text())
    install_hooks(claude_home, app.data_dir, app.port)
    assert statusline.is_ours(json.loads(settings.read_text())["statusLine"])
    sid = str(uuid.uuid4())
    pane = start_claude(
        tmux_server, fake_api, claude_home, project_dir, args=["--session-id", sid], ready=SHOWN
    )
    type_prompt(tmux_server, pane, "first prompt")
    app.wait_for(
        "/api/personas",
        lambda ps: any(p["session_id"] == sid and p["xp"] > 0 for p in ps),
        timeout=30,
    )
    folder = statusline.status_dir(DataPaths(app.data_dir))
    # What their command printed (on Claude's screen) is the digest of what we kept: their
    # command read the very bytes Claude sent, and Claude shows its output unchanged.
    deadline = time.monotonic() + 15
    while True:
        kept = {hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in folder.glob(f"{sid}.*")}
        shown = set(SHOWN.findall(tmux_server.capture(pane)))
        if shown and shown <= kept:
            break
        assert time.monotonic() < deadline, f"screen shows {shown}, kept {kept}"
        time.sleep(0.1)
    # One file for the session however often the status line ran, no temp file left.
    assert sorted(p.name for p in folder.iterdir() if sid in p.name) == [f"{sid}.json"]
    data = json.loads((folder / f"{sid}.json").read_text())
    assert (data["session_id"], data["model"]["id"]) == (sid, "claude-opus-4-8[1m]")
    # The fake API is no Pro/Max plan: no rate limits, and the API says so.
    assert "rate_limits" not in data
    assert app.get("/api/limits") == {"five_hour": None, "seven_day": None}

    # Uninstalled: the user's statusLine is back exactly as it was.
    subprocess.run(
        [sys.executable, "-m", "desktop", "hooks", "uninstall", "--settings", str(settings)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    assert json.loads(settings.read_text()) == original
