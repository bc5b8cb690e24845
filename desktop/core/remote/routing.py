"""The pane actions the cards call, sent to this machine's tmux or to the pane's host."""

from __future__ import annotations

from desktop.core.actions import ActionError, ActionService, PermissionChoice
from desktop.core.model import LOCAL_HOST
from desktop.core.remote.actions import RemoteAction, act_remote
from desktop.core.remote.link import RemoteHosts
from desktop.core.remote.panes import split_pane_id


class RoutedActions:
    """ActionService for local panes; the host's own checks over ssh for a remote pane."""

    def __init__(self, local: ActionService, remote: RemoteHosts) -> None:
        self.local = local
        self.remote = remote

    async def _remote(
        self, pane_id: str, action: RemoteAction, text: str = "", choice: str = "once"
    ) -> str:
        host_name, there = split_pane_id(pane_id)
        host = self.remote.hosts.get(host_name)
        pane = self.remote.registry.get(pane_id)
        if host is None or pane is None:
            raise ActionError(f"No Claude pane {pane_id} is on the board any more; it closed.")
        reply = await act_remote(
            host, self.remote.controls, action, there, pane.claude_pid, text, choice
        )
        return reply.output

    @staticmethod
    def _is_remote(pane_id: str) -> bool:
        return split_pane_id(pane_id)[0] != LOCAL_HOST

    async def jump_to(self, pane_id: str) -> str:
        """Local: the terminal that now shows it. Remote: the command that attaches to it."""
        if self._is_remote(pane_id):
            return await self._remote(pane_id, RemoteAction.JUMP)
        return await self.local.jump_to(pane_id)

    async def send_prompt(self, pane_id: str, text: str) -> None:
        if self._is_remote(pane_id):
            await self._remote(pane_id, RemoteAction.SEND, text=text)
            return
        await self.local.send_prompt(pane_id, text)

    async def interrupt(self, pane_id: str) -> None:
        if self._is_remote(pane_id):
            await self._remote(pane_id, RemoteAction.INTERRUPT)
            return
        await self.local.interrupt(pane_id)

    async def answer_permission(self, pane_id: str, choice: PermissionChoice) -> None:
        if self._is_remote(pane_id):
            await self._remote(pane_id, RemoteAction.ANSWER, choice=PermissionChoice(choice))
            return
        await self.local.answer_permission(pane_id, choice)

    async def capture(self, pane_id: str, ansi: bool = True, history: int = 0) -> str:
        """The screen; a remote pane's comes without colours (the feed's preview is text)."""
        if self._is_remote(pane_id):
            return await self._remote(pane_id, RemoteAction.PREVIEW)
        return await self.local.capture(pane_id, ansi=ansi, history=history)

    async def new_claude(self, folder: str) -> str:
        return await self.local.new_claude(folder)
