"""Status scenarios with the real claude CLI in a private tmux, read back through /api/panes.

Each step drives the real CLI (offline, against the fake API) and waits for the state the
app reports. Where Claude fires no hook (Esc, a denied dialog) the test also checks that no
event reached the app, so the state can only have come from the status fusion.
"""

from __future__ import annotations

import json
import shlex
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.app_process import AppProcess
from tests.support.claude_cli import claude_bin, offline_env, seed_home
from tests.support.claude_session import PERMISSION_DIALOG, READY, start_claude, type_prompt
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.install import install_hooks as install
from tests.support.private_tmux import PrivateTmux

pytestmark = pytest.mark.e2e

Pane = dict[str, Any]


@dataclass
class Rig:
    """The app (headless, hooks installed in a throwaway HOME), tmux, and the fake API."""

    app: AppProcess
    tmux: PrivateTmux
    fake: FakeAnthropic
    home: Path
    project: Path

    def start(self, *args: str) -> str:
        return start_claude(self.tmux, self.fake, self.home, self.project, args=list(args))

    def pane(self, pane_id: str) -> Pane | None:
        return self.app.pane(pane_id)

    def wait(self, pane_id: str, check: Callable[[Pane], bool], timeout: float = 15.0) -> Pane:
        return self.app.wait_for_pane(pane_id, check, timeout)

    def wait_status(self, pane_id: str, status: str, timeout: float = 15.0) -> Pane:
        return self.wait(pane_id, lambda p: p["status"] == status, timeout)

    def events(self) -> int:
        return int(self.app.get("/api/health")["events_accepted"])

    def polls(self) -> int:
        return int(self.app.get("/api/health")["tmux"]["polls"])


def install_hooks(app: AppProcess, home: Path) -> None:
    install(home, app.data_dir, app.port)


@pytest.fixture
def rig(
    tmp_path: Path,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
) -> Iterator[Rig]:
    app = AppProcess(tmp_path / "data", tmux_socket=tmux_server.socket_path).start()
    try:
        install_hooks(app, claude_home)
        yield Rig(app, tmux_server, fake_api, claude_home, project_dir)
    finally:
        app.stop()


def test_a_prompt_is_working_then_idle(rig: Rig) -> None:
    sid = str(uuid.uuid4())
    pane = rig.start("--session-id", sid)
    # The session file can say idle before the SessionStart hook is stored (a busy
    # machine): wait for both; the identity is what this step checks.
    idle = rig.wait(pane, lambda p: p["status"] == "idle" and p["session_id"] == sid)
    assert not idle["awaiting_identity"] and idle["persona"] is not None
    type_prompt(rig.tmux, pane, "say hi SLOW3")
    working = rig.wait_status(pane, "working")
    assert working["status_detail"] == "say hi SLOW3"
    done = rig.wait_status(pane, "idle")
    assert done["status_detail"] == "hello" and done["last_event"] in ("Stop", "MessageDisplay")


def test_an_allowed_tool_is_working_then_idle(rig: Rig) -> None:
    pane = rig.start()
    rig.wait_status(pane, "idle")
    type_prompt(rig.tmux, pane, "BASH:echo tool-ran")
    done = rig.wait(pane, lambda p: p["status"] == "idle" and "done" in p["status_detail"])
    assert "tool-ran" in done["status_detail"]
    assert rig.fake.messages("after_tool")


