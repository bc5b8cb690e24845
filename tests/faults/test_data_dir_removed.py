"""The data dir removed while the app runs (`rm -rf`): put back whole, no event lost.

Hook calls in the moment before the app notices find no hook script in the data dir: the
settings.json command then runs the spare copy in the config dir, which makes the spool
again and writes the event there. The test holds the app (SIGSTOP) so those calls surely
come before it notices.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

from desktop.paths import DataPaths
from tests.core.test_spool import fire, numbered
from tests.faults.conftest import hooked_app, stored_count, wait_until


def test_a_data_dir_removed_while_running_is_put_back_with_every_event(tmp_path: Path) -> None:
    data = tmp_path / "data"
    paths = DataPaths(data)
    app = hooked_app(data, tmp_path / "no-tmux.sock").start()
    hook = paths.hook_script.read_bytes()
    secret = paths.secret_file.read_text()
    events = numbered(35)
    pid = app.proc.pid  # type: ignore[union-attr]
    try:
        fire(paths, events[:15])
        wait_until(lambda: stored_count(paths.database) == 15, "the first events stored")
        os.kill(pid, signal.SIGSTOP)  # it cannot notice before the next hook calls
        shutil.rmtree(data)
        # The data dir's hook script is gone: the spare copy spools them (run_hook asserts
        # the hook exits 0 and prints nothing).
        fire(paths, events[30:])
        assert not paths.hook_script.exists() and len(list(paths.spool.glob("*.rec"))) == 5
        os.kill(pid, signal.SIGCONT)
        wait_until(
            lambda: paths.database.exists() and paths.hook_script.exists(), "the data dir put back"
        )
        assert paths.hook_script.read_bytes() == hook
        assert paths.secret_file.read_text() == secret
        assert paths.secret_file.stat().st_mode & 0o077 == 0
        wait_until(lambda: stored_count(paths.database) == 20, "the spare's events stored")
        restored = app.get("/api/health")["data_dir_restored"]
        assert restored["times"] == 1
        assert restored["notice"] == (
            f"The data dir {data} was removed while claude-rpg ran; it was put back "
            "(database, hook script, secret) and no event was lost."
        )
        fire(paths, events[15:30])
        wait_until(lambda: stored_count(paths.database) == 35, "the later events stored")
        # The log file is written again where it was (the restore is logged in it).
        log_file = paths.logs / "claude-rpg.log"
        wait_until(log_file.exists, "the log file reopened")
        wait_until(lambda: "was removed while the app ran" in log_file.read_text(), "logged")
    finally:
        assert app.stop() == 0
    assert stored_count(paths.database) == 35
