"""After a write the disk refused, memory holds only what the database holds.

The fault is real: the data dir is a 4 MB tmpfs filled up until ENOSPC, so SQLite's own
commit fails ("database or disk is full") and the batch rolls back. The events come in
through the installed hook script and the spool, as Claude Code sends them, and the spool
stores them once there is room again. What the tracker remembers of a pane (its binding:
session and persona) and what the persona service remembers of a session (its persona id)
must then be what the database says, or a card shows another session's persona.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from desktop.core.hooks.command import write_script
from desktop.core.hooks.spool import SpoolDrain
from desktop.core.ingest import EventIngest
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.core.sessions import SessionTracker
from desktop.paths import DataPaths
from desktop.store.db import Database
from tests.core.test_spool import RECORDED, run_hook
from tests.faults.conftest import stored_count
from tests.faults.private_mount import fill, run_inside, skip_outside, tmpfs
from tests.support.app_process import free_port

PANE = "%4"  # the pane the hook's environment names (tests.core.test_spool.HOOK_ENV)
START = next(e for e in RECORDED if e["hook_arg"] == "SessionStart")


def session_start(session_id: str) -> dict[str, Any]:
    """A recorded SessionStart hook call, for another session id."""
    return {**START, "payload": {**START["payload"], "session_id": session_id}}


def stored_binding(database: Path) -> tuple[str, int] | None:
    """(session id, persona id) of PANE's stored binding, read as a second process would."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT session_id, persona_id FROM pane_binding WHERE pane_id = ?", (PANE,)
        ).fetchone()
    finally:
        conn.close()
    return (str(row[0]), int(row[1])) if row else None


class Core:
    """The ingest path of the app on a real data dir: the store, the tracker, the spool."""

    def __init__(self, paths: DataPaths) -> None:
        self.db = Database(paths.database)
        self.personas = PersonaService(self.db)
        self.tracker = SessionTracker(self.db, PaneRegistry())
        self.ingest = EventIngest(self.db, self.personas, self.tracker)
        self.spool = SpoolDrain(paths.spool, self.ingest)

    def drain(self) -> None:
        asyncio.run(self.spool.drain())

    def remembered(self) -> tuple[str, int] | None:
        """(session id, persona id) of PANE's binding as the tracker remembers it."""
        binding = self.tracker.binding(PANE)
        return (binding.session_id, binding.persona.id) if binding else None

    def persona_of(self, session_id: str) -> int | None:
        """The persona id the store leads a session to (None: no persona yet)."""
        found = self.personas.find_persona_by_session_id(session_id)
        return found.id if found else None


def test_memory_follows_only_committed_writes_on_a_full_disk(tmp_path: Path) -> None:
    run_inside(__file__, "test_inside_a_private_mount_namespace", tmp_path)


def test_inside_a_private_mount_namespace(tmp_path: Path) -> None:
    skip_outside()
    with tmpfs(tmp_path / "data") as data:
        paths = DataPaths(data)
        write_script(paths, free_port())  # nobody listens: the records wait for a drain
        core = Core(paths)
        try:
            check_a_failed_batch_leaves_memory_as_the_store(core, paths)
        finally:
            core.db.close()
        # What a restart reads back is what memory held.
        again = Core(paths)
        try:
            again.tracker.load_bindings({p.id: p for p in again.personas.all()})
            assert again.remembered() == stored_binding(paths.database)
        finally:
            again.db.close()


def check_a_failed_batch_leaves_memory_as_the_store(core: Core, paths: DataPaths) -> None:
    run_hook(paths, session_start("first"))
    core.drain()
    first = core.persona_of("first")
    assert first is not None
    assert core.remembered() == stored_binding(paths.database) == ("first", first)

    # A second session starts in the pane; its record reaches the spool, then the disk
    # fills up before the app stores it: SQLite's commit fails and the batch rolls back.
    run_hook(paths, session_start("second"))
    ballast = fill(paths.root)
    core.drain()
    assert core.spool.store_error is not None
    assert "full" in str(core.spool.store_error)
    assert core.spool.backlog() == 1
    assert stored_binding(paths.database) == ("first", first)
    assert core.remembered() == ("first", first), "memory kept a binding never stored"
    assert core.persona_of("second") is None

    # Room again. A third session's record comes in stamped before the waiting one (its
    # clock was set back), so the spool stores it first: the persona id the failed batch
    # had given "second" now belongs to "third".
    ballast.unlink()
    second_stamp = float(_record_header(paths))
    run_hook(paths, session_start("third"), stamp=f"{second_stamp - 60:.6f}")
    core.drain()
    assert core.spool.store_error is None
    assert core.spool.backlog() == 0
    assert stored_count(paths.database) == 3  # every event sent is stored
    second, third = core.persona_of("second"), core.persona_of("third")
    assert second is not None and third is not None and len({first, second, third}) == 3
    # The waiting event was finally stored, and its binding with it: memory and store agree
    # on the persona the store leads "second" to, not on the one its failed batch made.
    assert stored_binding(paths.database) == ("second", second)
    assert core.remembered() == ("second", second)


def _record_header(paths: DataPaths) -> str:
    """The stamp field of the one record waiting in the spool (its header's third field)."""
    (record,) = paths.spool.glob("*.rec")
    return record.read_bytes().split(b"\n", 1)[0].split(b"\t")[2].decode()
