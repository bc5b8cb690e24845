"""Repositories: the only SQL the app runs, grouped by table."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.dialects.sqlite import insert
from sqlmodel import Session, col, select

from desktop.store.models import (
    Challenge,
    HookEvent,
    PaneBinding,
    Persona,
    PersonaSession,
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

    def all(self) -> Sequence[Persona]:
        return self.s.exec(select(Persona).order_by(col(Persona.id))).all()

    def session_ids(self, persona_id: int) -> list[str]:
        stmt = (
            select(PersonaSession.session_id)
            .where(PersonaSession.persona_id == persona_id)
            .order_by(col(PersonaSession.linked_at))
        )
        return list(self.s.exec(stmt).all())


_EVENT_TABLE: Table = HookEvent.__table__  # type: ignore[attr-defined]
_EVENT_INSERT = insert(_EVENT_TABLE).on_conflict_do_nothing(index_elements=["dedupe_key"])


class EventRepo:
    """The append-only log of accepted hook events."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def append(self, event: HookEvent) -> bool:
        """Store the event unless its dedupe key is known; True when it was new."""
        # Core-level insert: the ORM's bulk path costs more than the write itself here.
        values = event.model_dump(exclude={"id"})
        result = self.s.connection().execute(_EVENT_INSERT, values)
        return bool(result.rowcount)

    def count(self) -> int:
        return len(self.s.exec(select(HookEvent.id)).all())

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
