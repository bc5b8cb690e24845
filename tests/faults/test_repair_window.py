"""The windowed app on a damaged database, end to end: a person presses Repair.

The real app runs as a process on a private Xvfb (the xcb platform, real fonts), its
database damaged for real. The window "claude-rpg cannot open its database" comes up;
Claude goes on meanwhile (events through the installed hook script wait in the spool); a
click on Repair (xdotool moves the pointer there and clicks, as a user would) repairs the
database and the app starts as usual, storing every event sent while the window waited.
"""

from __future__ import annotations

from pathlib import Path

from desktop.paths import DataPaths
from desktop.store.backup import list_backups
from tests.core.test_spool import fire, numbered
from tests.faults.conftest import hooked_app, stored_count, wait_until
from tests.faults.test_damaged_database import damage_table, kept_aside
from tests.support.app_process import AppProcess
from tests.support.xvfb import find_window, geometry, need_tools, private_display, screenshot, x_run

DIALOG_TITLE = "the database needs attention"
MAIN_TITLE = "^claude-rpg$"  # the main window's title, exactly
# DatabaseProblemWindow's layout: Repair is the last button at the bottom right, inside
# margins of 24 (right) and 20 (bottom) pixels; a point just inside that corner is on it.
REPAIR_FROM_RIGHT, REPAIR_FROM_BOTTOM = 24 + 12, 20 + 8


def test_repair_clicked_in_the_real_window_starts_the_app_and_keeps_every_event(
    tmp_path: Path,
) -> None:
    need_tools("Xvfb", "xdotool", "import")
    data = tmp_path / "data"
    paths = DataPaths(data)
    tmux = tmp_path / "no-tmux.sock"
    headless = hooked_app(data, tmux).start()
    events = numbered(25)
    fire(paths, events[:10])
    wait_until(lambda: stored_count(paths.database) == 10, "the first events stored")
    wait_until(lambda: bool(list_backups(paths.backups)), "the first backup")
    assert headless.stop() == 0
    damage_table(paths.database, "persona")

    with private_display() as env:
        app = AppProcess(
            data, tmux, port=headless.port, headless=False, platform="xcb", env=env
        ).launch()
        try:
            dialog = find_window(env, DIALOG_TITLE)
            assert dialog is not None, f"no window saying the database is damaged:\n{app.log()}"
            # Claude goes on while the window waits: its events wait in the spool.
            fire(paths, events[10:])
            assert len(list(paths.spool.glob("*.rec"))) == 15
            screenshot(env, tmp_path / "damaged.png")

            box = geometry(env, dialog)
            x = box["X"] + box["WIDTH"] - REPAIR_FROM_RIGHT
            y = box["Y"] + box["HEIGHT"] - REPAIR_FROM_BOTTOM
            x_run(env, "xdotool", "mousemove", str(x), str(y), "click", "1")

            app.wait_ready(timeout=60)
            wait_until(lambda: stored_count(paths.database) == 25, "every event stored", 30)
            health = app.get("/api/health")
            assert health["status"] == "ok"
            assert health["store"]["ok"] is True
            assert health["spool"]["waiting"] == 0
            assert find_window(env, MAIN_TITLE) is not None, f"no main window:\n{app.log()}"
            assert find_window(env, DIALOG_TITLE, timeout=0) is None
            screenshot(env, tmp_path / "repaired.png")
            assert len(kept_aside(data)) == 1, "the damaged file is kept aside, never deleted"
        finally:
            code = app.stop()
        assert code == 0, app.log()
    assert stored_count(paths.database) == 25  # as many stored as sent, none twice
