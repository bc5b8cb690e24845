"""Immutable views of progression for the API and the UI: badges, ledger lines, ranks, updates,
and the persona page (plain data: widgets import these, never the code that reads the store)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desktop.core.model import ChallengeInfo, PersonaInfo, iso
from desktop.core.progression.levels import LevelProgress, level_progress


@dataclass(frozen=True)
class BadgeInfo:
    """A badge a persona holds."""

    key: str
    title: str
    description: str
    earned_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "title": self.title,
            "description": self.description,
            "earned_at": iso(self.earned_at),
        }


@dataclass(frozen=True)
class LedgerLine:
    """One XP award: the event that earned it, how much, and why."""

    event_id: int
    rule: str
    amount: int
    reason: str
    awarded_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "rule": self.rule,
            "amount": self.amount,
            "reason": self.reason,
            "awarded_at": iso(self.awarded_at),
        }


def level_json(xp: int) -> dict[str, Any]:
    """XP and level with the bounds of the current level (what an XP bar needs)."""
    progress = level_progress(xp)
    return {
        "xp": xp,
        "level": progress.level,
        "level_xp": progress.level_xp,
        "next_level_xp": progress.next_level_xp,
    }


@dataclass(frozen=True)
class LeaderboardEntry:
    """One persona's place on the leaderboard (equal XP, equal rank)."""

    rank: int
    persona: PersonaInfo
    badges: int

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "host": self.persona.host,
            "id": self.persona.id,
            "name": self.persona.name,
            "avatar_seed": self.persona.avatar_seed,
            "session_id": self.persona.session_id,
            **level_json(self.persona.xp),
            "badges": self.badges,
        }


def ranked(people: Iterable[tuple[PersonaInfo, int]]) -> list[LeaderboardEntry]:
    """Leaderboard entries of (persona, badges) already in XP order: equal XP, equal rank."""
    entries: list[LeaderboardEntry] = []
    for position, (persona, badges) in enumerate(people, start=1):
        same = bool(entries) and entries[-1].persona.xp == persona.xp
        entries.append(LeaderboardEntry(entries[-1].rank if same else position, persona, badges))
    return entries


@dataclass(frozen=True)
class ProgressUpdate:
    """A persona's progression moved: what the card and the persona page should show."""

    persona: PersonaInfo
    xp_gained: int
    level_before: int
    badges_earned: tuple[BadgeInfo, ...]
    challenges_completed: tuple[str, ...]  # titles
    challenges_moved: bool

    @property
    def leveled_up(self) -> bool:
        return self.persona.level > self.level_before


# --- what the persona page shows (read by progression/page.py) -----------------------------


@dataclass(frozen=True)
class Stat:
    """One counter of a persona's progression, with the words the page puts next to it."""

    key: str
    label: str
    value: int


@dataclass(frozen=True)
class LockedBadge:
    """An achievement the persona has not earned yet, and what earns it."""

    key: str
    title: str
    description: str


@dataclass(frozen=True)
class SessionLink:
    """A Claude session id that leads to the persona: its own, or one continued after /clear."""

    session_id: str
    reason: str  # "created": the persona's own session; "continued": /clear or a fork
    linked_at: datetime

    @property
    def continued(self) -> bool:
        return self.reason != "created"


@dataclass(frozen=True)
class XpPoint:
    """The persona's total XP right after one event that paid it."""

    when: datetime
    xp: int


@dataclass(frozen=True)
class PersonaPage:
    """Everything the persona page shows, read in one transaction."""

    persona: PersonaInfo
    level: LevelProgress
    stats: tuple[Stat, ...]
    challenges: tuple[ChallengeInfo, ...]  # in draw order, held and completed
    badges: tuple[BadgeInfo, ...]  # earned, oldest first
    locked_badges: tuple[LockedBadge, ...]
    xp_history: tuple[XpPoint, ...]  # oldest first; the last one is the persona's XP
    sessions: tuple[SessionLink, ...]  # oldest first
    best_streak: int  # active days in a row
    longest_session_s: float

    @property
    def active_challenges(self) -> tuple[ChallengeInfo, ...]:
        return tuple(c for c in self.challenges if c.completed_at is None)

    @property
    def completed_challenges(self) -> tuple[ChallengeInfo, ...]:
        return tuple(c for c in self.challenges if c.completed_at is not None)
