"""The tmux server killed and restarted: pane ids come back (%1 again) with another claude.

A card must never show the persona of the session that ran in that pane id before: the new
claude's card awaits identity until its own hook event names it, and the dead server's
cards end. Real claude CLI (offline, against the fake API), real private tmux server, the
real app headless, the hooks installed the way a person does.
"""

from __future__ import annotations

import os
import re
import signal
import uuid
from pathlib import Path
from typing import Any

import pytest

from desktop.paths import DataPaths
from tests.faults.conftest import stored_count, wait_until
from tests.support.app_process import AppProcess
from tests.support.claude_session import HookRecorder, start_claude
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.install import install_beside_recorder
from tests.support.private_tmux import PrivateTmux

pytestmark = pytest.mark.e2e

# Claude's prompt is up: its footer hint, or (with the status line the hooks install wraps)
# the agents hint in its place.
READY = re.compile(r"\? for shortcuts|← for agents")


def persona_of(app: AppProcess, pane_id: str) -> int | None:
    found = app.pane(pane_id)
    return found["persona"]["id"] if found and found["persona"] else None


def test_a_restarted_tmux_server_reusing_a_pane_id_never_shows_the_old_persona(
    tmp_path: Path,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
    hook_recorder: HookRecorder,
) -> None:
    app = AppProcess(tmp_path / "data", tmux_socket=tmux_server.socket_path)
    # Claude's own record of every hook call it made, beside ours: the count to compare.
    install_beside_recorder(hook_recorder, claude_home, app.data_dir, app.port)
    app.start()
    try:
        first_sid, second_sid = str(uuid.uuid4()), str(uuid.uuid4())
        first = start_claude(
            tmux_server,
            fake_api,
            claude_home,
            project_dir,
            args=["--session-id", first_sid],
            ready=READY,
        )
        first_pid = int(tmux_server.pane_info(first)["pane_pid"])
        wait_until(lambda: persona_of(app, first) is not None, "the first claude's persona")
        old = app.pane(first)
        assert old is not None and old["session_id"] == first_sid
        old_persona = old["persona"]["id"]

        # The laptop sleeps (the app is stopped) while the server is killed and a new one
        # starts a new claude in the same pane id; then the app wakes up to all of it at once.
        os.kill(app.proc.pid, signal.SIGSTOP)  # type: ignore[union-attr]
        try:
            tmux_server.restart()
            second = start_claude(
                tmux_server,
                fake_api,
                claude_home,
                project_dir,
                args=["--session-id", second_sid],
                ready=READY,
            )
        finally:
            os.kill(app.proc.pid, signal.SIGCONT)  # type: ignore[union-attr]
        assert second == first, "tmux gave the new claude the same pane id"
        second_pid = int(tmux_server.pane_info(second)["pane_pid"])
        assert second_pid != first_pid

        seen: list[dict[str, Any]] = []

        def new_persona_shown() -> bool:
            found = app.pane(second)
            if found is not None:
                seen.append(found)
            return bool(found and found["claude_pid"] == second_pid and found["persona"])

        wait_until(new_persona_shown, "the new claude's own persona")
        for snapshot in seen:
            if snapshot["claude_pid"] == second_pid and snapshot["persona"] is not None:
                assert snapshot["persona"]["id"] != old_persona, snapshot
                assert snapshot["session_id"] == second_sid, snapshot
        assert app.pane(second)["persona"]["id"] != old_persona  # type: ignore[index]

        # Restarted, the app binds the pane to the new claude from its stored binding.
        app.restart()
        wait_until(lambda: persona_of(app, second) is not None, "the binding after a restart")
        again = app.pane(second)
        assert again is not None and again["session_id"] == second_sid
        assert again["persona"]["id"] != old_persona

        # Killed for good: the dead server's card ends.
        tmux_server.kill_server()
        wait_until(
            lambda: (p := app.pane(second)) is not None and not p["alive"], "the card to end"
        )
        assert app.pane(second)["status"] == "ended"  # type: ignore[index]
        health = app.get("/api/health")
        assert health["tmux"]["ok"] is False and health["tmux"]["problem"]
        # Every hook call both claudes made is stored, once; none waits in the spool.
        database = DataPaths(app.data_dir).database
        wait_until(
            lambda: stored_count(database) == len(hook_recorder.calls()), "every event stored"
        )
        sessions = {c.session_id for c in hook_recorder.calls()}
        assert sessions == {first_sid, second_sid}
        assert app.get("/api/health")["spool"]["waiting"] == 0
    finally:
        app.stop()
