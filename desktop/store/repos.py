"""Repositories: the only SQL the app runs, grouped by table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, Table, bindparam, delete, func
from sqlalchemy import select as core_select
from sqlalchemy.dialects.sqlite import insert
from sqlmodel import Session, col, select

from desktop.store.db import driver_execute, driver_executemany
from desktop.store.models import (
    Badge,
    Challenge,
    HookEvent,
    PaneBinding,
    Persona,
    PersonaSession,
    ProgressionState,
    XpAward,
    utcnow,
)


class StoredRow(NamedTuple):
    """A stored event's compact row and the persona its session leads to."""

    id: int
    event_name: str
    session_id: str
    stamp: float
    tool_name: str | None
    cwd: str | None
    record: str
    persona_id: int


class PersonaRow(NamedTuple):
    """A persona's columns, read past the ORM (the per-event path)."""

    id: int
    session_id: str
    name: str
    avatar_seed: str
    created_at: datetime
    xp: int
    level: int


_PERSONA_ROW_SQL = (
    "SELECT id, session_id, name, avatar_seed, created_at, xp, level FROM persona WHERE id = ?"
)


class PersonaRepo:
    """Personas and the session ids that lead to them."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def find_by_session(self, session_id: str) -> Persona | None:
        stmt = (
            select(Persona)
            .join(PersonaSession, col(PersonaSession.persona_id) == col(Persona.id))
            .where(PersonaSession.session_id == session_id)
        )
        found = self.s.exec(stmt).first()
        if found is not None:
            return found
        return self.s.exec(select(Persona).where(Persona.session_id == session_id)).first()

    def insert_if_absent(
        self, session_id: str, name: str, avatar_seed: str
    ) -> tuple[Persona, bool]:
        """Insert a persona for session_id unless one exists; the UNIQUE constraint decides."""
        result = self.s.exec(
            insert(Persona)
            .values(session_id=session_id, name=name, avatar_seed=avatar_seed, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["session_id"])
        )
        created = bool(result.rowcount)
        persona = self.s.exec(select(Persona).where(Persona.session_id == session_id)).one()
        self.link_session(session_id, persona.id or 0, "created")
        return persona, created

    def link_session(self, session_id: str, persona_id: int, reason: str) -> None:
        self.s.exec(
            insert(PersonaSession)
            .values(session_id=session_id, persona_id=persona_id, reason=reason, linked_at=utcnow())
            .on_conflict_do_nothing(index_elements=["session_id"])
        )

    def get(self, persona_id: int) -> Persona | None:
        return self.s.get(Persona, persona_id)

    def row(self, persona_id: int) -> PersonaRow | None:
        """A persona's columns as a plain row: ingest reads one per event, and an ORM object
        (or even a Core statement) costs more than the read itself."""
        found = driver_execute(self.s, _PERSONA_ROW_SQL, (persona_id,)).fetchone()
        if found is None:
            return None
        pid, session_id, name, seed, created_at, xp, level = found
        return PersonaRow(pid, session_id, name, seed, sql_time_value(created_at), xp, level)

    def all(self) -> Sequence[Persona]:
        return self.s.exec(select(Persona).order_by(col(Persona.id))).all()

    def newest(self, limit: int, before: int | None = None) -> list[Persona]:
        """The newest `limit` personas (ids below `before`, if given), in id order."""
        stmt = select(Persona).order_by(col(Persona.id).desc()).limit(limit)
        if before is not None:
            stmt = stmt.where(col(Persona.id) < before)
        return list(reversed(self.s.exec(stmt).all()))

    def session_ids(self, persona_id: int) -> list[str]:
        stmt = (
            select(PersonaSession.session_id)
            .where(PersonaSession.persona_id == persona_id)
            .order_by(col(PersonaSession.linked_at))
        )
        return list(self.s.exec(stmt).all())

    def session_links(self, persona_id: int) -> Sequence[PersonaSession]:
        """Every session id of a persona with why it leads there, oldest link first."""
        stmt = (
            select(PersonaSession)
            .where(PersonaSession.persona_id == persona_id)
            .order_by(col(PersonaSession.linked_at), col(PersonaSession.session_id))
        )
        return self.s.exec(stmt).all()


_EVENT_TABLE: Table = HookEvent.__table__  # type: ignore[attr-defined]
_EVENT_INSERT_SQL = (
    "INSERT INTO hook_event (dedupe_key, event_name, session_id, pane_id, claude_pid, stamp,"
    " received_at, tool_name, cwd, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)


_EVENT_ROWS_SQL = (
    "SELECT id, dedupe_key, event_name, session_id, pane_id, claude_pid, stamp, received_at,"
    " tool_name, cwd, record FROM hook_event WHERE id > ? ORDER BY id LIMIT ?"
)


# A persona's paying events (its ledger grouped by event), in the order its XP chart runs.
_XP_EVENT_COUNT_SQL = (
    "SELECT count(*) FROM (SELECT 1 FROM xp_award WHERE persona_id = ? GROUP BY event_id)"
)
_XP_TOTALS_AT_SQL = """
WITH per_event AS (
    SELECT min(awarded_at) AS at, sum(amount) AS xp, event_id
    FROM xp_award WHERE persona_id = ? GROUP BY event_id
), running AS (
    SELECT at, sum(xp) OVER w AS total, row_number() OVER w - 1 AS i FROM per_event
    WINDOW w AS (ORDER BY at, event_id ROWS UNBOUNDED PRECEDING)
)
SELECT at, total FROM running WHERE i IN (SELECT value FROM json_each(?)) ORDER BY i
"""


def sql_time_value(text: str) -> datetime:
    """What the models' UTCDateTime columns read from text that sql_time() (or the ORM) wrote."""
    when = datetime.fromisoformat(text)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def sql_time(when: datetime | None) -> str | None:
    """A datetime as the models' UTCDateTime columns store it: the UTC wall time, no offset.

    Plain SQL must write what the ORM would, so every read sees the same instant.
    """
    if when is None:
        return None
    if when.tzinfo is not UTC:
        if when.utcoffset() is None:
            raise ValueError(f"{when!r} has no time zone; the store keeps aware datetimes only")
        when = when.astimezone(UTC)
    # isoformat: several times faster than strftime, and this runs a few times per event.
    return when.replace(tzinfo=None).isoformat(" ", "microseconds")


