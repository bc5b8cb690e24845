"""The desktop side: one feed over ssh per host, its events stored once, its panes shown.

Each host gets one long-lived `ssh TARGET claude-rpg remote feed --since CURSOR` (one
channel of one multiplexed connection). The cursor is the highest remote event id stored
for the host, so a link that drops, a suspended laptop or a restarted desktop asks for
exactly what it has not stored, and the (host, remote_id) key refuses a second copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop.core.model import UNREACHABLE, Status
from desktop.core.panes import PaneRegistry
from desktop.core.remote.heading import HostHeading
from desktop.core.remote.hosts import HostConfig
from desktop.core.remote.panes import pane_from_json, remote_pane_id
from desktop.core.remote.personas import RemotePersonas
from desktop.core.remote.protocol import PROTOCOL, ProtocolError, decode
from desktop.core.remote.ssh import Fault, diagnose, ssh_argv
from desktop.store.db import Database
from desktop.store.remote_events import UNNAMED, RemoteEventRepo

log = logging.getLogger(__name__)

# How long a feed whose output ended may take to exit on its own (seconds).
EXIT_WAIT = 2.0
# Reconnect waits, doubling from the first to the last (seconds).
BACKOFF_FIRST = 0.5
BACKOFF_MOST = 30.0
# A feed line longer than this is refused (a full batch of events is far below it).
LINE_LIMIT = 8 * 1024 * 1024
# What a feed that must be asked again from another cursor ends with (not a fault), and how
# soon it is asked (seconds).
AGAIN = Fault(None, "")
AGAIN_WAIT = 0.1
# How long an ended ssh's stderr may take to reach its end (seconds).
STDERR_WAIT_S = 2.0
# The heading's words for a remote claude-rpg this one cannot talk to.
OTHER_VERSION = "another claude-rpg version"
# ... and for one whose app is not running there (the feed answers, the panes do not).
APP_NOT_RUNNING = "claude-rpg not running there"


@dataclass
class HostState:
    """What the desktop knows of one host right now."""

    name: str
    target: str
    connected: bool = False
    version: str | None = None
    problem: str | None = None  # why the host is not (fully) there, in words
    fault: str | None = None  # the problem in a few words, for the heading (None: passing)
    unreachable_since: datetime | None = None
    panes: list[dict[str, Any]] = field(default_factory=list)
    events_stored: int = 0
    connects: int = 0

    def header(self) -> str:
        """The line a host's header (and each of its cards) shows when it is not there."""
        if self.unreachable_since is None:
            return ""
        since = self.unreachable_since.astimezone().strftime("%H:%M")
        return f"{UNREACHABLE} {since}"

    def heading(self) -> HostHeading:
        """The host's heading: a lasting fault in its words, else "unreachable since"."""
        words = self.fault or self.header()
        return HostHeading(self.name, words, (self.problem or "") if words else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "target": self.target,
            "connected": self.connected,
            "version": self.version,
            "problem": self.problem,
            "unreachable_since": (
                self.unreachable_since.isoformat() if self.unreachable_since else None
            ),
            "status": self.header() or ("connected" if self.connected else "connecting"),
            "fault": self.fault,
            "panes": len(self.panes),
            "events_stored": self.events_stored,
            "connects": self.connects,
        }


