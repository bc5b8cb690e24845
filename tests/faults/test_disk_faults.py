"""A full disk and a read-only data dir, for real: the data dir is a tiny tmpfs.

Mounting needs root and a mount namespace of its own (so nothing shows outside the test):
the outer test re-runs the inner one under `unshare -m --propagation private` and skips,
saying why, where it cannot. Inside, the app runs headless on the tmpfs; the disk is filled
with a ballast file until ENOSPC, or the tmpfs is remounted read-only (which binds root
too, unlike file modes). The events wait in the spool, /api/health says what is wrong, and
storing resumes by itself once space or write access is back. What the hook cannot write
into the spool goes to the fallback spool (under XDG_RUNTIME_DIR, another file system), so
every event sent is stored in the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from desktop.core.hooks.fallback import fallback_spool
from desktop.paths import DataPaths
from tests.core.test_spool import fire, numbered, run_hook
from tests.faults.conftest import claude_rpg, hooked_app, stored_count, wait_until
from tests.faults.private_mount import fill, run_inside, skip_outside
from tests.support.app_process import AppProcess

TMPFS_SIZE = "4m"


def test_a_full_disk_and_a_read_only_data_dir_lose_no_spooled_event(tmp_path: Path) -> None:
    run_inside(__file__, "test_inside_a_private_mount_namespace", tmp_path)


def health(app: AppProcess) -> dict[str, object]:
    found = app.get("/api/health")
    assert isinstance(found, dict)
    return found


def store_problem(app: AppProcess) -> str:
    store = health(app)["store"]
    assert isinstance(store, dict)
    return "" if store["ok"] else str(store["problem"])


def fallback_waiting(app: AppProcess) -> int:
    spool = health(app)["spool"]
    assert isinstance(spool, dict)
    return int(spool["fallback"]["waiting"])


def spool_problem(app: AppProcess) -> str:
    spool = health(app)["spool"]
    assert isinstance(spool, dict)
    return str(spool["problem"] or "")


def read_only_while_running(app: AppProcess, paths: DataPaths, events: list[Any]) -> None:
    """The data dir made read-only under the running app; 20 events sent then, 4 after.

    `mount -o remount,ro` of the data dir's own mount is refused (EBUSY) while the app
    holds its database open for writing, so a read-only bind mount is laid over the data
    dir instead: every file made or deleted there from now on is refused (the hook's
    spool records, their deletion), while the database file the app already holds open
    stays writable (as it does under `chmod`, which does not bind root).
    """
    data = paths.root
    stored = stored_count(paths.database)
    subprocess.run(["mount", "--bind", str(data), str(data)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(data)], check=True)
        with pytest.raises(OSError, match="Read-only file system"):
            (paths.spool / "probe").write_text("the spool is read-only now")
        fire(paths, events[:20])  # through the installed hook, as Claude runs it
        wait_until(lambda: spool_problem(app) != "", "the read-only spool reported")
        assert spool_problem(app) == (
            f"Hook events cannot be written to the spool {paths.spool} (its file system is "
            f"read-only); they go to the fallback spool {health_fallback_dir(app)} meanwhile "
            "and are stored from there. Make the data dir writable again (chmod u+rwx, or "
            "mount it read-write)."
        )
        wait_until(
            lambda: stored_count(paths.database) == stored + 20, "the fallback's events stored"
        )
        assert fallback_waiting(app) == 0 and app.proc is not None and app.proc.poll() is None
        subprocess.run(["mount", "-o", "remount,bind,rw", str(data)], check=True)
    finally:
        subprocess.run(["umount", str(data)], check=False)
    wait_until(lambda: spool_problem(app) == "", "the spool writable again")
    fire(paths, events[20:24])
    wait_until(lambda: stored_count(paths.database) == stored + 24, "later events stored")
    assert not list(Path(health_fallback_dir(app)).glob("*.rec"))


def health_fallback_dir(app: AppProcess) -> str:
    spool = health(app)["spool"]
    assert isinstance(spool, dict)
    return str(spool["fallback"]["dir"])


def test_inside_a_private_mount_namespace(tmp_path: Path) -> None:
    skip_outside()
    disk, data = tmp_path / "disk", tmp_path / "data"
    disk.mkdir(mode=0o700)
    data.mkdir(mode=0o700)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(disk)],
        check=True,
    )
    # The data dir is a bind mount of that disk, so it can be made read-only on its own.
    subprocess.run(["mount", "--bind", str(disk), str(data)], check=True)
    paths = DataPaths(data)
    app = hooked_app(data, tmp_path / "no-tmux.sock").start()
    pid = app.proc.pid  # type: ignore[union-attr]
    try:
        events = numbered(80)
        fire(paths, events[:10])
        wait_until(lambda: stored_count(paths.database) == 10, "the first events stored")

        # Disk full: the next events reach the spool, then the disk fills up before the
        # app (asleep meanwhile) stores them.
        os.kill(pid, signal.SIGSTOP)
        fire(paths, events[10:30])
        ballast = fill(data)
        os.kill(pid, signal.SIGCONT)
        wait_until(lambda: "is full" in store_problem(app), "the full disk reported")
        problem = store_problem(app)
        assert problem.startswith(f"The disk holding {paths.database} is full")
        assert "new events wait in the spool" in problem
        spool = health(app)["spool"]
        assert isinstance(spool, dict) and spool["waiting"] >= 1
        # Not a byte free, not even for the spool: the hook still exits 0 and prints
        # nothing (run_hook asserts it), and the event goes to the fallback spool (seen
        # there with the app held, so it cannot have stored it yet).
        os.kill(pid, signal.SIGSTOP)
        run_hook(paths, events[30])
        assert len(list(fallback_spool(paths.root).glob("*.rec"))) == 1
        os.kill(pid, signal.SIGCONT)
        assert fallback_spool(paths.root) == Path(health_fallback_dir(app))
        ballast.unlink()
        wait_until(lambda: store_problem(app) == "", "storing to resume by itself")
        wait_until(lambda: stored_count(paths.database) == 31, "the spooled events stored")
        assert health(app)["spool"] == {**spool, "waiting": 0}  # type: ignore[dict-item]
        assert fallback_waiting(app) == 0

        fire(paths, events[31:40])
        wait_until(lambda: stored_count(paths.database) == 40, "later events stored")
        assert app.stop() == 0

        # Read-only data dir (a read-only mount binds root too, unlike chmod): events sent
        # while the app was down wait in the spool; the app cannot start on it and says why.
        fire(paths, events[40:55])
        subprocess.run(["mount", "-o", "remount,bind,ro", str(data)], check=True)
        refused = claude_rpg("--headless", "--port", str(app.port), "--data-dir", str(data))
        assert refused.returncode == 2, refused.stderr
        assert f"The database {paths.database} cannot be written" in refused.stderr
        assert "Traceback" not in refused.stderr
        run_hook(paths, events[55])  # silent and exit 0 on a read-only spool: to the fallback
        subprocess.run(["mount", "-o", "remount,bind,rw", str(data)], check=True)
        app.start()
        wait_until(lambda: stored_count(paths.database) == 56, "every spooled event stored")
        assert fallback_waiting(app) == 0

        read_only_while_running(app, paths, events[56:])
        assert app.stop() == 0
        assert stored_count(paths.database) == len(events)
    finally:
        app.stop()
        subprocess.run(["umount", "-l", str(data)], check=False)
        subprocess.run(["umount", "-l", str(disk)], check=False)