class EventRepo:
    """The log of accepted hook events, one compact row each (see HookEvent)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def append(self, event: HookEvent) -> bool:
        """Store the event unless its dedupe key is known; True when it was new."""
        return self.append_values(event.model_dump(exclude={"id"}))

    def append_values(self, values: dict[str, Any]) -> bool:
        """append() from the HookEvent column values (received_at defaults to now)."""
        return self.append_values_id(values) is not None

    def append_values_id(self, values: dict[str, Any]) -> int | None:
        """append_values(), answering the new row's id; None for a known dedupe key."""
        # Plain SQL on the session's connection: the ORM, and even a Core statement, cost
        # more than the write itself (ingest runs this per event).
        received = values.get("received_at") or utcnow()
        cursor = driver_execute(
            self.s,
            _EVENT_INSERT_SQL,
            (
                values["dedupe_key"],
                values["event_name"],
                values["session_id"],
                values.get("pane_id"),
                values.get("claude_pid"),
                values["stamp"],
                sql_time(received),
                values.get("tool_name"),
                values.get("cwd"),
                values.get("record", "{}"),
            ),
        )
        return cursor.lastrowid if cursor.rowcount == 1 else None

    def count(self) -> int:
        return int(self.s.exec(select(func.count()).select_from(HookEvent)).one())

    def compact_rows(self, after_id: int, limit: int) -> list[tuple[Any, ...]]:
        """Up to `limit` rows after `after_id` in id order: id, then every stored column."""
        return driver_execute(self.s, _EVENT_ROWS_SQL, (after_id, limit)).fetchall()

    def all_in_stamp_order(self) -> Sequence[HookEvent]:
        return self.s.exec(
            select(HookEvent).order_by(col(HookEvent.stamp), col(HookEvent.id))
        ).all()


