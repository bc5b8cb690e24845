"""Repositories: the only SQL the app runs, grouped by table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, delete, func, text, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects.sqlite import insert
from sqlmodel import Session, col, select

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

    def row(self, persona_id: int) -> Row[Any] | None:
        """A persona's columns as a plain row: ingest reads one per event, and an ORM object
        costs more to build than the read itself."""
        return self.s.connection().execute(_PERSONA_ROW, {"pid": persona_id}).first()

    def all(self) -> Sequence[Persona]:
        return self.s.exec(select(Persona).order_by(col(Persona.id))).all()

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
_EVENT_INSERT = insert(_EVENT_TABLE).on_conflict_do_nothing(index_elements=["dedupe_key"])


class EventRepo:
    """The append-only log of accepted hook events."""

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
        # Core-level insert from plain values: the ORM's bulk path, and even building the
        # model object, cost more than the write itself (ingest runs this per event).
        values.setdefault("received_at", utcnow())
        result = self.s.connection().execute(_EVENT_INSERT, values)
        return int(result.lastrowid) if result.rowcount else None

    def count(self) -> int:
        return int(self.s.exec(select(func.count()).select_from(HookEvent)).one())

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


_AWARD_TABLE: Table = XpAward.__table__  # type: ignore[attr-defined]
_AWARD_INSERT = insert(_AWARD_TABLE).on_conflict_do_nothing(index_elements=["event_id", "rule"])
_BADGE_TABLE: Table = Badge.__table__  # type: ignore[attr-defined]
_BADGE_INSERT = insert(_BADGE_TABLE).on_conflict_do_nothing(
    index_elements=["persona_id", "badge_key"]
)
# The live path runs these for every counted event: built once, so SQLAlchemy compiles them
# once, and run on the connection, past the ORM's per-statement cost.
_STATE_TABLE: Table = ProgressionState.__table__  # type: ignore[attr-defined]
_PERSONA_TABLE: Table = Persona.__table__  # type: ignore[attr-defined]
_CHALLENGE_TABLE: Table = Challenge.__table__  # type: ignore[attr-defined]
_EVENT_ID = core_select(_EVENT_TABLE.c.id).where(_EVENT_TABLE.c.dedupe_key == bindparam("key"))
_PERSONA_ROW = core_select(_PERSONA_TABLE).where(_PERSONA_TABLE.c.id == bindparam("pid"))
_PERSONA_XP = core_select(_PERSONA_TABLE.c.session_id, _PERSONA_TABLE.c.xp).where(
    _PERSONA_TABLE.c.id == bindparam("pid")
)
_SET_PERSONA_XP = (
    update(_PERSONA_TABLE)
    .where(_PERSONA_TABLE.c.id == bindparam("pid"))
    .values(xp=bindparam("new_xp"), level=bindparam("new_level"))
)
_STATE_ROW = core_select(_STATE_TABLE.c.last_event_id, _STATE_TABLE.c.memo).where(
    _STATE_TABLE.c.persona_id == bindparam("pid")
)
_STATE_UPSERT = insert(_STATE_TABLE)
_STATE_UPSERT = _STATE_UPSERT.on_conflict_do_update(
    index_elements=["persona_id"],
    set_={k: _STATE_UPSERT.excluded[k] for k in ("last_event_id", "memo", "updated_at")},
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
_CHALLENGE_UPDATE = (
    update(_CHALLENGE_TABLE)
    .where(_CHALLENGE_TABLE.c.id == bindparam("cid"))
    .values(
        title=bindparam("new_title"),
        description=bindparam("new_description"),
        progress=bindparam("new_progress"),
        completed_at=bindparam("new_completed_at"),
    )
)


class ProgressionRepo:
    """The XP ledger, badges and progression counters, and the event reads they are built from."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def lock_for_write(self) -> None:
        """Take SQLite's write lock now, so what is read next cannot change before it is written."""
        self.s.exec(text("BEGIN IMMEDIATE"))  # type: ignore[call-overload]

    def event_id(self, dedupe_key: str) -> int | None:
        found = self.s.connection().execute(_EVENT_ID, {"key": dedupe_key}).scalar()
        return int(found) if found is not None else None

    def events_to_apply(
        self, names: Sequence[str], after_id: int = 0, limit: int = 1000, rebuild: bool = False
    ) -> Sequence[tuple[HookEvent, int]]:
        """Events with the given names and their persona ids, in the order they were stored.

        Without `rebuild`, only events newer than each persona's last applied event.
        """
        stmt = (
            select(HookEvent, PersonaSession.persona_id)
            .join(PersonaSession, col(PersonaSession.session_id) == col(HookEvent.session_id))
            .where(col(HookEvent.id) > after_id)
            .where(col(HookEvent.event_name).in_(names))
        )
        if not rebuild:
            stmt = stmt.outerjoin(
                ProgressionState,
                col(ProgressionState.persona_id) == col(PersonaSession.persona_id),
            ).where(col(HookEvent.id) > func.coalesce(ProgressionState.last_event_id, 0))
        return self.s.exec(stmt.order_by(col(HookEvent.id)).limit(limit)).all()

    def state(self, persona_id: int) -> ProgressionState | None:
        """The stored counters and cursor of a persona (never a cached object)."""
        row = self.s.connection().execute(_STATE_ROW, {"pid": persona_id}).first()
        if row is None:
            return None
        return ProgressionState(persona_id=persona_id, last_event_id=row[0], memo=row[1])

    def save_state(self, persona_id: int, last_event_id: int, memo: str) -> None:
        values = {
            "persona_id": persona_id,
            "last_event_id": last_event_id,
            "memo": memo,
            "updated_at": utcnow(),
        }
        self.s.connection().execute(_STATE_UPSERT, values)

    def persona_seed_xp(self, persona_id: int) -> tuple[str, int] | None:
        """A persona's own session id and its XP as stored now, or None."""
        row = self.s.connection().execute(_PERSONA_XP, {"pid": persona_id}).first()
        return (str(row[0]), int(row[1])) if row is not None else None

    def set_persona_xp(self, persona_id: int, xp: int, level: int) -> None:
        self.s.connection().execute(
            _SET_PERSONA_XP, {"pid": persona_id, "new_xp": xp, "new_level": level}
        )

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

    def update_challenge(self, challenge: Challenge) -> None:
        self.s.connection().execute(
            _CHALLENGE_UPDATE,
            {
                "cid": challenge.id,
                "new_title": challenge.title,
                "new_description": challenge.description,
                "new_progress": challenge.progress,
                "new_completed_at": challenge.completed_at,
            },
        )

    def delete_challenges(self, ids: Sequence[int]) -> None:
        if ids:
            self.s.exec(delete(Challenge).where(col(Challenge.id).in_(ids)))

    def add_awards(self, awards: Sequence[XpAward]) -> int:
        """Insert ledger lines; one already there for the same event and rule is kept."""
        if not awards:
            return 0
        result = self.s.connection().execute(
            _AWARD_INSERT, [award.model_dump(exclude={"id"}) for award in awards]
        )
        return int(result.rowcount)

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

    def xp_by_event(self, persona_id: int) -> list[tuple[datetime, int]]:
        """(time, XP) per event that paid the persona anything, in time order."""
        stmt = (
            core_select(func.min(XpAward.awarded_at), func.sum(XpAward.amount))
            .where(col(XpAward.persona_id) == persona_id)
            .group_by(col(XpAward.event_id))
            .order_by(func.min(XpAward.awarded_at), col(XpAward.event_id))
        )
        return [(row[0], int(row[1])) for row in self.s.connection().execute(stmt)]

    def add_badges(self, badges: Sequence[Badge]) -> None:
        if badges:
            self.s.connection().execute(
                _BADGE_INSERT, [badge.model_dump(exclude={"id"}) for badge in badges]
            )

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
