"""PersonaService: find never creates; get_or_create is idempotent, also under races."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from desktop.core.personas import PersonaService, persona_name
from desktop.core.progression.catalog import CATALOG, INITIAL_CHALLENGES
from desktop.store.db import Database


def test_find_never_creates(personas: PersonaService) -> None:
    assert personas.find_persona_by_session_id("nope") is None
    assert personas.all() == []


def test_get_or_create_is_idempotent(db: Database, personas: PersonaService) -> None:
    sid = str(uuid.uuid4())
    with db.session() as s:
        first, created = personas.get_or_create_persona(s, sid, "test")
    with db.session() as s:
        again, created_again = personas.get_or_create_persona(s, sid, "test")
    assert created and not created_again
    assert again.id == first.id
    assert personas.find_persona_by_session_id(sid) == first
    assert [p.id for p in personas.all()] == [first.id]


def test_new_persona_gets_a_name_and_real_challenges(
    db: Database, personas: PersonaService
) -> None:
    sid = "053c7322-6e2b-45f9-9648-d422de0c427b"
    with db.session() as s:
        persona, _ = personas.get_or_create_persona(s, sid)
    assert persona.name == persona_name(sid)
    assert persona.session_id == sid
    challenges = personas.challenges(persona.id)
    assert challenges is not None
    assert len(challenges) == INITIAL_CHALLENGES
    assert len({c.kind for c in challenges}) == INITIAL_CHALLENGES
    kinds = {spec.kind for spec in CATALOG}
    for c in challenges:
        assert c.kind in kinds and c.progress == 0 and c.target > 0 and c.completed_at is None


def test_challenges_of_an_unknown_persona_is_none(personas: PersonaService) -> None:
    assert personas.challenges(12345) is None


def test_names_are_deterministic_and_varied() -> None:
    ids = [str(uuid.UUID(int=i)) for i in range(200)]
    assert [persona_name(i) for i in ids] == [persona_name(i) for i in ids]
    assert len({persona_name(i) for i in ids}) > 100


def test_racing_processes_create_one_persona(tmp_path: Path) -> None:
    """Eight connections (as separate processes would) create the same session at once."""
    path = tmp_path / "race.sqlite3"
    Database(path).close()
    sid = str(uuid.uuid4())
    barrier = threading.Barrier(8)
    results: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def worker() -> None:
        db = Database(path)
        service = PersonaService(db)
        barrier.wait()
        with db.session() as s:
            persona, created = service.get_or_create_persona(s, sid)
        with lock:
            results.append((persona.id, created))
        db.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db = Database(path)
    service = PersonaService(db)
    assert len(service.all()) == 1
    assert {pid for pid, _ in results} == {service.all()[0].id}
    assert sum(created for _, created in results) == 1
    challenges = service.challenges(service.all()[0].id)
    assert challenges is not None and len(challenges) == INITIAL_CHALLENGES
    db.close()