class BindingRepo:
    """Pane bindings: which pane runs which session."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def upsert(self, binding: PaneBinding) -> None:
        values = binding.model_dump()
        stmt = insert(PaneBinding).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["pane_id"],
            set_={k: stmt.excluded[k] for k in values if k != "pane_id"},
        )
        self.s.exec(stmt)

    def all(self) -> Sequence[PaneBinding]:
        return self.s.exec(select(PaneBinding)).all()

    def delete(self, pane_id: str) -> None:
        binding = self.s.get(PaneBinding, pane_id)
        if binding is not None:
            self.s.delete(binding)


class ChallengeRepo:
    """Challenges held by personas."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def add_all(self, challenges: Sequence[Challenge]) -> None:
        self.s.add_all(challenges)

    def for_persona(self, persona_id: int) -> Sequence[Challenge]:
        stmt = (
            select(Challenge).where(Challenge.persona_id == persona_id).order_by(col(Challenge.id))
        )
        return self.s.exec(stmt).all()


class AwardRow(NamedTuple):
    """One XP ledger line to store (the xp_award columns)."""

    persona_id: int
    event_id: int
    rule: str
    amount: int
    reason: str
    awarded_at: datetime


class BadgeRow(NamedTuple):
    """One badge to store (the badge columns)."""

    persona_id: int
    badge_key: str
    event_id: int
    earned_at: datetime


# The live path runs these for every counted event, so they are plain SQL on the session's
# connection (see db.driver_execute).
_AWARD_INSERT_SQL = (
    "INSERT INTO xp_award (persona_id, event_id, rule, amount, reason, awarded_at)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, rule) DO NOTHING"
)
_BADGE_INSERT_SQL = (
    "INSERT INTO badge (persona_id, badge_key, event_id, earned_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (persona_id, badge_key) DO NOTHING"
)
_STATE_UPSERT_SQL = (
    "INSERT INTO progression_state (persona_id, last_event_id, memo, updated_at)"
    " VALUES (?, ?, ?, ?) ON CONFLICT (persona_id) DO UPDATE SET"
    " last_event_id = excluded.last_event_id, memo = excluded.memo,"
    " updated_at = excluded.updated_at"
)
_CURSOR_SQL = (
    "INSERT INTO progression_cursor (id, last_event_id) VALUES (1, ?) ON CONFLICT (id)"
    " DO UPDATE SET last_event_id = max(last_event_id, excluded.last_event_id)"
)
_SET_PERSONA_XP_SQL = "UPDATE persona SET xp = ?, level = ? WHERE id = ?"
_CHALLENGE_UPDATE_SQL = (
    "UPDATE challenge SET title = ?, description = ?, progress = ?, completed_at = ? WHERE id = ?"
)
_BADGE_TABLE: Table = Badge.__table__  # type: ignore[attr-defined]
# The live path runs these for every counted event: built once, so SQLAlchemy compiles them
# once, and run on the connection, past the ORM's per-statement cost.
_STATE_TABLE: Table = ProgressionState.__table__  # type: ignore[attr-defined]
_PERSONA_TABLE: Table = Persona.__table__  # type: ignore[attr-defined]
_CHALLENGE_TABLE: Table = Challenge.__table__  # type: ignore[attr-defined]
_EVENT_ID = core_select(_EVENT_TABLE.c.id).where(_EVENT_TABLE.c.dedupe_key == bindparam("key"))
_PERSONA_XP = core_select(_PERSONA_TABLE.c.session_id, _PERSONA_TABLE.c.xp).where(
    _PERSONA_TABLE.c.id == bindparam("pid")
)
_STATE_ROW = core_select(_STATE_TABLE.c.last_event_id, _STATE_TABLE.c.memo).where(
    _STATE_TABLE.c.persona_id == bindparam("pid")
)
_BADGE_KEYS = core_select(_BADGE_TABLE.c.badge_key).where(
    _BADGE_TABLE.c.persona_id == bindparam("pid")
)
_ACTIVE_CHALLENGES = (
    core_select(_CHALLENGE_TABLE)
    .where(_CHALLENGE_TABLE.c.persona_id == bindparam("pid"))
    .where(_CHALLENGE_TABLE.c.completed_at.is_(None))
    .order_by(_CHALLENGE_TABLE.c.id)
)
_CHALLENGE_INSERT = insert(_CHALLENGE_TABLE)


