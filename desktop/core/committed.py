"""Memory kept beside the database that follows only what was committed.

The loop thread remembers some of what it writes (a pane's binding, a session's persona id)
so it need not read it back for every event. What a transaction wrote may only be
remembered once it commits: a batch that rolls back (a full disk, a read-only file) leaves
nothing behind in memory, or the next event would trust a binding or a persona id the
database never got (the id may by then belong to another session's persona).
"""

from __future__ import annotations

import logging
from typing import Generic, TypeVar

from sqlalchemy import event as sa_event
from sqlmodel import Session

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")


class CommittedMap(Generic[K, V]):
    """A dict whose changes made in a transaction show only once that transaction commits.

    `committed` is the dict as the database has it; `put` holds a change in the open
    transaction's session until it commits (applied) or rolls back (dropped).
    """

    def __init__(self, what: str) -> None:
        self.what = what  # for the log line when changes are dropped
        self.committed: dict[K, V] = {}
        self._pending: dict[K, V] = {}
        self._in: Session | None = None

    def get(self, key: K, s: Session | None = None) -> V | None:
        """The value as transaction `s` sees it (its own changes first), or as committed."""
        if s is not None and s is self._in and key in self._pending:
            return self._pending[key]
        return self.committed.get(key)

    def put(self, s: Session, key: K, value: V) -> None:
        """Set `key` in transaction `s`: remembered when it commits, forgotten if not."""
        self._watch(s)
        self._pending[key] = value

    def _watch(self, s: Session) -> None:
        if self._in is s:
            return
        # Left by a transaction that neither committed nor rolled back (its rollback failed).
        self._pending.clear()
        self._in = s
        sa_event.listen(s, "after_commit", self._committed)
        sa_event.listen(s, "after_soft_rollback", self._rolled_back)

    def _committed(self, s: Session) -> None:
        if s is self._in:
            self.committed.update(self._pending)
            self._pending.clear()

    def _rolled_back(self, s: Session, _previous: object) -> None:
        if s is not self._in:
            return
        if self._pending:
            log.info("%d %s dropped with their rolled-back batch", len(self._pending), self.what)
        self._pending.clear()
