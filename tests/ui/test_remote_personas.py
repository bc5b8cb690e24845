"""A remote host's persona in the real shell: the leaderboard row and its page.

The "remote" is a second real core whose store gets the recorded progression session (its
own personas and XP); the real `remote feed` code reads that store and writes its lines,
which the desktop's real link stores. The desktop's own core gets part of the same session,
so a local and a remote persona share one session id.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.app import CoreApp, Options
from desktop.core.remote.feed import run_feed
from desktop.core.remote.hosts import HostConfig, add_host
from desktop.core.remote.protocol import decode
from desktop.ui.persona_page import RemotePersonaPageView
from desktop.ui.shell import build_shell
from tests.core.progression_events import incoming
from tests.support.app_process import free_port
from tests.ui.test_progression_ui_loop import FIXTURE, SESSION, recorded_events

HOST = "devbox"


def feed_lines(remote: CoreApp, since: int) -> list[dict[str, Any]]:
    """One pass of the real feed over the remote's store (no app answers its panes)."""
    out = io.BytesIO()
    turns = itertools.chain([True], itertools.repeat(False))
    run_feed(remote.paths, free_port(), since, out, interval=0.0, keep_going=lambda: next(turns))
    return [decode(line) for line in out.getvalue().splitlines(keepends=True)]


def core(data_dir: Path) -> CoreApp:
    return CoreApp(Options(port=0, data_dir=data_dir, tmux_socket=str(data_dir / "no-tmux")))


def test_a_remote_persona_has_a_leaderboard_row_with_its_host_and_a_page(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    events = recorded_events()
    remote = core(tmp_path / "remote")
    add_host(tmp_path / "desk", HostConfig(HOST, "devbox.invalid"))
    desk = core(tmp_path / "desk")
    shell = build_shell(desk)
    try:
        # The remote's app stores the whole session and awards its XP there.
        for i, row in enumerate(events):
            remote.ingest.ingest(incoming(FIXTURE.stem, i, row))
        there = remote.personas.find_persona_by_session_id(SESSION)
        assert there is not None and there.xp > 0
        # This machine sees the first half of a session with the very same id.
        for i, row in enumerate(events[: len(events) // 2]):
            desk.ingest.ingest(incoming(FIXTURE.stem, i, row))
        here = desk.personas.find_persona_by_session_id(SESSION)
        assert here is not None and 0 < here.xp < there.xp

        lines = feed_lines(remote, since=0)
        assert [m["type"] for m in lines] == ["hello", "events", "personas", "panes"]
        link = desk.remote.links[0]
        for message in lines:
            assert link._handle(message) is None

        board = shell.window.show_leaderboard()
        rows = {(r.entry.persona.host, r.entry.persona.session_id): r for r in board.rows}
        assert set(rows) == {(HOST, SESSION), ("local", SESSION)}
        far, near = rows[(HOST, SESSION)], rows[("local", SESSION)]
        # Each persona with the XP of the machine that earned it, nothing counted twice.
        assert far.entry.persona.xp == there.xp and far.entry.persona.id == there.id
        assert near.entry.persona.xp == here.xp
        assert [r.entry.persona.host for r in board.rows] == [HOST, "local"]  # most XP first
        assert far.detail.text() == f"Level {there.level} · on {HOST}"
        assert near.detail.text() == f"Level {here.level}"
        assert far.xp.text() == f"{there.xp:,} XP"
        # Its badges are kept on its host: the row shows no count rather than a wrong zero.
        assert far.badges.isHidden() and not near.badges.isHidden()

        with qtbot.waitSignal(board.remote_persona_activated) as opened:
            qtbot.mouseDClick(far, Qt.MouseButton.LeftButton)
        assert opened.args == [HOST, SESSION]
        page = shell.window.remote_persona_pages[(HOST, SESSION)]
        view = page.view
        assert isinstance(view, RemotePersonaPageView)
        assert view.name.text() == there.name
        assert view.level.text() == f"Level {there.level} · {there.xp:,} XP"
        assert view.since.text().startswith(f"On {HOST} · persona {there.id} there · since ")
        assert view.session_label.text() == SESSION
        assert view.session_note.text() == "no pane shows it now"
        assert f"kept on {HOST}" in view.kept_on.text()
        # The local persona of the same session id keeps its own page and XP.
        local_page = shell.window.open_persona_page(here.id)
        assert local_page.view is not None and local_page.view.page.persona.xp == here.xp
        shell.window.resize(1000, 700)
        board.grab().save(str(tmp_path / "leaderboard.png"))
        page.grab().save(str(tmp_path / "remote-persona.png"))

        # The remote moves on: its next feed pass brings the new XP, and the open board and
        # page follow it; the desktop's own persona does not move.
        base = len(events)
        for i, row in enumerate(events):
            remote.ingest.ingest(incoming(f"{FIXTURE.stem}-again", base + i, row))
        grown = remote.personas.find_persona_by_session_id(SESSION)
        assert grown is not None and grown.xp > there.xp
        cursor = max(e["id"] for m in lines if m["type"] == "events" for e in m["events"])
        for message in feed_lines(remote, since=cursor)[1:]:
            link._handle(message)
        qtbot.waitUntil(lambda: far.entry.persona.xp == grown.xp)
        assert far.xp.text() == f"{grown.xp:,} XP"
        qtbot.waitUntil(
            lambda: (
                page.view is not None
                and page.view.level.text() == f"Level {grown.level} · {grown.xp:,} XP"
            )
        )
        again = desk.personas.find_persona_by_session_id(SESSION)
        assert again is not None and again.xp == here.xp
    finally:
        shell.close()
        desk.db.close()
        remote.db.close()
