"""Applies saved settings to the running app at once: poll interval, port, autostart."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable

from desktop.app import CoreApp
from desktop.config import Settings, SettingsStore
from desktop.core.hooks.command import HookScriptError, write_script, write_spare
from desktop.core.hooks.doorbell import DoorbellError, open_doorbell
from desktop.core.hooks.listener import ListenerStartError
from desktop.core.usage.prices import overrides_from
from desktop.freedesktop import set_autostart

log = logging.getLogger(__name__)

ProblemSink = Callable[[str], None]


class SettingsApplier:
    """Listens to the settings store and changes the running core to match, without a restart.

    Notification and sound switches need nothing here: the notifier reads them when it fires.
    """

    def __init__(self, core: CoreApp, store: SettingsStore, report: ProblemSink) -> None:
        self.core = core
        self.store = store
        self.report = report
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe = store.subscribe(self.apply)

    def close(self) -> None:
        self._unsubscribe()

    def apply(self, old: Settings, new: Settings) -> None:
        if new.prices != old.prices:
            self.core.usage.prices = overrides_from(new.prices)
            log.info("cost estimates use %d price overrides", len(new.prices))
        if new.poll_interval != old.poll_interval:
            self.core.poller.interval = new.poll_interval
            log.info("tmux poll interval is now %.2f s", new.poll_interval)
        if new.spool_cap_mb != old.spool_cap_mb:
            self.core.spool.cap_mb = new.spool_cap_mb
            # The hook enforces the cap: its script carries the number.
            if self.core.paths.hook_script.exists():
                try:
                    write_script(self.core.paths, self.core.listener.port, cap_mb=new.spool_cap_mb)
                    write_spare(self.core.paths, os.getpid(), cap_mb=new.spool_cap_mb)
                except (OSError, HookScriptError) as e:
                    self.report(f"could not rewrite the hook script for the new spool cap ({e})")
            log.info("the spool cap is now %d MB", new.spool_cap_mb)
        if new.autostart != old.autostart:
            try:
                path = set_autostart(new.autostart)
            except OSError as e:
                self.report(
                    f"could not {'write' if new.autostart else 'remove'} the autostart entry "
                    f"({e.strerror}: {e.filename}); check that folder's permissions"
                )
            else:
                log.info("autostart %s: %s", "on" if new.autostart else "off", path)
        if new.port != old.port and new.port != self.core.listener.port:
            task = asyncio.get_running_loop().create_task(self.move_listener(new.port))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def wait_idle(self) -> None:
        """Wait for port moves in flight (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    async def move_listener(self, port: int) -> None:
        """Serve the API and hear the hooks' doorbell on `port` instead; on failure keep the
        old port and say why. The hooks spool every event meanwhile, so none is lost."""
        core = self.core
        listener = core.listener
        old_port = listener.port
        # The doorbell first: binding the new one while the old still rings costs nothing.
        try:
            doorbell = await open_doorbell(core.spool, port)
        except DoorbellError as e:
            self.report(f"{e}. claude-rpg keeps using port {old_port}.")
            return
        await listener.stop()
        listener.port = port
        try:
            await listener.start()
        except ListenerStartError as e:
            await doorbell.close()
            listener.port = old_port
            await listener.start()
            self.report(f"{e}. claude-rpg keeps using port {old_port}.")
            return
        if core.doorbell is not None:
            await core.doorbell.close()
        core.doorbell, core.doorbell_error = doorbell, None
        core.options.port = port
        core.listener_error = None
        # settings.json runs the script by path; only the script knows the port, so rewriting
        # it moves every hook at once. Without hooks installed there is nothing to move.
        if core.paths.hook_script.exists():
            write_script(core.paths, port)
            write_spare(core.paths, os.getpid())  # and its spare, for the same port
        log.info("listener and doorbell moved from port %d to %d", old_port, port)
