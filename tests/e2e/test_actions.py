"""Every pane action against real panes of a private tmux, with the real claude CLI offline.

The ActionService runs as in the app: on an asyncio loop, with the poller's tmux thread and
a registry the real poller fills. What arrived is read back with capture-pane (and, for
Claude, from the request the fake API received).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from desktop.core.actions import ActionError, ActionService, PermissionChoice
from desktop.core.model import PaneState, Status
from desktop.core.panes import PaneRegistry
from desktop.core.sessions import SessionTracker
from desktop.core.tmux.client import TmuxClient
from desktop.core.tmux.poller import PanePoller
from desktop.store.db import Database
from tests.support.claude_cli import CLAUDE_VERSION, claude_bin, offline_env, seed_home
from tests.support.claude_session import (
    PERMISSION_DIALOG,
    READY,
    WORKING,
    start_claude,
    verify_offline_process,
)
from tests.support.fake_anthropic import FakeAnthropic, typed_text
from tests.support.private_tmux import PrivateTmux
from tests.support.waiting import until, wait_until

pytestmark = pytest.mark.e2e

T = TypeVar("T")

AWKWARD = [
    "-n starts with a dash",
    "--help",
    "a; b; c;",
    ";",
    "ends with a backslash-semicolon \\;",
    "it's \"quoted\" and 'single' `back`",
    "Enter",
    "C-c",
    "Escape",
    "{braces} #{pane_id} $HOME ~ *",
    "unicode ✳ ⠂ é 😀",
]


@dataclass
class Board:
    """The core as the app wires it: registry, tracker, poller and the action service."""

    registry: PaneRegistry
    poller: PanePoller
    actions: ActionService

    async def pane(
        self, pane_id: str, check: Callable[[PaneState], bool] = lambda p: True, timeout: float = 10
    ) -> PaneState:
        deadline = time.monotonic() + timeout
        while True:
            pane = self.registry.get(pane_id)
            if pane is not None and check(pane):
                return pane
            if time.monotonic() > deadline:
                raise AssertionError(f"pane {pane_id} never matched; last: {pane}")
            await asyncio.sleep(0.05)


@asynccontextmanager
async def board(
    tmux: PrivateTmux, db_dir: Path, interval: float = 0.1, **action_options: Any
) -> AsyncIterator[Board]:
    db = Database(db_dir / "claude-rpg.sqlite3")
    registry = PaneRegistry()
    tracker = SessionTracker(db, registry)
    client = TmuxClient(str(tmux.socket_path))
    poller = PanePoller(client, tracker.apply_poll, interval=interval)
    actions = ActionService(
        client, registry, poller.run_on_tmux_thread, on_new_pane=poller.poke, **action_options
    )
    poller.start()
    try:
        yield Board(registry, poller, actions)
    finally:
        await poller.stop()
        db.close()


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture
def echo_claude(tmp_path: Path) -> list[str]:
    """A pane command the poller takes for Claude that shows exactly what it reads, in order.

    `cat` named like the native installer's claude binary (its version; a `claude` name would
    need the offline env), on a terminal without echo and line editing: each byte that
    arrives is printed once, as it arrives.
    """
    target = tmp_path / "bin" / CLAUDE_VERSION
    target.parent.mkdir()
    shutil.copy(shutil.which("cat") or "/bin/cat", target)
    return ["/bin/sh", "-c", f"stty -echo -icanon; exec {target}"]


def lines_of(tmux: PrivateTmux, pane: str) -> list[str]:
    return [line for line in tmux.capture(pane, history=True).splitlines() if line]


# --- send_prompt ---------------------------------------------------------------------------


def test_awkward_prompts_arrive_exactly_as_typed(
    tmux_server: PrivateTmux, echo_claude: list[str], tmp_path: Path
) -> None:
    pane = tmux_server.new_window(echo_claude)

    async def main() -> None:
        async with board(tmux_server, tmp_path) as b:
            await b.pane(pane)
            expected: list[str] = []
            for text in [*AWKWARD, "first line\nsecond -line;"]:
                await b.actions.send_prompt(pane, text)
                expected += text.split("\n")
                deadline = time.monotonic() + 5
                while lines_of(tmux_server, pane) != expected:
                    got = lines_of(tmux_server, pane)
                    assert time.monotonic() < deadline, (
                        "\n".join(f"{a!r} | {b!r}" for a, b in zip(got, expected, strict=False))
                        + f"\n{got[len(expected) :]} {expected[len(got) :]}"
                    )
                    await asyncio.sleep(0.02)

    run(main())


def test_prompts_reach_real_claude_verbatim(
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
    tmp_path: Path,
) -> None:
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir)
    prompts = [
        '-n starts with a dash; it\'s "quoted" and ends with;',
        "Enter",
        "two lines\n--second line",
    ]

    async def main() -> None:
        async with board(tmux_server, tmp_path) as b:
            await b.pane(pane)
            for n, text in enumerate(prompts, start=1):
                await b.actions.send_prompt(pane, text)
                await asyncio.to_thread(
                    tmux_server.wait_for, pane, rf"(?s)(● hello.*){{{n}}}.*{READY.pattern}"
                )
                got = [typed_text(r.body) for r in fake_api.messages("text")]
                assert got[-1] == text
            screen = tmux_server.capture(pane, history=True)
            assert f"❯ {prompts[0]}" in screen
            assert "❯ Enter" in screen

    run(main())


def test_a_prompt_is_refused_while_a_dialog_waits_and_for_bad_text(
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
    tmp_path: Path,
) -> None:
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir)
    tmux_server.send_text(pane, "BASH:touch x")
    tmux_server.wait_for(pane, "touch x")
    tmux_server.send_keys(pane, "Enter")
    tmux_server.wait_for(pane, PERMISSION_DIALOG)

    async def main() -> None:
        async with board(tmux_server, tmp_path) as b:
            await b.pane(pane, lambda p: p.status is Status.NEEDS_INPUT)
            with pytest.raises(ActionError, match="waiting for an answer"):
                await b.actions.send_prompt(pane, "1")
            with pytest.raises(ActionError, match="control characters"):
                await b.actions.send_prompt(pane, "stop\x1b")
            with pytest.raises(ActionError, match="empty"):
                await b.actions.send_prompt(pane, "  \n")

    run(main())
    # Nothing reached the dialog: it still waits, and the file was not created.
    assert PERMISSION_DIALOG.search(tmux_server.capture(pane))
    assert not (project_dir / "x").exists()


# --- interrupt and permission answers ------------------------------------------------------


def test_interrupt_stops_a_running_turn(
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
    tmp_path: Path,
) -> None:
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir)

    async def main() -> None:
        async with board(tmux_server, tmp_path) as b:
            await b.pane(pane)
            await b.actions.send_prompt(pane, "a long story SLOW6")
            # Once some text has streamed: an Esc before that puts the prompt back in the
            # input box instead of showing "Interrupted".
            await asyncio.to_thread(fake_api.wait_for_request, "slow")
            # The reply's first letters are on screen: its bullet starts a line.
            await asyncio.to_thread(tmux_server.wait_for, pane, r"(?m)^●")
            assert WORKING.search(tmux_server.capture(pane))
            await b.pane(pane, lambda p: p.status is Status.WORKING)
            await b.actions.interrupt(pane)
            await asyncio.to_thread(tmux_server.wait_for, pane, r"Interrupted")
            # No hooks here: the session file alone tells that the turn stopped.
            await b.pane(pane, lambda p: p.status is Status.IDLE)

    run(main())


@pytest.mark.parametrize(
    ("choice", "created"),
    [
        (PermissionChoice.ONCE, True),
        (PermissionChoice.ALWAYS, True),
        (PermissionChoice.DENY, False),
    ],
)
def test_answering_the_permission_dialog(
    choice: PermissionChoice,
    created: bool,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
    tmp_path: Path,
) -> None:
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir)
    target = project_dir / f"{choice.value}.txt"

    async def main() -> None:
        async with board(tmux_server, tmp_path) as b:
            await b.pane(pane)
            with pytest.raises(ActionError, match="No permission dialog is open"):
                await b.actions.answer_permission(pane, choice)
            await b.actions.send_prompt(pane, f"BASH:touch {target.name}")
            await asyncio.to_thread(tmux_server.wait_for, pane, PERMISSION_DIALOG)
            await b.pane(pane, lambda p: p.status is Status.NEEDS_INPUT)
            await b.actions.answer_permission(pane, choice)
            after = r"done:" if created else r"Interrupted"
            await asyncio.to_thread(tmux_server.wait_for, pane, after)
            await b.pane(pane, lambda p: p.status is Status.IDLE)

    run(main())
    assert target.exists() is created
    if choice is PermissionChoice.ALWAYS:
        # "always" means the next such change runs without a dialog.
        assert "accept edits on" in tmux_server.capture(pane)


# --- jump, capture -------------------------------------------------------------------------


def test_jump_switches_the_attached_terminal_to_the_pane(
    tmux_server: PrivateTmux, echo_claude: list[str], tmp_path: Path
) -> None:
    first = tmux_server.new_window(echo_claude)
    second = tmux_server.new_window(echo_claude)

    async def main() -> None:
        async with board(tmux_server, tmp_path) as b:
            await b.pane(first)
            await b.pane(second)
            with pytest.raises(ActionError, match=r"no terminal is attached.*tmux attach"):
                await b.actions.jump_to(second)
            # The pane was still selected, so the next attach lands on it.
            assert (
                tmux_server.run(
                    "display-message", "-p", "-t", second, "#{pane_active}#{window_active}"
                ).strip()
                == "11"
            )
            with PrivateTmux() as terminal:
                terminal.new_window(
                    ["tmux", "-S", str(tmux_server.socket_path), "attach"],
                    env=tmux_server.server_env,
                )
                deadline = time.monotonic() + 5
                while not tmux_server.run("list-clients", check=False).strip():
                    assert time.monotonic() < deadline, "the terminal never attached"
                    await asyncio.sleep(0.05)
                for pane in (first, second):
                    client_name = await b.actions.jump_to(pane)
                    shown = tmux_server.run(
                        "list-clients", "-F", "#{client_name} #{pane_id}"
                    ).split()
                    assert shown == [client_name, pane]

    run(main())


def test_capture_gives_the_screen_with_colours(
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    project_dir: Path,
    tmp_path: Path,
) -> None:
    pane = start_claude(tmux_server, fake_api, claude_home, project_dir)

    async def main() -> None:
        async with board(tmux_server, tmp_path) as b:
            await b.pane(pane)
            coloured = await b.actions.capture(pane)
            plain = await b.actions.capture(pane, ansi=False)
            assert "\x1b[" in coloured and "\x1b[" not in plain
            assert "Claude Code" in plain and "? for shortcuts" in plain

    run(main())


# --- new claude ----------------------------------------------------------------------------


def test_new_claude_starts_offline_in_the_chosen_folder(
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    claude_home: Path,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "chosen folder"
    folder.mkdir()
    seed_home(claude_home, [folder])
    env = offline_env(claude_home, fake_api.base_url)

    async def main() -> str:
        async with board(
            tmux_server, tmp_path, claude_command=(str(claude_bin()),), claude_env=env
        ) as b:
            with pytest.raises(ActionError, match="does not exist"):
                await b.actions.new_claude(tmp_path / "missing")
            pane_id = await b.actions.new_claude(folder)
            pane = await b.pane(pane_id, lambda p: p.cwd != "")
            assert pane.cwd == str(folder) and pane.target.startswith("harness:")
            return pane_id

    pane_id = run(main())
    tmux_server.wait_for(pane_id, READY, timeout=20)
    verify_offline_process(int(tmux_server.pane_info(pane_id)["pane_pid"]))


def test_new_claude_without_claude_installed_says_so(
    tmux_server: PrivateTmux, tmp_path: Path
) -> None:
    async def main() -> None:
        async with board(
            tmux_server, tmp_path, claude_command=("claude",), claude_env={"PATH": str(tmp_path)}
        ) as b:
            with pytest.raises(ActionError, match="Claude Code is not installed"):
                await b.actions.new_claude(tmp_path)

    run(main())
    assert len(tmux_server.list_panes()) == 1  # no window was opened


# --- failures: gone panes, another program, no tmux ----------------------------------------


def test_actions_on_a_gone_pane_or_a_stopped_server_fail_in_words(
    tmux_server: PrivateTmux, echo_claude: list[str], tmp_path: Path
) -> None:
    pane = tmux_server.new_window(echo_claude)
    other = tmux_server.new_window(echo_claude)

    async def main() -> None:
        async with board(tmux_server, tmp_path) as b:
            await b.pane(pane)
            await b.pane(other)
            tmux_server.kill_pane(pane)
            with pytest.raises(ActionError, match=r"is gone: it was closed\. Nothing was sent"):
                await b.actions.send_prompt(pane, "hello")
            with pytest.raises(ActionError, match="is gone"):
                await b.actions.interrupt(pane)
            tmux_server.run("kill-server")
            for action in (
                b.actions.send_prompt(other, "hello"),
                b.actions.jump_to(other),
                b.actions.capture(other),
            ):
                with pytest.raises(ActionError, match="tmux is not running: start tmux"):
                    await action
            with pytest.raises(ActionError, match="No Claude pane %999"):
                await b.actions.interrupt("%999")

    run(main())


def test_keys_never_go_to_a_program_that_replaced_claude(
    tmux_server: PrivateTmux, echo_claude: list[str], tmp_path: Path
) -> None:
    pane = tmux_server.new_window(echo_claude)
    witness = tmp_path / "typed-into-the-new-program"

    async def main() -> None:
        # One poll only: the card still shows the old process when the action runs.
        async with board(tmux_server, tmp_path, interval=3600) as b:
            shown = await b.pane(pane)
            tmux_server.run("respawn-pane", "-k", "-t", pane, f"cat > {witness}")
            await until(
                lambda: tmux_server.pane_info(pane)["pane_pid"] != str(shown.pane_pid),
                "the respawned pane's new process",
            )
            for action in (
                b.actions.send_prompt(pane, "rm -rf important"),
                b.actions.interrupt(pane),
                b.actions.answer_permission(pane, PermissionChoice.ONCE),
            ):
                with pytest.raises(ActionError, match="now runs another program"):
                    await action
            assert b.registry.get(pane) == shown

    run(main())
    tmux_server.send_keys(pane, "C-d")  # end the witness's input so its file is complete
    wait_until(lambda: pane not in tmux_server.list_panes(), "the witness's exit", timeout=5)
    assert witness.read_bytes() == b""
