"""A batch that rolls back leaves the tracker's pane bindings as they were.

The binding an event implies is written inside the batch's transaction; the tracker may only
remember it once that transaction commits, or a retried event would find the pane "already
bound" and never store its binding.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session

from desktop.core.hooks.payload import IncomingEvent
from desktop.core.ingest import EventIngest, StoredEvent
from desktop.core.model import PaneState
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.core.sessions import SessionTracker
from desktop.store.db import Database
from desktop.store.repos import BindingRepo


class WriterFailed(Exception):
    """The batch writer's planted failure."""


def event(name: str, sid: str, key: str, stamp: float, pane: str) -> IncomingEvent:
    payload = {"session_id": sid, "hook_event_name": name}
    return IncomingEvent(payload, name, sid, key, stamp, pane_id=pane)


def stored_bindings(db: Database) -> list[tuple[str, str]]:
    with db.session() as s:
        return [(b.pane_id, b.session_id) for b in BindingRepo(s).all()]


def test_a_rolled_back_batch_leaves_the_bindings_as_before_and_a_retry_stores_them(
    ingest: EventIngest, tracker: SessionTracker, registry: PaneRegistry, db: Database
) -> None:
    registry.put(PaneState(pane_id="%1", target="work:1.0", cwd="/tmp"))
    registry.put(PaneState(pane_id="%2", target="work:2.0", cwd="/tmp"))
    ingest.ingest(event("SessionStart", "old", "k0", 1.0, "%1"))
    before = tracker.binding("%1")
    assert before is not None and before.session_id == "old"

    failing = True

    def writer(_s: Session, _stored: list[StoredEvent]) -> None:
        if failing:
            raise WriterFailed("the batch fails after its bindings were written")

    ingest.add_writer(writer)
    batch = [
        event("SessionStart", "new", "k1", 2.0, "%1"),  # %1 moves on to a new session
        event("SessionStart", "other", "k2", 2.0, "%2"),  # %2 gets its first binding
    ]
    with pytest.raises(WriterFailed):
        ingest.ingest_many(batch)
    assert tracker.binding("%1") == before
    assert tracker.binding("%2") is None
    assert stored_bindings(db) == [("%1", "old")]

    failing = False
    ingest.ingest_many(batch)  # the same events again, as the one-by-one retry sends them
    assert sorted(stored_bindings(db)) == [("%1", "new"), ("%2", "other")]
    assert (tracker.binding("%1") or before).session_id == "new"
    assert (tracker.binding("%2") or before).session_id == "other"


def test_a_rolled_back_batch_leaves_no_persona_id_behind_for_its_session(
    ingest: EventIngest, personas: PersonaService, tracker: SessionTracker
) -> None:
    failing = True

    def writer(_s: Session, _stored: list[StoredEvent]) -> None:
        if failing:
            raise WriterFailed("the batch fails after its persona was made")

    ingest.add_writer(writer)
    waiting = event("SessionStart", "waiting", "k1", 1.0, "%1")
    with pytest.raises(WriterFailed):
        ingest.ingest(waiting)
    failing = False
    # Another session is stored first: SQLite gives its persona the id the rolled-back one had.
    other = ingest.ingest(event("SessionStart", "other", "k2", 2.0, "%2")).persona
    again = ingest.ingest(waiting).persona
    assert other is not None and again is not None
    assert again.id != other.id
    found = personas.find_persona_by_session_id("waiting")
    assert found is not None and found.id == again.id
    binding = tracker.binding("%1")
    assert binding is not None and binding.persona.id == again.id
