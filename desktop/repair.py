"""`claude-rpg db repair` and the window's Repair button: one way back from a damaged database.

The damaged file is kept beside the new one; the newest sound backup is restored (or a new
database starts); the events still readable in the damaged file and not in the backup go
back into the spool, where the app stores them on its next start like any event it missed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from desktop.core.hooks.spool import record_bytes, write_record
from desktop.paths import DataPaths
from desktop.store.problems import DatabaseProblem, check_file
from desktop.store.repair import RepairReport, known_keys, repair_database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepairOutcome:
    """What a repair did, for the terminal and the window."""

    report: RepairReport | None  # None: the database was sound, nothing was touched
    replayed: int = 0  # salvaged events put back into the spool

    def sentence(self, database: str) -> str:
        report = self.report
        if report is None:
            return f"The database {database} is sound or absent; nothing was changed."
        source = (
            f"restored the backup {report.restored_from.name}"
            if report.restored_from is not None
            else "there was no sound backup, so claude-rpg starts a new database"
        )
        return (
            f"Repaired: the damaged file is kept as {report.moved_to}; {source}; "
            f"{self.replayed} events read from the damaged file wait in the spool and are "
            "stored when claude-rpg starts."
        )


def database_problem(paths: DataPaths) -> DatabaseProblem | None:
    """The database's problem (SQLite's quick check), or None when it is sound or absent."""
    if not paths.database.exists():
        return None
    return check_file(paths.database)


def repair(paths: DataPaths, now: dt.datetime | None = None) -> RepairOutcome:
    """Repair a damaged database (see the module); a sound one is left as it is."""
    if database_problem(paths) is None:
        return RepairOutcome(None)
    report = repair_database(paths.database, paths.backups, now or dt.datetime.now(dt.UTC))
    have = known_keys(paths.database, [e.dedupe_key for e in report.salvaged])
    paths.ensure()
    replayed = 0
    for event in report.salvaged:
        if event.dedupe_key in have:
            continue
        body = event.payload.encode("utf-8", "replace")
        data = record_bytes(
            event.dedupe_key, event.stamp, event.pane_id, event.claude_pid, event.event_name, body
        )
        write_record(paths.spool, event.dedupe_key, data)
        replayed += 1
    log.info("repair: %d salvaged events put back into the spool", replayed)
    return RepairOutcome(report, replayed)
