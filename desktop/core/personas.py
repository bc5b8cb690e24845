"""Personas: find by Claude session id, or create one (the only place that creates them)."""

from __future__ import annotations

import hashlib
import logging

from sqlmodel import Session

from desktop.core.committed import CommittedMap
from desktop.core.model import ChallengeInfo, PersonaInfo
from desktop.core.progression.catalog import INITIAL_CHALLENGES, draw
from desktop.store.db import Database
from desktop.store.models import Challenge, Persona
from desktop.store.repos import ChallengeRepo, PersonaRepo, PersonaRow

log = logging.getLogger(__name__)

_ADJECTIVES = (
    "Amber",
    "Brave",
    "Clever",
    "Daring",
    "Eager",
    "Fabled",
    "Gentle",
    "Hardy",
    "Idle",
    "Jolly",
    "Keen",
    "Lucky",
    "Mighty",
    "Nimble",
    "Odd",
    "Patient",
    "Quick",
    "Rusty",
    "Silent",
    "Tidy",
    "Umber",
    "Valiant",
    "Wily",
    "Young",
    "Zesty",
    "Bold",
    "Calm",
    "Dusky",
    "Fierce",
    "Golden",
    "Honest",
    "Ivory",
)
_NOUNS = (
    "Otter",
    "Falcon",
    "Badger",
    "Heron",
    "Lynx",
    "Marten",
    "Newt",
    "Owl",
    "Panda",
    "Quokka",
    "Raven",
    "Stoat",
    "Tapir",
    "Urchin",
    "Vole",
    "Wren",
    "Yak",
    "Zebu",
    "Bison",
    "Crane",
    "Dingo",
    "Egret",
    "Ferret",
    "Gecko",
    "Hare",
    "Ibis",
    "Jackal",
    "Koala",
    "Lemur",
    "Moose",
    "Narwhal",
    "Ocelot",
)


def persona_name(session_id: str) -> str:
    """A readable name derived from the session id, the same on every machine and run."""
    digest = hashlib.sha256(session_id.encode()).digest()
    return f"{_ADJECTIVES[digest[0] % len(_ADJECTIVES)]} {_NOUNS[digest[1] % len(_NOUNS)]}"


def persona_info(
    persona: Persona | PersonaRow, session_ids: list[str] | None = None
) -> PersonaInfo:
    """The immutable view of a persona: an ORM row, or a plain row (the per-event path)."""
    assert persona.id is not None
    return PersonaInfo(
        id=persona.id,
        session_id=persona.session_id,
        name=persona.name,
        avatar_seed=persona.avatar_seed,
        created_at=persona.created_at,
        xp=persona.xp,
        level=persona.level,
        session_ids=tuple(session_ids or [persona.session_id]),
    )


def challenge_info(row: Challenge) -> ChallengeInfo:
    """The immutable view of a challenge row."""
    assert row.id is not None
    return ChallengeInfo(
        id=row.id,
        kind=row.kind,
        title=row.title,
        description=row.description,
        progress=row.progress,
        target=row.target,
        completed_at=row.completed_at,
    )


class PersonaService:
    """Reads personas for everyone; creates them only for the hook-event handler."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # session id -> persona id never changes once written, so it can be remembered (once
        # committed: a rolled-back persona's id goes to the next persona made); the persona
        # row itself (XP, level) is always read fresh.
        self._ids: CommittedMap[str, int] = CommittedMap("persona ids")

    def find_persona_by_session_id(self, session_id: str) -> PersonaInfo | None:
        """The persona a session id leads to, or None. Never creates."""
        with self.db.session() as s:
            persona = PersonaRepo(s).find_by_session(session_id)
            return persona_info(persona) if persona else None

    def get_or_create_persona(
        self, s: Session, session_id: str, cause: str = ""
    ) -> tuple[PersonaInfo, bool]:
        """The persona for session_id, created with its first challenges if it is new.

        Idempotent under races: the UNIQUE constraint on session_id decides, so duplicate
        first events (or two processes) can never make two personas for one session.
        """
        repo = PersonaRepo(s)
        known = self._ids.get(session_id, s)
        if known is not None and (row := repo.row(known)) is not None:
            return persona_info(row), False
        existing = repo.find_by_session(session_id)
        if existing is not None:
            assert existing.id is not None
            self._ids.put(s, session_id, existing.id)
            return persona_info(existing), False
        persona, created = repo.insert_if_absent(
            session_id, persona_name(session_id), hashlib.sha256(session_id.encode()).hexdigest()
        )
        assert persona.id is not None
        self._ids.put(s, session_id, persona.id)
        if created:
            ChallengeRepo(s).add_all(
                [
                    Challenge(
                        persona_id=persona.id,
                        kind=spec.kind,
                        title=spec.title,
                        description=spec.description,
                        target=spec.target,
                    )
                    for spec in draw(session_id, INITIAL_CHALLENGES)
                ]
            )
            # Now, not at commit: progression reads them in this transaction, past the ORM.
            s.flush()
            log.info(
                "persona created: id=%s name=%r session_id=%s cause=%s",
                persona.id,
                persona.name,
                session_id,
                cause or "-",
            )
        return persona_info(persona), created

    def get(self, persona_id: int) -> PersonaInfo | None:
        with self.db.session() as s:
            repo = PersonaRepo(s)
            persona = repo.get(persona_id)
            return persona_info(persona, repo.session_ids(persona_id)) if persona else None

    def newest(self, limit: int, before: int | None = None) -> list[PersonaInfo]:
        """The newest `limit` personas (with ids below `before`, if given), oldest first."""
        with self.db.session() as s:
            return [persona_info(p) for p in PersonaRepo(s).newest(limit, before)]

    def all(self) -> list[PersonaInfo]:
        with self.db.session() as s:
            return [persona_info(p) for p in PersonaRepo(s).all()]

    def challenges(self, persona_id: int) -> list[ChallengeInfo] | None:
        """The persona's challenges, or None when no such persona exists."""
        with self.db.session() as s:
            if PersonaRepo(s).get(persona_id) is None:
                return None
            return [challenge_info(c) for c in ChallengeRepo(s).for_persona(persona_id)]
