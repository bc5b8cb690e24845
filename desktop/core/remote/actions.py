"""Actions on a remote pane: the desktop asks over ssh, the remote acts with its own checks.

The desktop runs `ssh TARGET claude-rpg remote act ACTION PANE [--claude-pid PID]` on the
host's multiplexed connection (a prompt's text goes on stdin, never in a command line). On
the remote, `remote act` builds the same ActionService the local cards use over that host's
tmux and the pane as the host's own app shows it: the pane must still run that Claude
process (and the one the desktop's card shows, when it passes --claude-pid), or nothing is
sent. Answers and refusals come back as one line of text.
"""

from __future__ import annotations

import asyncio
import shlex
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from desktop.core.actions import ActionError, ActionService, PermissionChoice
from desktop.core.panes import PaneRegistry
from desktop.core.remote.feed import read_panes
from desktop.core.remote.hosts import HostConfig
from desktop.core.remote.panes import pane_from_json
from desktop.core.remote.ssh import fault, ssh_argv
from desktop.core.tmux.client import TmuxClient
from desktop.paths import DataPaths

ACT_TIMEOUT_S = 30.0
# The remote's exit status for a refusal it explained (anything else is the link's fault).
REFUSED = 3


class RemoteAction(StrEnum):
    """What the desktop can do to a remote pane."""

    SEND = "send"
    INTERRUPT = "interrupt"
    ANSWER = "answer"
    PREVIEW = "preview"
    JUMP = "jump"


# --- the remote side -----------------------------------------------------------------------


async def _on_thread(func: Any) -> Any:
    return await asyncio.to_thread(func)


async def act_here(
    paths: DataPaths,
    port: int,
    tmux_socket: str | None,
    action: RemoteAction,
    pane_id: str,
    claude_pid: int | None = None,
    text: str = "",
    choice: str = "once",
) -> str:
    """Run one action on this host's pane; answer what to print; ActionError when refused."""
    panes, problem = read_panes(paths, port)
    if problem is not None:
        raise ActionError(f"{problem}. Nothing was sent.")
    found = next((p for p in panes if p.get("pane_id") == pane_id), None)
    if found is None:
        raise ActionError(f"No Claude pane {pane_id} is on this host's board; it closed.")
    pane = pane_from_json(found)
    if claude_pid is not None and pane.claude_pid != claude_pid:
        raise ActionError(
            f"pane {pane.target} ({pane_id}) now runs another Claude than the card shows; "
            "nothing was sent. Wait a second for the board to catch up."
        )
    registry = PaneRegistry()
    registry.put(pane)
    client = TmuxClient(tmux_socket)
    service = ActionService(client, registry, _on_thread)
    if action is RemoteAction.SEND:
        await service.send_prompt(pane_id, text)
        return ""
    if action is RemoteAction.INTERRUPT:
        await service.interrupt(pane_id)
        return ""
    if action is RemoteAction.ANSWER:
        await service.answer_permission(pane_id, PermissionChoice(choice))
        return ""
    if action is RemoteAction.PREVIEW:
        return await service.capture(pane_id, ansi=False)
    # Jump: what to run in a terminal there; the desktop puts `ssh -t TARGET` in front.
    session = pane.target.split(":")[0]
    tmux = ["tmux", *(["-S", tmux_socket] if tmux_socket else [])]
    return shlex.join(
        [*tmux, "attach", "-t", session, ";", "select-window", "-t", pane_id, ";",
         "select-pane", "-t", pane_id]
    )  # fmt: skip


# --- the desktop side ----------------------------------------------------------------------


@dataclass(frozen=True)
class ActionReply:
    """What a remote action printed (a preview's screen, a jump command)."""

    output: str


async def act_remote(
    host: HostConfig,
    controls: Path,
    action: RemoteAction,
    pane_id: str,
    claude_pid: int | None = None,
    text: str = "",
    choice: str = "once",
    timeout: float = ACT_TIMEOUT_S,
) -> ActionReply:
    """Ask `host` to act on its pane; ActionError with a sentence when it did not."""
    remote = [*host.remote_argv(), "remote", "act", action.value, pane_id]
    if claude_pid is not None:
        remote += ["--claude-pid", str(claude_pid)]
    if action is RemoteAction.ANSWER:
        remote += ["--choice", PermissionChoice(choice).value]
    try:
        proc = await asyncio.create_subprocess_exec(
            *ssh_argv(host, controls, remote),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as e:
        raise ActionError(f"{host.name}: cannot run ssh ({e}); nothing was sent.") from e
    try:
        out, err = await asyncio.wait_for(proc.communicate(text.encode()), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise ActionError(
            f"{host.name} did not answer within {timeout:.0f} s; the action may not have happened."
        ) from None
    message = err.decode(errors="replace").strip()
    if proc.returncode == REFUSED:
        raise ActionError(message or f"{host.name} refused the action; nothing was sent.")
    if proc.returncode != 0:
        raise ActionError(fault(host, proc.returncode, message) + "; nothing was sent.")
    output = out.decode(errors="replace")
    if action is RemoteAction.JUMP:
        target = ["ssh", *(["-F", host.ssh_config] if host.ssh_config else []), "-t"]
        output = shlex.join([*target, host.target]) + " " + shlex.quote(output.strip())
    return ActionReply(output)