class ProgressionRepo:
    """The XP ledger, badges and progression counters, and the event reads they are built from."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def lock_for_write(self) -> None:
        """Take SQLite's write lock now, so what is read next cannot change before it is written."""
        driver_execute(self.s, "BEGIN IMMEDIATE")  # once per batch: past SQLAlchemy's layers

    def writer_version(self) -> tuple[object, int]:
        """This session's SQLite connection and its data_version: the number changes when
        another connection (another process, another pooled connection) commits a change."""
        conn = self.s.connection()
        version = conn.exec_driver_sql("PRAGMA data_version").scalar()
        return conn.connection.dbapi_connection, int(version or 0)

    def event_id(self, dedupe_key: str) -> int | None:
        found = self.s.connection().execute(_EVENT_ID, {"key": dedupe_key}).scalar()
        return int(found) if found is not None else None

    def cursor(self) -> int:
        """The id up to which progression has seen every stored event (0: none yet)."""
        found = driver_execute(self.s, "SELECT last_event_id FROM progression_cursor").fetchone()
        return int(found[0]) if found else 0

    def advance_cursor(self, event_id: int) -> None:
        """Progression has seen every event up to `event_id` (the cursor never goes back)."""
        driver_execute(self.s, _CURSOR_SQL, (event_id,))

    def last_event_id(self) -> int:
        found = driver_execute(self.s, "SELECT max(id) FROM hook_event").fetchone()
        return int(found[0] or 0)

    def count_events(self, names: Sequence[str]) -> int:
        """How many stored events have one of these names (the size of a full replay)."""
        stmt = (
            select(func.count()).select_from(HookEvent).where(col(HookEvent.event_name).in_(names))
        )
        return int(self.s.exec(stmt).one())

    def events_to_apply(
        self, names: Sequence[str], after_id: int = 0, limit: int = 1000, rebuild: bool = False
    ) -> list[StoredRow]:
        """Events with the given names and their persona ids, in the order they were stored.

        Without `rebuild`, only events newer than each persona's last applied event.
        """
        # Plain SQL, walked by id: `+event_name` keeps SQLite off the event-name index,
        # which would gather every later event of those names to sort them, once per batch
        # (a rebuild of a long log went quadratic).
        marks = ", ".join("?" for _ in names)
        sql = (
            "SELECT e.id, e.event_name, e.session_id, e.stamp, e.tool_name, e.cwd, e.record,"
            " ps.persona_id FROM hook_event e"
            " JOIN persona_session ps ON ps.session_id = e.session_id"
        )
        if not rebuild:
            sql += " LEFT JOIN progression_state st ON st.persona_id = ps.persona_id"
        sql += f" WHERE e.id > ? AND +e.event_name IN ({marks})"
        if not rebuild:
            sql += " AND e.id > coalesce(st.last_event_id, 0)"
        sql += " ORDER BY e.id LIMIT ?"
        rows = driver_execute(self.s, sql, (after_id, *names, limit)).fetchall()
        return [StoredRow(*row) for row in rows]

    def state(self, persona_id: int) -> ProgressionState | None:
        """The stored counters and cursor of a persona (never a cached object)."""
        row = self.s.connection().execute(_STATE_ROW, {"pid": persona_id}).first()
        if row is None:
            return None
        return ProgressionState(persona_id=persona_id, last_event_id=row[0], memo=row[1])

    def save_state(self, persona_id: int, last_event_id: int, memo: str) -> None:
        values = (persona_id, last_event_id, memo, sql_time(utcnow()))
        driver_execute(self.s, _STATE_UPSERT_SQL, values)

    def persona_seed_xp(self, persona_id: int) -> tuple[str, int] | None:
        """A persona's own session id and its XP as stored now, or None."""
        row = self.s.connection().execute(_PERSONA_XP, {"pid": persona_id}).first()
        return (str(row[0]), int(row[1])) if row is not None else None

    def set_persona_xp(self, persona_id: int, xp: int, level: int) -> None:
        driver_execute(self.s, _SET_PERSONA_XP_SQL, (xp, level, persona_id))

    def badge_keys(self, persona_id: int) -> set[str]:
        rows = self.s.connection().execute(_BADGE_KEYS, {"pid": persona_id})
        return {str(row[0]) for row in rows}

    def active_challenges(self, persona_id: int) -> list[Row[Any]]:
        """The challenges a persona holds now, oldest first, read as they are stored now.

        Plain rows with the Challenge columns: building model objects cost more than the read.
        """
        return list(self.s.connection().execute(_ACTIVE_CHALLENGES, {"pid": persona_id}))

    def insert_challenge(self, challenge: Challenge) -> int:
        values = challenge.model_dump(exclude={"id"})
        result = self.s.connection().execute(_CHALLENGE_INSERT, values)
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def update_challenge(
        self,
        challenge_id: int,
        title: str,
        description: str,
        progress: int,
        completed_at: datetime | None,
    ) -> None:
        driver_execute(
            self.s,
            _CHALLENGE_UPDATE_SQL,
            (title, description, progress, sql_time(completed_at), challenge_id),
        )

    def delete_challenges(self, ids: Sequence[int]) -> None:
        if ids:
            self.s.exec(delete(Challenge).where(col(Challenge.id).in_(ids)))

    def add_awards(self, awards: Sequence[AwardRow]) -> int:
        """Insert ledger lines; one already there for the same event and rule is kept."""
        if not awards:
            return 0
        rows = [(*award[:5], sql_time(award.awarded_at)) for award in awards]
        return driver_executemany(self.s, _AWARD_INSERT_SQL, rows).rowcount

    def xp_total(self, persona_id: int) -> int:
        total = self.s.exec(
            select(func.coalesce(func.sum(XpAward.amount), 0)).where(
                XpAward.persona_id == persona_id
            )
        ).one()
        return int(total)

    def ledger(self, persona_id: int, limit: int) -> Sequence[XpAward]:
        """The newest `limit` ledger lines of a persona, oldest first."""
        stmt = (
            select(XpAward)
            .where(XpAward.persona_id == persona_id)
            .order_by(col(XpAward.id).desc())
            .limit(limit)
        )
        return list(reversed(self.s.exec(stmt).all()))

    def xp_event_count(self, persona_id: int) -> int:
        """How many events paid the persona anything (the points its XP chart can have)."""
        row = driver_execute(self.s, _XP_EVENT_COUNT_SQL, (persona_id,)).fetchone()
        return int(row[0])

    def xp_totals_at(self, persona_id: int, indices: Sequence[int]) -> list[tuple[datetime, int]]:
        """(time, XP total after it) at these positions (0 = the first event that paid the
        persona) of its paying events in time order. SQLite adds up the ledger; only the
        rows asked for come back."""
        rows = driver_execute(
            self.s, _XP_TOTALS_AT_SQL, (persona_id, json.dumps(list(indices)))
        ).fetchall()
        return [(sql_time_value(at), int(total)) for at, total in rows]

    def add_badges(self, badges: Sequence[BadgeRow]) -> None:
        if badges:
            rows = [(*badge[:3], sql_time(badge.earned_at)) for badge in badges]
            driver_executemany(self.s, _BADGE_INSERT_SQL, rows)

    def badges(self, persona_id: int) -> Sequence[Badge]:
        stmt = select(Badge).where(Badge.persona_id == persona_id).order_by(col(Badge.id))
        return self.s.exec(stmt).all()

    def clear(self, persona_id: int) -> None:
        """Forget a persona's ledger and badges (a rebuild writes them again)."""
        self.s.exec(delete(XpAward).where(col(XpAward.persona_id) == persona_id))
        self.s.exec(delete(Badge).where(col(Badge.persona_id) == persona_id))

    def leaderboard(self, limit: int) -> Sequence[tuple[Persona, int]]:
        """Personas by XP (ties: the older first), each with how many badges it holds."""
        badges = (
            select(func.count(col(Badge.id)))
            .where(col(Badge.persona_id) == col(Persona.id))
            .correlate(Persona)
            .scalar_subquery()
        )
        stmt = (
            select(Persona, badges).order_by(col(Persona.xp).desc(), col(Persona.id)).limit(limit)
        )
        return self.s.exec(stmt).all()
