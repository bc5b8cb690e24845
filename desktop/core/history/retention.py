"""Retention: the compact log is kept; the details beyond its facts are capped.

Each event keeps its facts for good (ids, stamp, tool, cwd, outcome, sizes, is_commit,
is_test_run...: what progression, status and reports count). Its details (the redacted
input summary, the transcript path, the model) are dropped:

- once the event is older than `detail_days` (settings [history] detail_days, 0: never);
- from the oldest events on while the database file is larger than `max_mb` (settings
  [history] max_mb, 0: no cap): each pass that finds the file too large halves the age
  past which details go (down to a day). SQLite reuses the freed room for new events, so
  the file stops growing; the facts alone are never deleted.

It runs in the background on the loop thread, in small batches (one short transaction
each, the loop free in between), so hook events are stored while it works. Thinning
changes no XP: a rebuild pays the same, with shorter ledger reasons for thinned events.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

from desktop.core.tasks import cancel_and_wait
from desktop.store.db import Database, driver_execute

log = logging.getLogger(__name__)

DAY_S = 86400.0
BATCH = 500
PASS_INTERVAL_S = 3600.0
FIRST_PASS_AFTER_S = 60.0
# The record keys that are details; everything else in a record is a fact.
DETAILS = ("summary", "transcript_path", "model")
_MARK = "details"
# Keyset pagination over (stamp, id): the mark is the last event whose details are gone.
_ROWS = (
    "SELECT id, stamp, record FROM hook_event"
    " WHERE (stamp > ? OR (stamp = ? AND id > ?)) AND stamp < ? ORDER BY stamp, id LIMIT ?"
)
_SET_MARK = (
    "INSERT INTO retention_mark (name, stamp, last_id) VALUES (?, ?, ?)"
    " ON CONFLICT (name) DO UPDATE SET stamp = excluded.stamp, last_id = excluded.last_id"
)


def thinned(record: str) -> str | None:
    """The record without its details, or None when it has none."""
    if not any(f'"{key}"' in record for key in DETAILS):
        return None
    data = json.loads(record)
    for key in DETAILS:
        data.pop(key, None)
    return json.dumps(data, separators=(",", ":")) if data else "{}"


class Retention:
    """Drops details past the configured age or size, a batch at a time."""

    def __init__(
        self,
        db: Database,
        detail_days: int,
        max_mb: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.detail_days = detail_days
        self.max_mb = max_mb
        self.clock = clock
        self.window_s = detail_days * DAY_S if detail_days > 0 else float("inf")
        self._task: asyncio.Task[None] | None = None

    # --- one batch -----------------------------------------------------------------------

    def _mark(self) -> tuple[float, int]:
        with self.db.session() as s:
            row = driver_execute(
                s, "SELECT stamp, last_id FROM retention_mark WHERE name = ?", (_MARK,)
            ).fetchone()
        return (float(row[0]), int(row[1])) if row else (-1e300, 0)

    def database_mb(self) -> float:
        with self.db.session() as s:
            pages = driver_execute(s, "PRAGMA page_count").fetchone()[0]
            size = driver_execute(s, "PRAGMA page_size").fetchone()[0]
        return float(pages) * float(size) / 1e6

    def cutoff(self) -> float:
        """Events stamped before this lose their details now."""
        if self.max_mb > 0 and self.database_mb() > self.max_mb:
            # Too large: details go from younger events too, halving the window each pass.
            base = self.window_s if self.window_s != float("inf") else 365 * DAY_S
            self.window_s = max(DAY_S, base / 2)
            log.info(
                "the database is over %d MB: event details older than %.0f days are dropped",
                self.max_mb,
                self.window_s / DAY_S,
            )
        if self.window_s == float("inf"):
            return float("-inf")
        return self.clock() - self.window_s

    def thin_batch(self, cutoff: float) -> tuple[int, int]:
        """Drop the details of the next BATCH events stamped before `cutoff`, oldest first.

        Returns (events read, events changed); fewer read than BATCH: none is left.
        """
        stamp, last_id = self._mark()
        with self.db.session() as s:
            rows = driver_execute(s, _ROWS, (stamp, stamp, last_id, cutoff, BATCH)).fetchall()
            changed = 0
            for rid, _stamp, record in rows:
                new = thinned(record)
                if new is not None:
                    driver_execute(s, "UPDATE hook_event SET record = ? WHERE id = ?", (new, rid))
                    changed += 1
            if rows:
                driver_execute(s, _SET_MARK, (_MARK, rows[-1][1], rows[-1][0]))
        return len(rows), changed

    def thin_all(self, cutoff: float) -> int:
        """thin_batch() until nothing is left before `cutoff`; how many events changed."""
        total = 0
        while True:
            read, changed = self.thin_batch(cutoff)
            total += changed
            if read < BATCH:
                return total

    # --- in the background ---------------------------------------------------------------

    async def run_pass(self, pause_s: float = 0.02) -> int:
        """One pass: every batch due now, with the loop free between batches."""
        if self.detail_days <= 0 and self.max_mb <= 0:
            return 0
        cutoff = self.cutoff()
        if cutoff == float("-inf"):
            return 0
        total = 0
        while True:
            read, changed = self.thin_batch(cutoff)
            total += changed
            if read < BATCH:
                break
            await asyncio.sleep(pause_s)  # hook events go first
        if total:
            log.info("retention: dropped the details of events before %s", time.ctime(cutoff))
        return total

    async def _run_forever(self) -> None:
        await asyncio.sleep(FIRST_PASS_AFTER_S)
        while True:
            try:
                await self.run_pass()
            except Exception:  # retention must never stop the app; it tries again later
                log.exception("retention pass failed")
            await asyncio.sleep(PASS_INTERVAL_S)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run_forever(), name="retention")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
