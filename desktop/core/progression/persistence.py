"""Reading a persona's progression state from the store and writing what events changed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from desktop.core.history.record import EventFacts
from desktop.core.progression.engine import EventRecord, Outcome
from desktop.core.progression.levels import level_for_xp
from desktop.core.progression.state import ChallengeState, Memo, ProgressState
from desktop.store.models import Challenge
from desktop.store.repos import AwardRow, BadgeRow, ChallengeRepo, ProgressionRepo, StoredRow


def event_record(row: StoredRow) -> EventRecord:
    """A stored event as the engine reads it (the same facts the live path saw)."""
    found = EventFacts.from_row(row.tool_name, row.cwd, row.record)
    return EventRecord(row.id, row.event_name, row.session_id, row.stamp, found)


def _challenge(row: Challenge | Row[Any]) -> ChallengeState:
    return ChallengeState(
        kind=row.kind,
        title=row.title,
        description=row.description,
        target=row.target,
        progress=row.progress,
        completed_at=row.completed_at,
        created_at=row.created_at,
        row_id=row.id,
    )


def load_state(s: Session, persona_id: int) -> ProgressState | None:
    """The stored state of one persona (its active challenges only), or None if it is gone."""
    repo = ProgressionRepo(s)
    persona = repo.persona_seed_xp(persona_id)
    if persona is None:
        return None
    stored = repo.state(persona_id)
    return ProgressState(
        persona_id=persona_id,
        seed=persona[0],
        xp=persona[1],
        memo=Memo.from_json(stored.memo) if stored else Memo(),
        badges=repo.badge_keys(persona_id),
        challenges=[_challenge(row) for row in repo.active_challenges(persona_id)],
        last_event_id=stored.last_event_id if stored else 0,
    )


def _write_challenges(s: Session, state: ProgressState, default_created: datetime) -> None:
    repo = ProgressionRepo(s)
    for challenge in state.challenges:
        if not challenge.changed:
            continue
        if challenge.row_id is None:
            challenge.row_id = repo.insert_challenge(
                Challenge(
                    persona_id=state.persona_id,
                    kind=challenge.kind,
                    title=challenge.title,
                    description=challenge.description,
                    target=challenge.target,
                    progress=challenge.progress,
                    completed_at=challenge.completed_at,
                    created_at=challenge.created_at or default_created,
                )
            )
        else:
            # The common case (progress moved): no model object, one plain UPDATE.
            repo.update_challenge(
                challenge.row_id,
                challenge.title,
                challenge.description,
                challenge.progress,
                challenge.completed_at,
            )
        challenge.changed = False


def write_state(
    s: Session, state: ProgressState, outcomes: Sequence[Outcome], default_created: datetime
) -> None:
    """Store the ledger lines, badges and challenges of `outcomes`, and the state they leave."""
    repo = ProgressionRepo(s)
    persona_id = state.persona_id
    repo.add_awards(
        [
            AwardRow(
                persona_id,
                out.event.event_id,
                award.rule,
                award.amount,
                award.reason,
                out.event.when,
            )
            for out in outcomes
            for award in out.awards
        ]
    )
    repo.add_badges(
        [
            BadgeRow(persona_id, key, out.event.event_id, out.event.when)
            for out in outcomes
            for key in out.badges
        ]
    )
    _write_challenges(s, state, default_created)
    repo.save_state(persona_id, state.last_event_id, state.memo.to_json())
    repo.set_persona_xp(persona_id, state.xp, level_for_xp(state.xp))


def reconcile_challenges(s: Session, state: ProgressState) -> None:
    """Match rebuilt challenges to stored rows in draw order, so unchanged ones keep their ids.

    From the first row that differs (another kind or target, e.g. after a catalog change),
    the stored rows are replaced.
    """
    rows = list(ChallengeRepo(s).for_persona(state.persona_id))
    matched = 0
    for row, challenge in zip(rows, state.challenges, strict=False):
        if (row.kind, row.target) != (challenge.kind, challenge.target):
            break
        challenge.row_id = row.id
        challenge.created_at = row.created_at
        challenge.changed = True
        matched += 1
    ProgressionRepo(s).delete_challenges([r.id for r in rows[matched:] if r.id is not None])
    s.flush()
