"""Rebuild every persona's progression from the stored event log, with the live path's engine."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import tzinfo

from sqlmodel import Session

from desktop.core.history.record import EventFacts
from desktop.core.progression import engine
from desktop.core.progression.engine import Outcome
from desktop.core.progression.levels import level_for_xp
from desktop.core.progression.persistence import event_record, reconcile_challenges, write_state
from desktop.core.progression.rules import RELEVANT_EVENTS
from desktop.core.progression.state import ProgressState
from desktop.store.db import Database
from desktop.store.migrations import Progress
from desktop.store.repos import PersonaRepo, ProgressionRepo

log = logging.getLogger(__name__)

BATCH = 1000
_NO_FACTS = EventFacts()


@dataclass(frozen=True)
class PersonaTotals:
    """One persona's XP and level before and after a rebuild."""

    persona_id: int
    name: str
    xp_before: int
    xp_after: int
    level_after: int
    badges: int

    @property
    def changed(self) -> bool:
        return self.xp_before != self.xp_after


@dataclass
class RebuildReport:
    """What a rebuild read and wrote."""

    events: int = 0
    personas: list[PersonaTotals] = field(default_factory=list)


class _Replay:
    """Applies events to fresh states in memory, remembering what each one earned."""

    def __init__(self, tz: tzinfo | None, progress: Progress | None = None) -> None:
        self.tz = tz
        self.progress = progress
        self.total = 0
        self.states: dict[int, ProgressState] = {}
        self.outcomes: dict[int, list[Outcome]] = {}
        self.after = 0
        self.events = 0

    def state(self, s: Session, persona_id: int) -> ProgressState | None:
        state = self.states.get(persona_id)
        if state is None:
            persona = PersonaRepo(s).get(persona_id)
            if persona is None:
                return None
            state = self.states[persona_id] = engine.initial_state(persona_id, persona.session_id)
            self.outcomes[persona_id] = []
        return state

    def run(self, s: Session) -> None:
        """Apply every relevant event stored after the last one this replay saw."""
        repo = ProgressionRepo(s)
        while True:
            batch = repo.events_to_apply(RELEVANT_EVENTS, self.after, BATCH, rebuild=True)
            for row in batch:
                persona_id = row.persona_id
                state = self.state(s, persona_id)
                outcome = engine.apply(state, event_record(row), self.tz) if state else None
                if outcome is not None and (outcome.awards or outcome.badges):
                    # Keep what the ledger needs: a long log must not fill the memory.
                    slim = dataclasses.replace(outcome.event, facts=_NO_FACTS)
                    self.outcomes[persona_id].append(dataclasses.replace(outcome, event=slim))
                self.events += 1
            if batch:
                self.after = batch[-1].id
            if self.progress is not None:
                self.progress("replaying events", self.events, max(self.total, self.events))
            if len(batch) < BATCH:
                return


def rebuild(
    db: Database, tz: tzinfo | None = None, progress: Progress | None = None
) -> RebuildReport:
    """Recompute XP, levels, challenges and badges of every persona from the event log.

    The bulk of the log is replayed from a snapshot without blocking the app; then, holding
    the write lock, the events stored meanwhile are replayed too and everything is written
    in one transaction, so a running app's next live event continues from the rebuilt state.
    """
    replay = _Replay(tz, progress)
    with db.session() as s:
        if progress is not None:
            replay.total = ProgressionRepo(s).count_events(RELEVANT_EVENTS)
        replay.run(s)
    report = RebuildReport()
    with db.session() as s:
        repo = ProgressionRepo(s)
        repo.lock_for_write()
        replay.run(s)
        repo.advance_cursor(repo.last_event_id())
        for persona in PersonaRepo(s).all():
            assert persona.id is not None
            state = replay.state(s, persona.id)
            assert state is not None
            xp_before = persona.xp
            repo.clear(persona.id)
            reconcile_challenges(s, state)
            write_state(s, state, replay.outcomes[persona.id], persona.created_at)
            report.personas.append(
                PersonaTotals(
                    persona.id,
                    persona.name,
                    xp_before,
                    state.xp,
                    level_for_xp(state.xp),
                    len(state.badges),
                )
            )
    report.events = replay.events
    log.info(
        "progression rebuilt for %d personas from %d events", len(report.personas), replay.events
    )
    return report