def test_permission_dialog_approved_then_another_denied_with_esc(rig: Rig) -> None:
    pane = rig.start()
    rig.wait_status(pane, "idle")

    type_prompt(rig.tmux, pane, "BASH:touch approved.txt")
    rig.tmux.wait_for(pane, PERMISSION_DIALOG)
    asked = rig.wait_status(pane, "needs_input", timeout=5)
    assert asked["status_detail"] == "permission: Bash: touch approved.txt"
    rig.tmux.send_keys(pane, "1")
    rig.wait(pane, lambda p: p["status"] == "idle" and "done" in p["status_detail"])
    assert (rig.project / "approved.txt").exists()

    type_prompt(rig.tmux, pane, "BASH:touch denied.txt")
    rig.tmux.wait_for(pane, PERMISSION_DIALOG)
    rig.wait_status(pane, "needs_input", timeout=5)
    events_at_dialog = rig.events()
    rig.tmux.send_keys(pane, "Escape")
    denied = rig.wait_status(pane, "idle", timeout=5)
    assert denied["status_detail"] == "interrupted"
    assert rig.events() == events_at_dialog  # no hook fired: the fusion saw it
    assert not (rig.project / "denied.txt").exists()


def test_esc_while_streaming_is_idle_without_any_hook(rig: Rig) -> None:
    pane = rig.start()
    rig.wait_status(pane, "idle")
    type_prompt(rig.tmux, pane, "tell a story SLOW8")
    rig.tmux.wait_for(pane, r"esc to interrupt")
    rig.wait_status(pane, "working")
    events_while_working = rig.events()
    rig.tmux.send_keys(pane, "Escape")
    stopped = rig.wait_status(pane, "idle", timeout=5)
    assert stopped["status_detail"] == "interrupted"
    assert rig.events() == events_while_working


def test_an_api_error_is_error_with_its_kind(rig: Rig) -> None:
    pane = rig.start()
    rig.wait_status(pane, "idle")
    type_prompt(rig.tmux, pane, "please ERROR429")
    failed = rig.wait_status(pane, "error")
    assert failed["status_detail"] == "rate_limit"
    # Claude's session file says idle a moment later: the error stays on the card anyway.
    pid = int(rig.tmux.pane_info(pane)["pane_pid"])
    session_file = rig.home / ".claude" / "sessions" / f"{pid}.json"
    deadline = time.monotonic() + 5
    while json.loads(session_file.read_text()).get("status") != "idle":
        assert time.monotonic() < deadline, session_file.read_text()
        time.sleep(0.05)
    seen = []
    polls = rig.polls()
    for n in range(1, 6):  # the status after each of the app's next five tmux polls
        rig.app.wait_for("/api/health", lambda h, n=n: h["tmux"]["polls"] >= polls + n)
        seen.append((rig.pane(pane) or {}).get("status"))
    assert seen == ["error"] * 5
    type_prompt(rig.tmux, pane, "again")
    rig.wait(pane, lambda p: p["status"] == "idle" and p["status_detail"] == "hello")


def test_compact_keeps_the_session_and_ends_idle(rig: Rig) -> None:
    sid = str(uuid.uuid4())
    pane = rig.start("--session-id", sid)
    rig.wait_status(pane, "idle")
    # Claude refuses to compact a conversation of one turn.
    for n in range(1, 4):
        type_prompt(rig.tmux, pane, f"say hi {n}")
        rig.tmux.wait_for(pane, rf"(?s)(● hello.*){{{n}}}.*(?:{READY.pattern})")
    type_prompt(rig.tmux, pane, "/compact")
    rig.fake.wait_for_request("compact")
    done = rig.wait(pane, lambda p: p["last_event"] == "PostCompact")
    assert done["status"] == "idle" and done["session_id"] == sid
    assert [p["session_id"] for p in rig.app.get("/api/personas")] == [sid]


def test_clear_continues_the_persona_with_a_linked_session_id(rig: Rig) -> None:
    sid = str(uuid.uuid4())
    pane = rig.start("--session-id", sid)
    before = rig.wait(pane, lambda p: p["persona"] is not None and p["status"] == "idle")
    type_prompt(rig.tmux, pane, "/clear")
    after = rig.wait(pane, lambda p: p["session_id"] not in (None, sid))
    assert after["persona"]["id"] == before["persona"]["id"]
    assert after["status"] == "idle"
    persona = rig.app.get(f"/api/personas/{before['persona']['id']}")
    assert persona["session_ids"] == [sid, after["session_id"]]
    assert len(rig.app.get("/api/personas")) == 1


