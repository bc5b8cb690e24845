"""Acting on a Claude pane from its card or the tray: jump, prompt, interrupt, answer, preview.

Every method is a coroutine for the loop thread; the tmux work runs on the poller's one
tmux thread. A failure raises ActionError, whose message is a sentence for the person.
Keys are only sent after tmux confirms that the pane still runs the very process the card
shows, so nothing typed can land in another program.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Protocol, TypeVar

from desktop.core.model import PaneState, Status
from desktop.core.panes import PaneRegistry
from desktop.core.tmux.client import TmuxClient, TmuxError
from desktop.core.tmux.procs import read_proc
from desktop.core.tmux.screen import ScreenState, choose_option, input_echo_count, read_screen

log = logging.getLogger(__name__)

T = TypeVar("T")
_ALLOWED_CONTROL = {"\n", "\t"}


class TmuxRunner(Protocol):
    """Runs a blocking tmux call on the tmux thread (PanePoller.run_on_tmux_thread)."""

    def __call__(self, func: Callable[[], T]) -> Awaitable[T]: ...


class ActionError(Exception):
    """An action on a pane failed; str(error) says what happened and what to do."""


class PermissionChoice(StrEnum):
    """An answer to Claude's permission dialog."""

    ONCE = "once"
    ALWAYS = "always"
    DENY = "deny"


def _where(pane: PaneState) -> str:
    return f"pane {pane.target} ({pane.pane_id})"


def _tmux_sentence(error: TmuxError, pane: PaneState | None = None) -> str:
    text = str(error)
    gone = ("no server running", "error connecting", "No such file", "server exited", "lost server")
    if any(words in text for words in gone):
        return "tmux is not running: start tmux (or check the --tmux-socket option) and retry."
    if "can't find" in text and pane is not None:
        return f"{_where(pane)} is gone: it was closed. Nothing was sent."
    return f"tmux refused: {text}."


