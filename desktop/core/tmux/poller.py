"""The pane poller: about once a second, one tmux call and one /proc scan, off the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from desktop.core.tmux.client import TmuxClient
from desktop.core.tmux.detection import RawPane, pane_runs_claude
from desktop.core.tmux.procs import ProcessTable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectedPane:
    """A pane that runs Claude, with its Claude process when /proc shows it."""

    raw: RawPane
    claude_pid: int | None
    claude_start_ticks: int | None


@dataclass(frozen=True)
class PollResult:
    """What one tick saw: the Claude panes, and why there are none when tmux is not there."""

    panes: tuple[DetectedPane, ...]
    problem: str | None = None


def detect(client: TmuxClient, proc_root: str = "/proc") -> PollResult:
    """One tick's work (blocking): list the panes and keep those that run Claude."""
    listing = client.list_panes()
    if listing.problem is not None or not listing.panes:
        return PollResult((), listing.problem)
    procs = ProcessTable.scan(proc_root)
    found = []
    for raw in listing.panes:
        runs, proc = pane_runs_claude(raw, procs)
        if runs:
            found.append(
                DetectedPane(
                    raw,
                    proc.pid if proc else None,
                    proc.start_ticks if proc else None,
                )
            )
    return PollResult(tuple(found))


class PanePoller:
    """Polls tmux on one worker thread and hands each result to `on_result` on the loop."""

    def __init__(
        self,
        client: TmuxClient,
        on_result: Callable[[PollResult], None],
        interval: float = 1.0,
        proc_root: str = "/proc",
    ) -> None:
        self.client = client
        self.on_result = on_result
        self.interval = interval
        self.proc_root = proc_root
        self.problem: str | None = None
        self.ticks = 0
        # libtmux is synchronous: one dedicated thread keeps tmux calls off the UI and in order.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tmux")
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def poll_once(self) -> PollResult:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._executor, detect, self.client, self.proc_root)
        self.ticks += 1
        if result.problem != self.problem:
            if result.problem:
                log.warning("%s", result.problem)
            else:
                log.info("tmux server found")
            self.problem = result.problem
        self.on_result(result)
        return result

    def poke(self) -> None:
        """Poll now instead of at the next tick (a hook named a pane we have not seen)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except Exception:  # a poll must never kill the poller
                log.exception("tmux poll failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="pane-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._executor.shutdown(wait=True)
