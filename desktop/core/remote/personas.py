"""Remote hosts' personas on the desktop: the rows each host's feed sent, kept in the store.

A remote persona is made, and earns its XP, on its host (the one place that creates personas
there); the desktop keeps the host's word for it, keyed by (host, session_id), so its XP is
never counted twice and a local session with the same id stays another persona.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from desktop.core.model import PersonaInfo
from desktop.core.progression.views import LeaderboardEntry, ranked
from desktop.store.db import Database
from desktop.store.remote_personas import RemotePersonaRepo, RemotePersonaRow

log = logging.getLogger(__name__)


def persona_row(host: str, data: Any) -> RemotePersonaRow | None:
    """A persona as a host sent it (a feed "personas" entry, or a pane's persona), checked;
    None when it is not one (a newer or broken remote: skipped, never a crash)."""
    if not isinstance(data, dict):
        return None
    pid, session_id, xp, level = (data.get(k) for k in ("id", "session_id", "xp", "level"))
    if not (isinstance(pid, int) and isinstance(session_id, str) and session_id):
        return None
    try:
        created = datetime.fromisoformat(str(data.get("created_at")))
    except ValueError:
        return None
    return RemotePersonaRow(
        host=host,
        remote_id=pid,
        session_id=session_id,
        name=str(data.get("name") or "Claude"),
        avatar_seed=str(data.get("avatar_seed") or session_id),
        created_at=created if created.tzinfo is not None else created.replace(tzinfo=UTC),
        xp=xp if isinstance(xp, int) else 0,
        level=level if isinstance(level, int) else 1,
    )


def persona_from_row(row: RemotePersonaRow) -> PersonaInfo:
    """A stored remote persona as the API and the UI show it: with its host, by its host's id."""
    return PersonaInfo(
        id=row.remote_id,
        session_id=row.session_id,
        name=row.name,
        avatar_seed=row.avatar_seed,
        created_at=row.created_at,
        xp=row.xp,
        level=row.level,
        session_ids=(row.session_id,),
        host=row.host,
    )


def merge_leaderboard(
    local: Sequence[LeaderboardEntry], remote: Sequence[PersonaInfo], limit: int
) -> list[LeaderboardEntry]:
    """One board of this machine's and the hosts' personas by XP (equal XP, equal rank; a
    local persona before a remote one of equal XP). Remote badges stay on their host: 0."""
    people = sorted(
        [(e.persona, e.badges) for e in local] + [(p, 0) for p in remote],
        key=lambda pb: -pb[0].xp,  # stable: each side keeps its own order of ties
    )
    return ranked(people[:limit])


class RemotePersonas:
    """Stores what the feeds say of their personas (loop thread) and reads them back."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._listeners: list[Callable[[], None]] = []
        # What each (host, session_id) last said in a "personas" line, and the personas a
        # pane line brought: panes repeat their persona on every status change, and what
        # is known already is not written again.
        self._seen: dict[tuple[str, str], RemotePersonaRow] = {}
        self._known: set[tuple[str, str]] = set()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener` (on the loop thread) after stored remote personas changed."""
        self._listeners.append(listener)

    def store(self, host: str, items: Iterable[Any], only_new: bool = False) -> int:
        """Store the personas a host sent (a bad entry is skipped); answer how many changed.

        `only_new`: a pane's persona only brings one the desktop lacks; the "personas" lines,
        read from the host's store right after the events that moved them, update it (a pane
        line read a moment later could otherwise put back an older XP).
        """
        rows: dict[str, RemotePersonaRow] = {}
        for item in items:
            row = persona_row(host, item)
            if row is None:
                continue
            key = (host, row.session_id)
            if only_new and (key in self._known or key in self._seen):
                continue
            if self._seen.get(key) != row:
                rows[row.session_id] = row
        if not rows:
            return 0
        with self.db.session() as s:
            changed = RemotePersonaRepo(s).upsert(list(rows.values()), replace=not only_new)
        for row in rows.values():
            self._known.add((host, row.session_id))
            if not only_new:
                self._seen[(host, row.session_id)] = row
        if changed:
            for listener in self._listeners:
                try:
                    listener()
                except Exception:  # one broken listener must not stop a host's feed
                    log.exception("remote persona listener failed")
        return changed

    def get(self, host: str, persona_id: int) -> PersonaInfo | None:
        """The persona `host` knows by `persona_id`, as last sent; None if none came."""
        with self.db.session() as s:
            row = RemotePersonaRepo(s).get(host, persona_id)
        return persona_from_row(row) if row is not None else None

    def find(self, host: str, session_id: str) -> PersonaInfo | None:
        """The persona of `host` keyed by `session_id`, as last sent; None if none came."""
        with self.db.session() as s:
            row = RemotePersonaRepo(s).find(host, session_id)
        return persona_from_row(row) if row is not None else None

    def newest(
        self, limit: int, host: str | None = None, before: int | None = None
    ) -> list[PersonaInfo]:
        """The newest `limit` remote personas (of one host, below its id `before`), oldest
        of them first."""
        with self.db.session() as s:
            rows = RemotePersonaRepo(s).newest(limit, host, before)
        return [persona_from_row(r) for r in rows]

    def top(self, limit: int) -> list[PersonaInfo]:
        """The remote personas with the most XP."""
        with self.db.session() as s:
            rows = RemotePersonaRepo(s).top(limit)
        return [persona_from_row(r) for r in rows]

    def leaderboard(self, local: Sequence[LeaderboardEntry], limit: int) -> list[LeaderboardEntry]:
        """`local` (this machine's board) with the hosts' personas merged in by XP."""
        return merge_leaderboard(local, self.top(limit), limit)