def test_exit_and_kill_pane_are_ended(rig: Rig) -> None:
    exiting = rig.start()
    killed = rig.start()
    for pane in (exiting, killed):
        rig.wait_status(pane, "idle")
    type_prompt(rig.tmux, exiting, "/exit")
    gone = rig.wait_status(exiting, "ended")
    rig.tmux.kill_pane(killed)
    dead = rig.wait(killed, lambda p: not p["alive"])
    assert dead["status"] == "ended"
    # /exit: the SessionEnd hook, then the process goes; either way the card says ended.
    final = rig.wait(exiting, lambda p: not p["alive"])
    assert final["status"] == "ended" and gone["status"] == "ended"


def test_without_hooks_a_claude_already_running_gets_its_status_from_its_session_file(
    tmp_path: Path, tmux_server: PrivateTmux, fake_api: FakeAnthropic, project_dir: Path
) -> None:
    # No hooks installed (as in a folder whose trust dialog held them back), and Claude
    # started before the app: only the poller's readings can tell its state.
    bare_home = tmp_path / "bare-home"
    bare_home.mkdir()
    pane = start_claude(tmux_server, fake_api, bare_home, project_dir)
    type_prompt(tmux_server, pane, "BASH:touch nohook.txt")
    tmux_server.wait_for(pane, PERMISSION_DIALOG)
    app = AppProcess(tmp_path / "data", tmux_socket=tmux_server.socket_path).start()
    try:
        rig = Rig(app, tmux_server, fake_api, bare_home, project_dir)
        asked = rig.wait_status(pane, "needs_input")
        assert asked["status_detail"] == "permission prompt"
        assert asked["awaiting_identity"] and app.get("/api/personas") == []
        tmux_server.send_keys(pane, "1")
        rig.wait(pane, lambda p: p["status"] == "idle")
        type_prompt(tmux_server, pane, "a story SLOW3")
        rig.wait_status(pane, "working")
        rig.wait_status(pane, "idle")
        assert rig.events() == 0 and app.get("/api/personas") == []
    finally:
        app.stop()


def test_continue_keeps_the_persona_and_a_fresh_claude_in_the_same_pane_is_new(
    rig: Rig,
) -> None:
    sid = str(uuid.uuid4())
    seed_home(rig.home, [rig.project])
    claude = shlex.quote(str(claude_bin()))
    # One pane, three claude processes one after the other.
    script = f"{claude} --session-id {sid}; {claude} --continue; exec {claude}"
    pane = rig.tmux.new_window(
        ["/bin/sh", "-c", script],
        cwd=rig.project,
        env=offline_env(rig.home, rig.fake.base_url),
    )
    rig.tmux.wait_for(pane, READY, timeout=20)
    first = rig.wait(pane, lambda p: p["session_id"] == sid and p["status"] == "idle")
    type_prompt(rig.tmux, pane, "say hi")
    rig.wait(pane, lambda p: p["status_detail"] == "hello")
    type_prompt(rig.tmux, pane, "/exit")

    # --continue resumes the same session id: the same persona, back on the same pane.
    resumed = rig.wait(
        pane, lambda p: p["last_event"] == "SessionStart" and p["status"] == "idle" and p["alive"]
    )
    assert resumed["session_id"] == sid
    assert resumed["persona"]["id"] == first["persona"]["id"]
    rig.tmux.wait_for(pane, READY, timeout=20)
    type_prompt(rig.tmux, pane, "/exit")

    # A fresh claude after an exit: a new session, a new persona.
    fresh = rig.wait(pane, lambda p: p["session_id"] not in (None, sid) and p["persona"])
    assert fresh["persona"]["id"] != first["persona"]["id"]
    assert len(rig.app.get("/api/personas")) == 2
