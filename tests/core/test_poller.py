"""The poller against a real private tmux server: finds Claude panes, never creates personas."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop.core.model import PaneState, PersonaInfo, Status
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.core.sessions import SessionTracker
from desktop.core.tmux.client import TmuxClient
from desktop.core.tmux.poller import PanePoller, PollResult, detect
from tests.support.private_tmux import PrivateTmux


@pytest.fixture
def tmux() -> Iterator[PrivateTmux]:
    server = PrivateTmux()
    try:
        yield server.start()
    finally:
        server.kill()


@pytest.fixture
def fake_claude(tmp_path: Path) -> Path:
    """A stand-in process whose name is `claude` (a copy of sleep), as tmux and /proc see it."""
    target = tmp_path / "bin" / "claude"
    target.parent.mkdir()
    shutil.copy(shutil.which("sleep") or "/bin/sleep", target)
    return target


def test_detects_claude_panes_by_name_and_by_process_tree(
    tmux: PrivateTmux, fake_claude: Path
) -> None:
    direct = tmux.new_window([str(fake_claude), "600"])
    # claude under a shell that is still the pane's foreground name: found via /proc.
    nested = tmux.new_window(["/bin/sh", "-c", f"{fake_claude} 600; true"])
    other = tmux.new_window(["sleep", "600"])
    result = detect(TmuxClient(str(tmux.socket_path)))
    assert result.problem is None
    found = {p.raw.pane_id: p for p in result.panes}
    assert set(found) == {direct, nested}
    assert other not in found
    for det in found.values():
        assert det.claude_pid is not None and det.claude_start_ticks is not None
        assert Path(f"/proc/{det.claude_pid}/exe").resolve() == fake_claude.resolve()
    assert found[direct].claude_pid == found[direct].raw.pane_pid


def test_missing_server_is_a_normal_state_with_a_sentence(tmp_path: Path) -> None:
    result = detect(TmuxClient(str(tmp_path / "nothing.sock")))
    assert result.panes == ()
    assert result.problem is not None and "no tmux server is running" in result.problem


def test_missing_tmux_binary_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = detect(TmuxClient(str(tmp_path / "x.sock")))
    assert result.problem is not None and "install" in result.problem


def test_poller_marks_panes_awaiting_then_ended_and_never_creates_personas(
    tmux: PrivateTmux,
    fake_claude: Path,
    tracker: SessionTracker,
    registry: PaneRegistry,
    personas: PersonaService,
) -> None:
    pane = tmux.new_window([str(fake_claude), "600"])
    results: list[PollResult] = []

    def on_result(result: PollResult) -> None:
        results.append(result)
        tracker.apply_poll(result)

    async def main() -> None:
        poller = PanePoller(TmuxClient(str(tmux.socket_path)), on_result, interval=60)
        await poller.poll_once()
        seen = registry.get(pane)
        assert seen is not None and seen.awaiting_identity and seen.alive
        assert seen.status is Status.UNKNOWN
        tmux.kill_pane(pane)
        await poller.poll_once()
        gone = registry.get(pane)
        assert gone is not None and not gone.alive and gone.status is Status.ENDED
        await poller.stop()

    asyncio.run(main())
    assert personas.all() == []
    assert len(results) == 2


def test_a_new_claude_process_in_the_same_pane_loses_the_old_identity(
    tmux: PrivateTmux, fake_claude: Path, tracker: SessionTracker, registry: PaneRegistry
) -> None:
    pane = tmux.new_window(["/bin/sh", "-c", f"{fake_claude} 600; exec {fake_claude} 600"])
    client = TmuxClient(str(tmux.socket_path))

    def poll_until(done: Callable[[PaneState | None], bool]) -> PaneState:
        # The shell starts its child a moment after tmux reports the pane: poll, don't race.
        for _ in range(250):
            tracker.apply_poll(detect(client))
            state = registry.get(pane)
            if done(state):
                assert state is not None
                return state
            time.sleep(0.02)
        raise AssertionError(f"pane {pane} never reached the expected state: {state!r}")

    first = poll_until(lambda p: p is not None and p.claude_pid is not None)
    persona = PersonaInfo(1, "s1", "Test", "seed", datetime.now(UTC))
    registry.update(pane, persona=persona, session_id="s1")
    assert first.claude_pid is not None
    os.kill(first.claude_pid, 9)  # the shell then execs a fresh claude in the same pane
    now = poll_until(lambda p: p is not None and p.claude_pid not in (None, first.claude_pid))
    assert now.awaiting_identity and now.session_id is None
