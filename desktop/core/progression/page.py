"""A persona's page as the UI shows it: stats, challenges, badges, XP over time, sessions."""

from __future__ import annotations

from datetime import UTC, datetime

from desktop.core.personas import challenge_info, persona_info
from desktop.core.progression.badges import ACHIEVEMENTS
from desktop.core.progression.levels import level_progress
from desktop.core.progression.service import badge_info
from desktop.core.progression.state import Memo
from desktop.core.progression.views import (
    LockedBadge,
    PersonaPage,
    SessionLink,
    Stat,
    XpPoint,
)
from desktop.store.db import Database
from desktop.store.repos import ChallengeRepo, PersonaRepo, ProgressionRepo

# The counters worth showing, in the order a person reads them (rules.py names the metrics).
STAT_LABELS: tuple[tuple[str, str], ...] = (
    ("tool_calls", "Tool calls"),
    ("turns", "Turns finished"),
    ("reads", "Reads"),
    ("edits", "Edits"),
    ("writes", "Files written"),
    ("shell_commands", "Shell commands"),
    ("test_runs", "Test runs"),
    ("test_fixes", "Failing runs fixed"),
    ("commits", "Git commits"),
    ("subagents", "Subagents"),
    ("web", "Web look-ups"),
    ("compactions", "Compactions"),
    ("other_tools", "Other tools"),
    ("failed_turns", "Turns failed"),
)
# A persona with years of events still draws a chart from a few hundred points.
MAX_CHART_POINTS = 600


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes that were written as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def chart_indices(count: int, limit: int) -> list[int]:
    """Which of `count` running totals the XP chart shows: at most `limit`, evenly spread,
    always the first and the last."""
    if count <= limit or limit < 2:
        return list(range(count))
    step = (count - 1) / (limit - 1)
    return [round(i * step) for i in range(limit)]


def xp_history(progression: ProgressionRepo, persona_id: int, limit: int) -> tuple[XpPoint, ...]:
    """The persona's XP total over time, at most `limit` points: SQLite adds up the ledger
    and hands back only the points the chart draws."""
    indices = chart_indices(progression.xp_event_count(persona_id), limit)
    return tuple(
        XpPoint(_utc(when), total) for when, total in progression.xp_totals_at(persona_id, indices)
    )


class PersonaPages:
    """Reads persona pages for the UI (never writes; the bridge calls it on the loop thread)."""

    def __init__(self, db: Database, chart_points: int = MAX_CHART_POINTS) -> None:
        self.db = db
        self.chart_points = chart_points

    def page(self, persona_id: int) -> PersonaPage | None:
        """The persona's page, or None when no such persona exists."""
        with self.db.session() as s:
            personas = PersonaRepo(s)
            row = personas.get(persona_id)
            if row is None:
                return None
            links = personas.session_links(persona_id)
            progression = ProgressionRepo(s)
            stored = progression.state(persona_id)
            memo = Memo.from_json(stored.memo) if stored else Memo()
            badges = tuple(badge_info(b) for b in progression.badges(persona_id))
            challenges = tuple(challenge_info(c) for c in ChallengeRepo(s).for_persona(persona_id))
            history = xp_history(progression, persona_id, self.chart_points)
            persona = persona_info(row, [link.session_id for link in links])
        earned = {b.key for b in badges}
        return PersonaPage(
            persona=persona,
            level=level_progress(persona.xp),
            stats=tuple(Stat(key, label, memo.counters.get(key, 0)) for key, label in STAT_LABELS),
            challenges=challenges,
            badges=badges,
            locked_badges=tuple(
                LockedBadge(spec.key, spec.title, spec.description)
                for spec in ACHIEVEMENTS
                if spec.key not in earned
            ),
            xp_history=history,
            sessions=tuple(
                SessionLink(link.session_id, link.reason, _utc(link.linked_at)) for link in links
            ),
            best_streak=memo.best_streak,
            longest_session_s=memo.longest_session,
        )
