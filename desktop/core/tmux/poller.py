"""The pane poller: about once a second, one tmux call and one /proc scan, off the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from desktop.core.tasks import cancel_and_wait
from desktop.core.tmux.client import TmuxClient
from desktop.core.tmux.detection import (
    RawPane,
    TitleGlyph,
    pane_runs_claude,
    proc_version,
    title_glyph,
)
from desktop.core.tmux.procs import ProcessTable
from desktop.core.tmux.screen import ScreenReading, read_screen
from desktop.core.tmux.sessionfile import SessionFile, claude_dir_of, read_session_file
from desktop.paths import claude_config_dir

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectedPane:
    """A pane that runs Claude, with its Claude process when /proc shows it."""

    raw: RawPane
    claude_pid: int | None
    claude_start_ticks: int | None
    session_file: SessionFile | None = None
    screen: ScreenReading | None = None

    @property
    def glyph(self) -> TitleGlyph:
        return title_glyph(self.raw.title)


@dataclass(frozen=True)
class PollResult:
    """What one tick saw: the Claude panes, and why there are none when tmux is not there."""

    panes: tuple[DetectedPane, ...]
    problem: str | None = None
    observed_at: float = field(default_factory=time.time)


@dataclass
class DetectContext:
    """What detection remembers between ticks (touched only by the tmux thread)."""

    proc_root: str = "/proc"
    fallback_claude_dir: Path = field(default_factory=claude_config_dir)
    claude_dirs: dict[tuple[int, int | None], Path] = field(default_factory=dict)
    capture: frozenset[str] = frozenset()

    def claude_dir(self, pid: int, start_ticks: int | None) -> Path:
        key = (pid, start_ticks)
        if key not in self.claude_dirs:
            self.claude_dirs[key] = claude_dir_of(pid, self.fallback_claude_dir, self.proc_root)
        return self.claude_dirs[key]


def detect(
    client: TmuxClient, proc_root: str = "/proc", context: DetectContext | None = None
) -> PollResult:
    """One tick's work (blocking): list the panes, keep those that run Claude, read their state.

    Besides the title that list-panes gives for free, each Claude pane's sessions/<pid>.json
    is read; the screens of panes without that file ride along in the same tmux call.
    """
    ctx = context or DetectContext(proc_root=proc_root)
    observed_at = time.time()
    listing = client.list_panes(capture=ctx.capture)
    if listing.problem is not None or not listing.panes:
        return PollResult((), listing.problem, observed_at)
    procs = ProcessTable.for_panes(ctx.proc_root)
    found = []
    for raw in listing.panes:
        runs, proc = pane_runs_claude(raw, procs)
        if not runs:
            continue
        session_file = None
        if proc is not None:
            claude_dir = ctx.claude_dir(proc.pid, proc.start_ticks)
            session_file = read_session_file(proc.pid, proc.start_ticks, claude_dir)
        screen_text = listing.screens.get(raw.pane_id)
        found.append(
            DetectedPane(
                raw,
                proc.pid if proc else None,
                proc.start_ticks if proc else None,
                session_file,
                read_screen(screen_text, proc_version(proc)) if screen_text is not None else None,
            )
        )
    live = {(p.claude_pid, p.claude_start_ticks) for p in found}
    ctx.claude_dirs = {k: v for k, v in ctx.claude_dirs.items() if k in live}
    ctx.capture = screens_wanted(found)
    return PollResult(tuple(found), None, observed_at)


def screens_wanted(panes: Collection[DetectedPane]) -> frozenset[str]:
    """Panes whose screen the next tick reads: those with no session file to tell their state."""
    return frozenset(p.raw.pane_id for p in panes if p.session_file is None)


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
        self._context = DetectContext(proc_root=proc_root)
        # libtmux is synchronous: one dedicated thread keeps tmux calls off the UI and in order.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tmux")
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def poll_once(self) -> PollResult:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            self._executor, detect, self.client, self.proc_root, self._context
        )
        self.ticks += 1
        if result.problem != self.problem:
            if result.problem:
                log.warning("%s", result.problem)
            else:
                log.info("tmux server found")
            self.problem = result.problem
        self.on_result(result)
        return result

    async def run_on_tmux_thread(self, func: Callable[[], T]) -> T:
        """Run a blocking tmux call on the poller's thread, in order with the polls."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, func)

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
        await cancel_and_wait(self._task)
        self._task = None
        self._executor.shutdown(wait=True)
