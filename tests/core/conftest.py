"""Core fixtures: a real SQLite database and the services on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.core.ingest import EventIngest
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.core.sessions import SessionTracker
from desktop.store.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "claude-rpg.sqlite3")
    yield database
    database.close()


@pytest.fixture
def registry() -> PaneRegistry:
    return PaneRegistry()


@pytest.fixture
def personas(db: Database) -> PersonaService:
    return PersonaService(db)


@pytest.fixture
def tracker(db: Database, registry: PaneRegistry) -> SessionTracker:
    return SessionTracker(db, registry)


@pytest.fixture
def ingest(db: Database, personas: PersonaService, tracker: SessionTracker) -> EventIngest:
    return EventIngest(db, personas, tracker)
