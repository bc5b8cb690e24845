"""The data dir removed while the app runs (`rm -rf`): put back whole, no event lost."""

from __future__ import annotations

import shutil
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
    events = numbered(30)
    try:
        fire(paths, events[:15])
        wait_until(lambda: stored_count(paths.database) == 15, "the first events stored")
        shutil.rmtree(data)
        wait_until(
            lambda: paths.database.exists() and paths.hook_script.exists(), "the data dir put back"
        )
        assert paths.hook_script.read_bytes() == hook
        assert paths.secret_file.read_text() == secret
        assert paths.secret_file.stat().st_mode & 0o077 == 0
        assert stored_count(paths.database) == 15, "what was stored before came back"
        restored = app.get("/api/health")["data_dir_restored"]
        assert restored["times"] == 1
        assert restored["notice"] == (
            f"The data dir {data} was removed while claude-rpg ran; it was put back "
            "(database, hook script, secret) and no event was lost."
        )
        fire(paths, events[15:])
        wait_until(lambda: stored_count(paths.database) == 30, "the later events stored")
        # The log file is written again where it was (the restore is logged in it).
        log_file = paths.logs / "claude-rpg.log"
        wait_until(log_file.exists, "the log file reopened")
        wait_until(lambda: "was removed while the app ran" in log_file.read_text(), "logged")
    finally:
        assert app.stop() == 0
    assert stored_count(paths.database) == 30