class RemoteLink:
    """Keeps one host's feed running: connect, read, store, reconnect with backoff."""

    def __init__(
        self,
        host: HostConfig,
        db: Database,
        controls: Path,
        on_change: Callable[[HostState], None] = lambda _s: None,
        personas: RemotePersonas | None = None,
    ) -> None:
        self.host = host
        self.db = db
        self.controls = controls
        self.on_change = on_change
        self.personas = personas if personas is not None else RemotePersonas(db)
        self.state = HostState(host.name, host.target)
        self._task: asyncio.Task[None] | None = None
        self._proc: asyncio.subprocess.Process | None = None
        # The host's store the running feed's ids count in, and the cursor it was asked from.
        self._store = UNNAMED
        self._since = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._end_proc()

    async def _run(self) -> None:
        wait = BACKOFF_FIRST
        while True:
            connects = self.state.connects
            problem = await self._one_link()
            if problem is AGAIN:
                await asyncio.sleep(AGAIN_WAIT)
                continue
            if self.state.connects != connects:
                wait = BACKOFF_FIRST  # it was up: a fresh drop, so retry soon
            self._lost(problem)
            await asyncio.sleep(wait)
            wait = min(wait * 2, BACKOFF_MOST)

    def _cursor(self) -> int:
        """The cursor in the host's current store (the unnamed one before it named one)."""
        with self.db.session() as s:
            repo = RemoteEventRepo(s)
            self._store = repo.current_store(self.host.name) or UNNAMED
            self._since = repo.cursor(self.host.name, self._store)
        return self._since

    def _check_store(self, store: object) -> bool:
        """Take the store the hello names; False when the feed was asked from a cursor of
        another store (the host's database was reset: its ids start again) and must be
        asked again."""
        if not isinstance(store, str) or not store:
            return True  # no database there yet (or a remote without store ids)
        with self.db.session() as s:
            repo = RemoteEventRepo(s)
            known = repo.current_store(self.host.name)
            if known != store:
                repo.set_store(self.host.name, store)
            since = repo.cursor(self.host.name, store)
        self._store = store
        if known is not None and known != store:
            log.info(
                "remote host %s has another store (%s, was %s): its events from %d",
                self.host.name, store, known, since,
            )  # fmt: skip
        return since == self._since

    async def _one_link(self) -> Fault:
        """Run one feed until it ends; answer why it ended, in words."""
        remote = [*self.host.remote_argv(), "remote", "feed", "--since", str(self._cursor())]
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *ssh_argv(self.host, self.controls, remote),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=LINE_LIMIT,
            )
        except OSError as e:
            return Fault(
                "ssh missing", f"{self.host.name}: cannot run ssh ({e}); install the OpenSSH client"
            )
        proc = self._proc
        assert proc.stdout is not None and proc.stderr is not None
        errors = asyncio.get_running_loop().create_task(proc.stderr.read())
        problem: Fault | None = None
        try:
            while True:
                line = await proc.stdout.readline()
                if not line.endswith(b"\n"):
                    # The end, or a line cut off by a dropped link: nothing of it counts. Let
                    # ssh exit by itself first: its exit status says why. Signalled as it
                    # exited, it was reaped by the signal's poll and read as a lost link (255).
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(proc.wait(), EXIT_WAIT)
                    break
                problem = self._handle(decode(line))
                if problem is not None:
                    break
        except (ProtocolError, ValueError) as e:
            problem = Fault(
                OTHER_VERSION,
                f"{self.host.name}: the remote claude-rpg answered in a form this one does not "
                f"read ({e}); install the same version on both machines",
            )
        finally:
            # Also on cancel (the app stopping): no ssh child and no pipe outlives the link.
            await self._end_proc()
            if not errors.done():
                # ssh's last words (why it failed) may still be on their way when its stdout
                # has ended: cancelling at once lost them, and an unknown host was reported as
                # "connection lost". A master it leaves behind writes to /dev/null, so the pipe
                # ends with ssh; the wait is bounded all the same.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(errors), STDERR_WAIT_S)
            if not errors.done():
                errors.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await errors
        if problem is not None:
            return problem
        stderr = errors.result().decode(errors="replace") if not errors.cancelled() else ""
        return diagnose(self.host, proc.returncode, stderr)

    def _handle(self, message: dict[str, Any]) -> Fault | None:
        kind = message["type"]
        if kind == "hello":
            if message.get("protocol") != PROTOCOL:
                return Fault(
                    OTHER_VERSION,
                    f"{self.host.name}: claude-rpg {message.get('version')} there speaks feed "
                    f"protocol {message.get('protocol')}, this one {PROTOCOL}; install the "
                    "same version on both machines",
                )
            if not self._check_store(message.get("store")):
                return AGAIN
            self.state.version = str(message.get("version"))
            self.state.connected = True
            self.state.connects += 1
            self.state.unreachable_since = None
            self.state.problem = None
            self.state.fault = None
            log.info("remote host %s connected (claude-rpg %s)", self.host.name, self.state.version)
            self.on_change(self.state)
        elif kind == "events":
            events = message.get("events")
            if not isinstance(events, list):
                raise ProtocolError("an events line without a list")
            with self.db.session() as s:
                stored = RemoteEventRepo(s).append(self.host.name, events, self._store)
            self.state.events_stored += stored
            self.on_change(self.state)
        elif kind == "panes":
            panes = message.get("panes")
            self.state.panes = (
                [p for p in panes if isinstance(p, dict)] if isinstance(panes, list) else []
            )
            self.state.problem = message.get("problem") or None
            # A pane's persona the desktop lacks (its events came before "personas" lines).
            pane_personas = (p.get("persona") for p in self.state.panes)
            self.personas.store(self.host.name, pane_personas, only_new=True)
            self.state.fault = APP_NOT_RUNNING if self.state.problem else None
            self.on_change(self.state)
        elif kind == "personas":
            personas = message.get("personas")
            if isinstance(personas, list):
                self.personas.store(self.host.name, personas)
        elif kind == "restart":
            log.info(
                "remote host %s: the feed restarts (%s)", self.host.name, message.get("reason")
            )
            return AGAIN
        # Other types: a newer remote may send more; what this desktop does not know, it skips.
        return None

    def _lost(self, problem: Fault) -> None:
        if self.state.connected or self.state.unreachable_since is None:
            self.state.unreachable_since = datetime.now(UTC)
        self.state.connected = False
        self.state.problem = problem.sentence
        self.state.fault = problem.words
        log.warning("remote host %s: %s", self.host.name, problem.sentence)
        self.on_change(self.state)

    async def _end_proc(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except TimeoutError:
            proc.kill()
            await proc.wait()


class RemoteHosts:
    """Every configured host's link, and their panes and personas for the API and the UI."""

    def __init__(self, hosts: list[HostConfig], db: Database, controls: Path) -> None:
        self.hosts = {h.name: h for h in hosts}
        self.db = db
        self.controls = controls
        self.personas = RemotePersonas(db)
        self.links = [RemoteLink(h, db, controls, self._changed, self.personas) for h in hosts]
        self.started = False
        self._listeners: list[Callable[[HostState], None]] = []
        # The remote panes as cards show them (ids "host:%N"), apart from the local registry
        # that the tmux poller owns.
        self.registry = PaneRegistry()

    def subscribe(self, listener: Callable[[HostState], None]) -> None:
        self._listeners.append(listener)

    def _sync_panes(self, state: HostState) -> None:
        header = state.header()
        keep: set[str] = set()
        for data in state.panes:
            if not isinstance(data.get("pane_id"), str):
                continue
            pane = pane_from_json(data, state.name)
            if header:
                # What the host last said is stale: the card says so instead.
                pane = dataclasses.replace(pane, status=Status.UNKNOWN, status_detail=header)
            keep.add(pane.pane_id)
            old = self.registry.get(pane.pane_id)
            if old is not None and old.status == pane.status:
                pane = dataclasses.replace(pane, status_since=old.status_since)
            self.registry.put(pane)
        prefix = remote_pane_id(state.name, "")
        for pane in self.registry.all():
            if pane.pane_id.startswith(prefix) and pane.pane_id not in keep:
                self.registry.remove(pane.pane_id)

    def _changed(self, state: HostState) -> None:
        self._sync_panes(state)
        self._tell(state)

    def _tell(self, state: HostState) -> None:
        for listener in self._listeners:
            try:
                listener(state)
            except Exception:  # one broken listener must not stop a host's feed
                log.exception("remote host listener failed")

    def start(self) -> None:
        self.started = True
        for link in self.links:
            link.start()

    async def apply(self, hosts: list[HostConfig], controls: Path) -> None:
        """Follow an edited host list while running: new hosts connect, removed ones go.

        A host whose entry changed reconnects; its stored events stay, so it catches up from
        its cursor like after any drop.
        """
        wanted = {h.name: h for h in hosts}
        self.controls = controls
        keep = [link for link in self.links if wanted.get(link.host.name) == link.host]
        gone = [link for link in self.links if link not in keep]
        await asyncio.gather(*(link.stop() for link in gone))
        for link in gone:
            prefix = remote_pane_id(link.host.name, "")
            for pane in self.registry.all():
                if pane.pane_id.startswith(prefix):
                    self.registry.remove(pane.pane_id)
        for link in gone:
            self._tell(link.state)  # its heading goes too
        kept = {link.host.name for link in keep}
        new = [
            RemoteLink(h, self.db, controls, self._changed, self.personas)
            for h in hosts
            if h.name not in kept
        ]
        self.links = keep + new
        self.hosts = wanted
        if self.started:
            for link in new:
                link.start()

    async def stop(self) -> None:
        await asyncio.gather(*(link.stop() for link in self.links))

    def states(self) -> list[HostState]:
        return [link.state for link in self.links]

    def headings(self) -> list[HostHeading]:
        """Each host's heading, by name: what the window and the tray show of the hosts."""
        return sorted((s.heading() for s in self.states()), key=lambda h: h.name.lower())

    def panes_json(self) -> list[dict[str, Any]]:
        """Each host's panes as its app shows them, with `host` and the host's state."""
        out: list[dict[str, Any]] = []
        for state in self.states():
            header = state.header()
            for pane in state.panes:
                out.append({**pane, "host": state.name, "host_status": header or None})
        return out

    def personas_json(
        self, limit: int, host: str | None = None, before: int | None = None
    ) -> list[dict[str, Any]]:
        """The newest remote personas as stored from the feeds, with `host`; keyed by (host,
        session_id), each by the id its host gave it."""
        return [p.to_json() for p in self.personas.newest(limit, host, before)]
