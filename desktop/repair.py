"""`claude-rpg db repair` and the window's Repair button: one way back from a damaged database.

The damaged file is kept beside the new one; the newest sound backup is restored (or a new
database starts); the events still readable in the damaged file and not in the backup are
stored back into it (their compact rows, with their personas), and progression counts them
on the app's next start like any event it had not applied yet.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from desktop.core.history.transfer import add_events
from desktop.paths import DataPaths
from desktop.store.db import Database
from desktop.store.problems import DatabaseProblem, check_file
from desktop.store.repair import RepairReport, repair_database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepairOutcome:
    """What a repair did, for the terminal and the window."""

    report: RepairReport | None  # None: the database was sound, nothing was touched
    replayed: int = 0  # salvaged events stored back

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
            f"{self.replayed} events read from the damaged file are back in the database and "
            "count when claude-rpg starts."
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
    paths.ensure()
    db = Database(paths.database)
    try:
        replayed, _known = add_events(db, [e.values() for e in report.salvaged], cause="repair")
    finally:
        db.close()
    log.info("repair: %d salvaged events stored back", replayed)
    return RepairOutcome(report, replayed)
