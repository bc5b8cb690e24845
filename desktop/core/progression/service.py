"""Live progression: applies each stored hook event on the loop thread and tells the UI."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import tzinfo

from sqlmodel import Session

from desktop.core.ingest import StoredEvent
from desktop.core.model import PersonaInfo
from desktop.core.personas import PersonaService, persona_info
from desktop.core.progression import engine
from desktop.core.progression.badges import BADGES
from desktop.core.progression.engine import EventRecord, Outcome
from desktop.core.progression.levels import level_for_xp
from desktop.core.progression.persistence import event_record, load_state, write_state
from desktop.core.progression.rules import RELEVANT_EVENTS
from desktop.core.progression.state import ProgressState
from desktop.core.progression.state_cache import StateCache
from desktop.core.progression.views import (
    BadgeInfo,
    LeaderboardEntry,
    LedgerLine,
    ProgressUpdate,
    ranked,
)
from desktop.core.sessions import SessionTracker
from desktop.store.db import Database
from desktop.store.models import Badge, utcnow
from desktop.store.repos import PersonaRepo, ProgressionRepo

log = logging.getLogger(__name__)

UpdateListener = Callable[[ProgressUpdate], None]
CATCH_UP_BATCH = 500


def badge_info(row: Badge) -> BadgeInfo:
    spec = BADGES.get(row.badge_key)
    return BadgeInfo(
        key=row.badge_key,
        title=spec.title if spec else row.badge_key,
        description=spec.description if spec else "",
        earned_at=row.earned_at,
    )


class ProgressionService:
    """XP, levels, challenges and badges, moved by stored events; reads for the API."""

    def __init__(
        self,
        db: Database,
        personas: PersonaService,
        tracker: SessionTracker | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        self.db = db
        self.personas = personas
        self.tracker = tracker
        self.tz = tz
        self._listeners: list[UpdateListener] = []
        self._cache = StateCache()

    def subscribe(self, listener: UpdateListener) -> None:
        self._listeners.append(listener)

    # --- live path -----------------------------------------------------------------------

    def store_batch(self, s: Session, stored: list[StoredEvent]) -> Callable[[], None] | None:
        """The ingest batch writer: applies a batch's events in its transaction, in order."""
        # Each persona is written once per batch, and read only when the cache cannot vouch
        # for what this process wrote last (see StateCache).
        self._cache.open(s)
        outcomes: dict[int, list[Outcome]] = {}
        personas: dict[int, PersonaInfo] = {}
        for item in stored:
            event = item.event
            if event.event_name not in RELEVANT_EVENTS:
                continue
            persona_id = item.persona.id
            state = self._cache.get(s, persona_id)
            if state is None:
                continue
            record = EventRecord(
                item.event_id, event.event_name, event.session_id, event.stamp, item.facts
            )
            outcome = engine.apply(state, record, self.tz)
            if outcome is not None:
                outcomes.setdefault(persona_id, []).append(outcome)
                personas[persona_id] = item.persona
        now = utcnow()
        for persona_id, done in outcomes.items():
            state = self._cache.get(s, persona_id)
            assert state is not None
            write_state(s, state, done, now)
        # Every event of the batch has been seen: the next start's catch-up begins after it.
        ProgressionRepo(s).advance_cursor(max(item.event_id for item in stored))

        def committed() -> None:
            self._cache.committed()
            for persona_id, done in outcomes.items():
                self._publish(personas[persona_id], done)

        return committed

    def catch_up(self) -> int:
        """Apply stored events that progression has not seen (a crash, an upgrade); count them."""
        # catch_up writes states through sessions of its own: the live path's copies go.
        self._cache.clear()
        applied = 0
        touched: dict[int, list[Outcome]] = {}
        # Only events after the cursor can be unseen: start-up reads them, not the whole log.
        with self.db.session() as s:
            after = ProgressionRepo(s).cursor()
        while True:
            with self.db.session() as s:
                repo = ProgressionRepo(s)
                repo.lock_for_write()
                batch = repo.events_to_apply(RELEVANT_EVENTS, after_id=after, limit=CATCH_UP_BATCH)
                # Each persona is read once and written once per batch, not once per event.
                states: dict[int, ProgressState | None] = {}
                outcomes: dict[int, list[Outcome]] = {}
                for row in batch:
                    persona_id = row.persona_id
                    if persona_id not in states:
                        states[persona_id] = load_state(s, persona_id)
                    state = states[persona_id]
                    outcome = engine.apply(state, event_record(row), self.tz) if state else None
                    if outcome is not None:
                        applied += 1
                        outcomes.setdefault(persona_id, []).append(outcome)
                for persona_id, done in outcomes.items():
                    state = states[persona_id]
                    assert state is not None
                    write_state(s, state, done, utcnow())
                    touched.setdefault(persona_id, []).extend(done)
                if len(batch) < CATCH_UP_BATCH:
                    repo.advance_cursor(repo.last_event_id())
            if len(batch) < CATCH_UP_BATCH:
                break
            after = batch[-1].id
        for persona_id, all_done in touched.items():
            persona = self.personas.get(persona_id)
            if persona is not None:
                self._publish(persona, all_done)
        if applied:
            log.info("progression caught up on %d stored events", applied)
        return applied

    def _publish(self, known: PersonaInfo, outcomes: list[Outcome]) -> None:
        """Show the persona's new XP on its panes and tell subscribers what moved."""
        visible = [o for o in outcomes if o.visible]
        if not visible:
            return
        xp = visible[-1].xp_after
        persona = dataclasses.replace(known, xp=xp, level=level_for_xp(xp))
        persona_id = persona.id
        xp_gained = xp - outcomes[0].xp_before
        if xp_gained and self.tracker is not None:
            self.tracker.refresh_persona(persona)
        update = ProgressUpdate(
            persona=persona,
            xp_gained=xp_gained,
            level_before=outcomes[0].level_before,
            badges_earned=tuple(
                BadgeInfo(key, spec.title, spec.description, o.event.when)
                for o in visible
                for key in o.badges
                if (spec := BADGES.get(key)) is not None
            ),
            challenges_completed=tuple(c.title for o in visible for c in o.completed),
            challenges_moved=any(o.challenges_moved for o in visible),
        )
        for out in visible:
            for award in out.awards:
                log.debug("persona %s +%d XP: %s", persona_id, award.amount, award.reason)
        if update.leveled_up:
            log.info("persona %s (%s) reached level %d", persona.id, persona.name, persona.level)
        for listener in self._listeners:
            try:
                listener(update)
            except Exception:  # one broken listener must not starve the others
                log.exception("progression listener failed")

    # --- reads ---------------------------------------------------------------------------

    def badges(self, persona_id: int) -> list[BadgeInfo] | None:
        """The badges a persona holds, oldest first; None when no such persona exists."""
        with self.db.session() as s:
            if PersonaRepo(s).get(persona_id) is None:
                return None
            return [badge_info(row) for row in ProgressionRepo(s).badges(persona_id)]

    def ledger(self, persona_id: int, limit: int = 500) -> list[LedgerLine] | None:
        """The newest XP awards of a persona, oldest first; None when no such persona exists."""
        with self.db.session() as s:
            if PersonaRepo(s).get(persona_id) is None:
                return None
            return [
                LedgerLine(r.event_id, r.rule, r.amount, r.reason, r.awarded_at)
                for r in ProgressionRepo(s).ledger(persona_id, limit)
            ]

    def leaderboard(self, limit: int = 100) -> list[LeaderboardEntry]:
        """Personas by XP, highest first; personas with equal XP share a rank."""
        with self.db.session() as s:
            rows = ProgressionRepo(s).leaderboard(limit)
        return ranked((persona_info(persona), int(badges)) for persona, badges in rows)
