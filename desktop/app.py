"""The composition root: builds the core services and owns their long-lived tasks."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError

from desktop import __version__
from desktop.config import configured_settings
from desktop.core.actions import ActionService
from desktop.core.history.retention import Retention
from desktop.core.hooks.command import refresh_script, remove_spare, write_spare
from desktop.core.hooks.doorbell import Doorbell, DoorbellError, open_doorbell
from desktop.core.hooks.fallback import fallback_spool
from desktop.core.hooks.listener import HookListener
from desktop.core.hooks.spool import SpoolDrain, dropped_sentence
from desktop.core.ingest import EventIngest
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.core.progression.service import ProgressionService
from desktop.core.projects.service import ProjectService
from desktop.core.projects.tracker import ProjectTracker
from desktop.core.remote.hosts import HostsError, hosts_signature, load_hosts
from desktop.core.remote.link import RemoteHosts
from desktop.core.remote.routing import RoutedActions
from desktop.core.remote.ssh import control_dir
from desktop.core.sessions import SessionTracker
from desktop.core.tasks import cancel_and_wait
from desktop.core.tmux.client import TmuxClient
from desktop.core.tmux.poller import PanePoller, PollResult
from desktop.core.usage import statusline
from desktop.core.usage.prices import overrides_from
from desktop.core.usage.service import UsageService
from desktop.data_dir_guard import DataDirGuard
from desktop.logs import current_log_file
from desktop.paths import DEFAULT_PORT, DataPaths, data_dir_flag, default_data_dir
from desktop.store.backup import backup_database, backup_due, last_backup_time
from desktop.store.db import Database
from desktop.store.migrations import LogProgress
from desktop.store.models import utcnow
from desktop.store.problems import DatabaseProblemError, classify
from desktop.unexpected import UnexpectedErrors

log = logging.getLogger(__name__)

# How often the app looks whether the daily backup is due (a laptop asleep at the hour
# it was due gets it within this long of waking up).
BACKUP_CHECK_S = 600.0
# How often the app looks whether its data dir is still there.
GUARD_CHECK_S = 1.0
# How often the app looks whether hosts.json changed (`claude-rpg hosts add` while it runs).
HOSTS_CHECK_S = 1.0


def _log_dirs(paths: DataPaths) -> list[Path]:
    """The folder this process logs to, when it is not inside the data dir."""
    current = current_log_file()
    if current is None or current.parent.is_relative_to(paths.root):
        return []
    return [current.parent]


@dataclass
class Options:
    """What the command line chose."""

    port: int = DEFAULT_PORT
    data_dir: Path = field(default_factory=default_data_dir)
    tmux_socket: str | None = None
    headless: bool = False
    poll_interval: float = 1.0
    verbose: bool = False
    minimized: bool = False  # start hidden in the tray (the autostart entry asks for it)
    # Price overrides from the settings (model or prefix, input, output, cache read, write).
    prices: tuple[tuple[str, float, float, float, float], ...] = ()


class CoreApp:
    """Store, personas, tracker, ingest, listener and poller, wired together. Qt-free."""

    def __init__(self, options: Options, errors: UnexpectedErrors | None = None) -> None:
        self.options = options
        # Uncaught exceptions end up here (run_app installs it); the banner shows the last.
        self.errors = errors or UnexpectedErrors()
        self.paths = DataPaths(options.data_dir)
        self.paths.ensure()
        # An empty or missing secret is made anew before anything serves /api.
        self.secret = self.paths.secret()
        # Database() makes a new file 0600 from its first byte (store/db.py user_only).
        # An older database is converted here, its progress in the log (docs/history.md).
        self.db = Database(self.paths.database, progress=LogProgress())
        # The database exists now: tighten it with the rest, whatever its mode was.
        # The status line's folder holds Claude's status JSON (folders, model, limits).
        private = [*_log_dirs(self.paths), statusline.status_dir(self.paths)]
        loose = self.paths.tighten(extra=private)
        if loose:
            shown = ", ".join(str(p) for p in loose[:5])
            more = f" and {len(loose) - 5} more" if len(loose) > 5 else ""
            log.warning(
                "other users could read %d files and folders of claude-rpg; made them "
                "readable by you only (0700 folders, 0600 files): %s%s",
                len(loose),
                shown,
                more,
            )
        if refresh_script(self.paths):
            log.info("rewrote the hook script %s for this release", self.paths.hook_script)
        # Runs the hooks in the moment a removed data dir is not back yet (while this runs).
        write_spare(self.paths, os.getpid())
        # A data dir removed while the app runs is put back, live database included.
        self.guard = DataDirGuard(self.paths, self.db, self.secret)
        self._guarding: asyncio.Task[None] | None = None
        self._hosts_watch: asyncio.Task[None] | None = None
        self.registry = PaneRegistry()
        self.personas = PersonaService(self.db)
        # A pane's session file may name a session whose persona exists: it is shown at once.
        self.tracker = SessionTracker(
            self.db, self.registry, find_persona=self.personas.find_persona_by_session_id
        )
        self.tmux = TmuxClient(options.tmux_socket)
        # Each pane's git repository and state, read on its own thread after each poll.
        self.project_tracker = ProjectTracker(self.registry)
        # The report prices tokens with the usage service's overrides (read when it runs).
        self.projects = ProjectService(
            self.project_tracker, self.registry, self.db, prices=lambda: self.usage.prices
        )
        self.poller = PanePoller(self.tmux, self._on_poll, options.poll_interval)
        # What the cards and the tray do to a pane; its tmux calls share the poller's thread.
        self.actions = ActionService(
            self.tmux, self.registry, self.poller.run_on_tmux_thread, on_new_pane=self.poller.poke
        )
        self.ingest = EventIngest(
            self.db, self.personas, self.tracker, on_unknown_pane=self.poller.poke
        )
        # XP, challenges and badges move with every stored event, on the loop thread, in the
        # transaction that stores it (one commit per batch of events, not two per event).
        self.progression = ProgressionService(self.db, self.personas, self.tracker)
        self.ingest.add_writer(self.progression.store_batch)
        self.ingest.subscribe(self.project_tracker.on_event)
        # Tokens, cost and context come from the sessions' transcripts, read after their events.
        # The status-line snippet (installed with the hooks) keeps Claude's status JSON here.
        status_folder = statusline.status_dir(self.paths)
        status_folder.mkdir(mode=0o700, exist_ok=True)
        self.usage = UsageService(self.db, self.registry, status_folder=status_folder)
        self.usage.prices = overrides_from(options.prices)
        self.ingest.subscribe(self.usage.on_event)
        # Other machines' panes, each through one ssh feed (hosts.json in the data dir).
        self.remote = self._remote_hosts()
        # What the cards call: this machine's tmux, or the pane's host over ssh.
        self.pane_actions = RoutedActions(self.actions, self.remote)
        self.listener = HookListener(
            self.ingest,
            self.personas,
            self.registry,
            secret=self.secret,
            port=options.port,
            health=self.health,
            progression=self.progression,
            projects=self.projects,
            usage=self.usage,
            remote=self.remote,
        )
        self.listener_error: str | None = None
        # Every hook event arrives as a spool file; the doorbell says which one to store now.
        self.spool = SpoolDrain(
            self.paths.spool,
            self.ingest,
            cap_mb=configured_settings().spool_cap_mb,
            fallback_dir=fallback_spool(self.paths.root),
        )
        self.doorbell: Doorbell | None = None
        self.doorbell_error: str | None = None
        self.backup_error: str | None = None
        self._loaded = False
        self._backups: asyncio.Task[None] | None = None
        settings = configured_settings()
        # Drops event details past their age or the size cap, in the background.
        self.retention = Retention(self.db, settings.history_detail_days, settings.history_max_mb)

    async def reload_hosts(self) -> str:
        """Pick up an edited hosts.json now; answer a sentence when it cannot be used."""
        try:
            hosts = load_hosts(self.paths.root)
            controls = control_dir(self.paths.root) if hosts else self.paths.root
        except (HostsError, OSError) as e:
            log.warning("%s", e)
            return str(e)
        await self.remote.apply(hosts, controls)
        return ""

    def _remote_hosts(self) -> RemoteHosts:
        try:
            hosts = load_hosts(self.paths.root)
        except HostsError as e:
            # A broken hosts file costs the remote hosts, never the local grid.
            log.warning("%s", e)
            hosts = []
        controls = self.paths.root
        if hosts:
            try:
                controls = control_dir(self.paths.root)
            except OSError as e:
                log.warning("remote hosts are off: %s", e)
                hosts = []
        return RemoteHosts(hosts, self.db, controls)

    def _on_poll(self, result: PollResult) -> None:
        self.tracker.apply_poll(result)
        self.project_tracker.after_poll()

    def health(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "tmux": {
                "ok": self.poller.problem is None,
                "problem": self.poller.problem,
                "polls": self.poller.ticks,  # tmux polls applied since start
            },
            "data_dir": str(self.paths.root),
            "listener": {"port": self.listener.port, "error": self.listener_error},
            "spool": {
                "waiting": self.spool.backlog(),
                "doorbell_error": self.doorbell_error,
                "dropped": self.spool.dropped,
                "cap_mb": self.spool.cap_mb,
                "problem": self.spool.write_problem(),
                "fallback": {
                    "dir": str(self.spool.fallback_dir),
                    "waiting": self.spool.fallback_backlog(),
                },
            },
            "usage": self.usage.health(),
            "store": {"ok": self.spool.store_error is None, "problem": self.store_problem()},
            "data_dir_restored": {"times": self.guard.restored, "notice": self.guard.notice},
            "backup": {
                "last": _iso(last_backup_time(self.paths.backups)),
                "error": self.backup_error,
            },
        }

    def problems(self) -> list[str]:
        """What the window's banner shows ('' for each part that is fine)."""
        dropped = self.spool.dropped
        return [
            self.listener_error or "",
            self.poller.problem or "",
            self.doorbell_error or "",
            dropped_sentence(dropped, f"{self.spool.cap_mb} MB") if dropped else "",
            self.store_problem() or "",
            self.spool.write_problem() or "",
            self.backup_error or "",
            self.guard.notice,
            self.errors.notice,
        ]

    def store_problem(self) -> str | None:
        """Why hook events cannot be stored now (they wait in the spool), or None."""
        error = self.spool.store_error
        if error is None:
            return None
        problem = classify(self.paths.database, error)
        if problem is not None:
            return problem.sentence(data_dir_flag(self.paths.root))
        return (
            f"Hook events cannot be stored in {self.paths.database} ({error}); they wait in "
            "the spool and are stored as soon as that works again. The log has the details."
        )

    async def backup_if_due(self) -> None:
        """Take the day's online backup if none is younger than a day (off the loop: it reads)."""
        if not backup_due(self.paths.backups, utcnow()):
            return
        try:
            await asyncio.to_thread(
                backup_database, self.paths.database, self.paths.backups, utcnow()
            )
        except (OSError, sqlite3.Error) as e:
            self.backup_error = (
                f"the daily backup into {self.paths.backups} failed ({e}); it is tried again "
                "in 10 minutes"
            )
            log.warning("%s", self.backup_error)
        else:
            self.backup_error = None

    async def _guard_data_dir(self) -> None:
        while True:
            await asyncio.sleep(GUARD_CHECK_S)
            try:
                self.guard.check()
            except (OSError, sqlite3.Error):
                log.exception("could not put the removed data dir %s back", self.paths.root)

    async def _follow_hosts_file(self) -> None:
        """Reload the hosts when hosts.json changes: `claude-rpg hosts add/remove` (or an
        edit by hand) reaches the running app within a second, whatever port it listens on."""
        seen = hosts_signature(self.paths.root)
        while True:
            await asyncio.sleep(HOSTS_CHECK_S)
            now = hosts_signature(self.paths.root)
            if now != seen:
                seen = now
                log.info("the hosts file changed: following it")
                await self.reload_hosts()

    async def _backup_daily(self) -> None:
        while True:
            await self.backup_if_due()
            await asyncio.sleep(BACKUP_CHECK_S)

    def load(self) -> None:
        """Read what the store remembers; a damaged database shows up here, before any window.

        Raises DatabaseProblemError when SQLite reports the file damaged or unreadable.
        """
        if self._loaded:
            return
        try:
            self.usage.load()
            self.tracker.load_bindings({p.id: p for p in self.personas.all()})
            # Events stored while progression could not see them (a crash, an upgrade) count.
            self.progression.catch_up()
        except (sqlite3.Error, DBAPIError) as e:
            problem = classify(self.paths.database, e)
            if problem is None:
                raise
            self.db.close()
            raise DatabaseProblemError(problem) from e
        self._loaded = True

    async def start(self) -> None:
        """Restore bindings, start listening, start polling (the first poll runs at once)."""
        self.load()
        # The spool first: what Claude did while the app was down is applied in stamp order
        # before any live event. The watch and the doorbell work even if the listener
        # cannot bind: hook events never need it.
        await self.spool.drain()
        self.spool.start()
        try:
            self.doorbell = await open_doorbell(self.spool, self.options.port)
        except DoorbellError as e:
            self.doorbell_error = str(e)
            log.warning("%s", e)
        await self.listener.start()
        self.poller.start()
        self._backups = asyncio.get_running_loop().create_task(
            self._backup_daily(), name="daily-backup"
        )
        self._guarding = asyncio.get_running_loop().create_task(
            self._guard_data_dir(), name="data-dir-guard"
        )
        self.remote.start()
        self._hosts_watch = asyncio.get_running_loop().create_task(
            self._follow_hosts_file(), name="hosts-file"
        )
        self.retention.start()
        log.info("claude-rpg %s started (data dir %s)", __version__, self.paths.root)

    async def stop(self) -> None:
        """Stop in reverse order while the loop is still alive."""
        await self.retention.stop()
        for task in (self._backups, self._guarding, self._hosts_watch):
            await cancel_and_wait(task)
        await self.remote.stop()
        await self.poller.stop()
        await self.project_tracker.stop()
        self.projects.stop()
        await self.listener.stop()
        if self.doorbell is not None:
            await self.doorbell.close()
        await self.spool.stop()
        await self.usage.stop()
        self.db.close()
        remove_spare(self.paths)
        log.info("claude-rpg stopped")


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None
