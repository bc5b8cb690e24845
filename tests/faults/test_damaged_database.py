"""A damaged database: a sentence instead of a traceback, `doctor` and `db repair`, no event lost.

The damage is real: bytes of the file overwritten (a table's page, or the header), as a
power cut in the middle of a write or a failing disk leaves it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop.app import Options
from desktop.cli.run import open_core
from desktop.core.hooks.command import write_script
from desktop.paths import DataPaths
from desktop.qt_loop import AppEventLoop
from desktop.store.backup import list_backups
from desktop.ui.db_problem import DatabaseProblemWindow
from tests.core.test_spool import fire, numbered
from tests.faults.conftest import (
    OFFSCREEN_NOISE,
    claude_rpg,
    hooked_app,
    stored_count,
    wait_until,
)
from tests.support.app_process import free_port


def kept_aside(data: Path) -> list[Path]:
    """The damaged database files a repair moved aside (without their -wal and -shm)."""
    found = data.glob("claude-rpg.sqlite3.damaged-*")
    return [p for p in found if not p.name.endswith(("-wal", "-shm", "-journal"))]


def damage_table(database: Path, table: str) -> None:
    """Overwrite the root page of `table` with garbage (the rest of the file stays sound)."""
    conn = sqlite3.connect(database)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        found = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        root = int(found.fetchone()[0])
    finally:
        conn.close()
    with database.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\x0d\xff\xff\xff" * (page_size // 4))


def damage_header(database: Path) -> None:
    """Overwrite the file's first page: SQLite no longer sees a database at all."""
    with database.open("r+b") as f:
        f.write(b"this is no longer a database: " * 100)


def test_a_damaged_table_is_repaired_from_the_backup_and_no_event_is_lost(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    paths = DataPaths(data)
    app = hooked_app(data, tmp_path / "no-tmux.sock").start()
    events = numbered(50)
    fire(paths, events[:30])
    wait_until(lambda: stored_count(paths.database) == 30, "the first 30 events stored")
    # The app takes its first daily backup at start; the next 20 events are only in the file.
    wait_until(lambda: bool(list_backups(paths.backups)), "the first backup")
    backed_up = stored_count(list_backups(paths.backups)[0])
    fire(paths, events[30:])
    wait_until(lambda: stored_count(paths.database) == 50, "all 50 events stored")
    assert app.stop() == 0
    damage_table(paths.database, "persona")

    # Start-up: one sentence, exit 2, no traceback.
    run = claude_rpg("--headless", "--port", str(app.port), "--data-dir", str(data))
    assert run.returncode == 2, run.stderr
    assert f"The database {paths.database} is damaged" in run.stderr
    assert f"claude-rpg db repair --data-dir {data}" in run.stderr
    assert "Traceback" not in run.stderr

    doctor = claude_rpg("doctor", "--port", str(app.port), "--data-dir", str(data))
    assert doctor.returncode == 1
    assert "FAIL  data dir" in doctor.stdout and "is damaged" in doctor.stdout
    assert "run `claude-rpg db repair" in doctor.stdout
    assert "backups   last made" in doctor.stdout

    repair = claude_rpg("db", "repair", "--data-dir", str(data))
    assert repair.returncode == 0, repair.stderr
    assert "restored the backup" in repair.stdout
    assert len(kept_aside(data)) == 1, "the damaged file is kept, never deleted"
    # What the backup lacks was read from the damaged file and stored back.
    assert f"{50 - backed_up} events read from the damaged file" in repair.stdout

    app.start()
    wait_until(lambda: stored_count(paths.database) == 50, "the replayed events stored")
    health = app.get("/api/health")
    assert health["spool"]["waiting"] == 0
    assert app.stop() == 0
    assert claude_rpg("doctor", "--data-dir", str(data)).stdout.count("FAIL  data dir") == 0


def test_with_every_backup_damaged_too_a_new_database_starts_and_the_spool_keeps_events(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    paths = DataPaths(data)
    app = hooked_app(data, tmp_path / "no-tmux.sock").start()
    wait_until(lambda: bool(list_backups(paths.backups)), "the first backup")
    assert app.stop() == 0
    damage_header(paths.database)
    damage_header(list_backups(paths.backups)[0])
    run = claude_rpg("--headless", "--port", str(app.port), "--data-dir", str(data))
    assert run.returncode == 2
    assert "is damaged (file is not a database)" in run.stderr
    assert "Traceback" not in run.stderr
    # Claude goes on meanwhile: the hook exits 0 silently (run_hook asserts it), the
    # events wait in the spool.
    fire(paths, numbered(25))
    repair = claude_rpg("db", "repair", "--data-dir", str(data))
    assert repair.returncode == 0
    assert "no sound backup, so claude-rpg starts a new database" in repair.stdout
    app.start()
    wait_until(lambda: stored_count(paths.database) == 25, "the spooled events stored")
    assert app.stop() == 0


def test_repair_refuses_while_the_app_runs_and_leaves_a_sound_database_alone(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    app = hooked_app(data, tmp_path / "no-tmux.sock").start()
    try:
        busy = claude_rpg("db", "repair", "--data-dir", str(data))
        assert busy.returncode == 1
        assert "claude-rpg is running" in busy.stderr and "quit it" in busy.stderr
    finally:
        assert app.stop() == 0
    sound = claude_rpg("db", "repair", "--data-dir", str(data))
    assert sound.returncode == 0 and "nothing was changed" in sound.stdout
    assert not list(data.glob("*.damaged-*"))


@pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)
def test_the_window_comes_up_with_the_sentence_and_repair_starts_the_app(
    qapp: QApplication, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    paths = DataPaths(data)
    paths.ensure()
    paths.database.write_bytes(b"this is no longer a database: " * 100)
    write_script(paths, free_port())
    seen: list[str] = []

    def press_repair() -> None:
        windows = [w for w in qapp.topLevelWidgets() if isinstance(w, DatabaseProblemWindow)]
        if not windows or not windows[0].isVisible():
            QTimer.singleShot(20, press_repair)
            return
        window = windows[0]
        seen.append(window.message.text())
        assert window.repair_button.isVisible()
        # An event fired while the window waits is not lost either.
        fire(paths, numbered(3))
        window.repair_button.click()

    options = Options(port=0, data_dir=data, tmux_socket=str(tmp_path / "no-tmux.sock"))
    with asyncio.Runner(loop_factory=lambda: AppEventLoop(qapp)) as runner:
        QTimer.singleShot(0, press_repair)
        core = open_core(options, runner, asyncio.Event())
        assert core is not None
        runner.run(core.start())
        assert core.ingest.accepted == 3
        runner.run(core.stop())
    assert seen and f"The database {paths.database} is damaged" in seen[0]
    assert "Press Repair" in seen[0]
    assert len(kept_aside(data)) == 1
    assert stored_count(paths.database) == 3