class ActionService:
    """The pane actions the UI offers, as a plain async API."""

    def __init__(
        self,
        client: TmuxClient,
        registry: PaneRegistry,
        run: TmuxRunner,
        proc_root: str = "/proc",
        claude_command: Sequence[str] = ("claude",),
        claude_env: Mapping[str, str] | None = None,
        on_new_pane: Callable[[], None] | None = None,
        echo_timeout: float = 2.0,
    ) -> None:
        self.client = client
        self.registry = registry
        self.run = run
        self.proc_root = proc_root
        self.claude_command = tuple(claude_command)
        self.claude_env = dict(claude_env or {})
        self.on_new_pane = on_new_pane
        self.echo_timeout = echo_timeout

    # --- the checks every action makes -----------------------------------------------------

    def _known(self, pane_id: str) -> PaneState:
        pane = self.registry.get(pane_id)
        if pane is None:
            raise ActionError(f"No Claude pane {pane_id} is on the board any more; it closed.")
        return pane

    def _verify(self, pane: PaneState, need_claude: bool = True) -> None:
        """On the tmux thread: the pane is still there and still runs the Claude we show."""
        try:
            facts = self.client.pane_facts(pane.pane_id)
        except TmuxError as e:
            raise ActionError(_tmux_sentence(e, pane)) from e
        if facts is None:
            raise ActionError(f"{_where(pane)} is gone: it was closed. Nothing was sent.")
        if pane.pane_pid is not None and facts.pane_pid != pane.pane_pid:
            raise ActionError(
                f"{_where(pane)} now runs another program than the Claude on its card; "
                "nothing was sent. Wait a second for the board to catch up."
            )
        if not need_claude:
            return
        if facts.dead or not pane.alive:
            raise ActionError(f"Claude in {_where(pane)} has exited; nothing was sent.")
        if pane.claude_pid is not None:
            proc = read_proc(pane.claude_pid, self.proc_root)
            if proc is None or (
                pane.claude_start_ticks is not None and proc.start_ticks != pane.claude_start_ticks
            ):
                raise ActionError(f"Claude in {_where(pane)} has exited; nothing was sent.")

    async def _call(self, pane: PaneState, func: Callable[[], T]) -> T:
        try:
            return await self.run(func)
        except TmuxError as e:
            raise ActionError(_tmux_sentence(e, pane)) from e

    # --- actions ---------------------------------------------------------------------------

    async def jump_to(self, pane_id: str) -> str:
        """Select the pane's window and pane, and show it in the attached terminal.

        Returns the name of the terminal (tmux client) that now shows it.
        """
        pane = self._known(pane_id)

        def work() -> str:
            self._verify(pane, need_claude=False)
            self.client.select_pane(pane.pane_id)
            clients = self.client.clients()
            if not clients:
                session = pane.target.split(":")[0]
                raise ActionError(
                    f"{_where(pane)} is selected, but no terminal is attached to tmux; "
                    f"run `tmux attach -t {session}` in a terminal to see it."
                )
            self.client.switch_client(clients[0].name, pane.pane_id)
            return clients[0].name

        return await self._call(pane, work)

    async def send_prompt(self, pane_id: str, text: str) -> None:
        """Type `text` into Claude's prompt exactly as given, then press Enter."""
        text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
        if not text.strip():
            raise ActionError("The prompt is empty; type something first. Nothing was sent.")
        bad = sorted({c for c in text if (ord(c) < 32 or ord(c) == 127)} - _ALLOWED_CONTROL)
        if bad:
            raise ActionError(
                "The prompt contains control characters that Claude would take as keys "
                f"({', '.join(repr(c) for c in bad)}); remove them and send again."
            )
        pane = self._known(pane_id)
        if pane.status is Status.NEEDS_INPUT:
            asked = pane.status_detail or "a dialog"
            raise ActionError(
                f"Claude in {_where(pane)} is waiting for an answer ({asked}); answer it or "
                "interrupt before sending a prompt. Nothing was sent."
            )
        needle = "".join(text.split())[-24:]

        def type_text() -> int:
            self._verify(pane)
            before = input_echo_count(self.client.capture(pane.pane_id), needle)
            self.client.send_literal(pane.pane_id, text)
            return before

        before = await self._call(pane, type_text)
        # Claude takes an Enter that arrives with the text as part of a paste (a newline):
        # wait until the text shows before pressing it.
        deadline = asyncio.get_running_loop().time() + self.echo_timeout
        while asyncio.get_running_loop().time() < deadline:
            screen = await self._call(pane, lambda: self.client.capture(pane.pane_id))
            if input_echo_count(screen, needle) > before:
                break
            await asyncio.sleep(0.02)
        else:
            log.warning("prompt text never showed in %s; pressing Enter anyway", pane.pane_id)

        def press_enter() -> None:
            self._verify(pane)
            self.client.send_keys(pane.pane_id, "Enter")

        await self._call(pane, press_enter)

    async def interrupt(self, pane_id: str) -> None:
        """Press Escape in Claude: stops the running turn (or closes a dialog)."""
        pane = self._known(pane_id)

        def work() -> None:
            self._verify(pane)
            self.client.send_keys(pane.pane_id, "Escape")

        await self._call(pane, work)

    async def answer_permission(self, pane_id: str, choice: PermissionChoice | str) -> None:
        """Answer the permission dialog on screen: approve once, approve always, or deny."""
        answer = PermissionChoice(choice)
        pane = self._known(pane_id)

        def work() -> None:
            self._verify(pane)
            reading = read_screen(self.client.capture(pane.pane_id))
            if reading.state is not ScreenState.WAITING:
                raise ActionError(
                    f"No permission dialog is open in {_where(pane)} (it may have been "
                    "answered already); nothing was sent."
                )
            key = choose_option(reading, answer.value)
            if key is None and answer is PermissionChoice.DENY:
                key = "Escape"  # every dialog closes with Esc, which denies
            if key is None:
                raise ActionError(
                    f"The dialog in {_where(pane)} offers no '{answer.value}' choice; "
                    "approve once or deny instead. Nothing was sent."
                )
            self.client.send_keys(pane.pane_id, key)

        await self._call(pane, work)

    async def capture(self, pane_id: str, ansi: bool = True, history: int = 0) -> str:
        """The pane's screen (plus `history` lines of scrollback), with colours as ANSI codes."""
        pane = self._known(pane_id)

        def work() -> str:
            self._verify(pane, need_claude=False)
            return self.client.capture(pane.pane_id, ansi=ansi, history=history)

        return await self._call(pane, work)

    async def new_claude(self, folder: str | os.PathLike[str]) -> str:
        """Start Claude in a new tmux window in `folder`; returns the new pane's id."""
        path = Path(folder).expanduser()
        if not path.is_dir():
            raise ActionError(f"The folder {path} does not exist; choose an existing folder.")
        program = self.claude_command[0]
        found = shutil.which(program, path=self.claude_env.get("PATH"))
        if found is None:
            raise ActionError(
                f"Claude Code is not installed here (no `{program}` on PATH); install it "
                "(npm install -g @anthropic-ai/claude-code) and try again."
            )
        # The tmux server may have another PATH than the app: hand it the program itself.
        command = (found, *self.claude_command[1:])

        def work() -> str:
            sessions = self.client.sessions()
            clients = self.client.clients()
            session = clients[0].session_name if clients else (sessions[0] if sessions else None)
            return self.client.new_window(str(path.resolve()), command, self.claude_env, session)

        try:
            pane_id = await self.run(work)
        except TmuxError as e:
            raise ActionError(
                f"tmux could not open a window for Claude in {path}: {e}. "
                "Check that tmux works (run `tmux` in a terminal)."
            ) from e
        if self.on_new_pane is not None:
            self.on_new_pane()
        return pane_id
