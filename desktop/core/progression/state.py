"""A persona's progression state as the engine reads and changes it (plain data, no SQL)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ChallengeState:
    """One challenge a persona holds; row_id is None until it is stored."""

    kind: str
    title: str
    description: str
    target: int
    progress: int = 0
    completed_at: datetime | None = None
    created_at: datetime | None = None  # None: the row's own creation time stands
    row_id: int | None = None
    changed: bool = False

    @property
    def active(self) -> bool:
        return self.completed_at is None


@dataclass
class Memo:
    """The counters behind badges and challenge draws, stored as JSON with the persona."""

    counters: dict[str, int] = field(default_factory=dict)
    draws: int = 0  # challenges drawn after the first ones (the seed of the next draw)
    completions: dict[str, int] = field(default_factory=dict)  # kind -> times completed
    last_day: int = 0  # proleptic ordinal of the last active local day
    streak: int = 0  # active days in a row, ending on last_day
    best_streak: int = 0
    session_first: dict[str, float] = field(default_factory=dict)  # session -> first stamp
    longest_session: float = 0.0  # seconds
    tests_failing: bool = False

    def to_json(self) -> str:
        return json.dumps(
            {
                "counters": dict(sorted(self.counters.items())),
                "draws": self.draws,
                "completions": dict(sorted(self.completions.items())),
                "last_day": self.last_day,
                "streak": self.streak,
                "best_streak": self.best_streak,
                "session_first": self.session_first,
                "longest_session": self.longest_session,
                "tests_failing": self.tests_failing,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Memo:
        data: dict[str, Any] = json.loads(text or "{}")
        return cls(
            counters={str(k): int(v) for k, v in data.get("counters", {}).items()},
            draws=int(data.get("draws", 0)),
            completions={str(k): int(v) for k, v in data.get("completions", {}).items()},
            last_day=int(data.get("last_day", 0)),
            streak=int(data.get("streak", 0)),
            best_streak=int(data.get("best_streak", 0)),
            session_first={str(k): float(v) for k, v in data.get("session_first", {}).items()},
            longest_session=float(data.get("longest_session", 0.0)),
            tests_failing=bool(data.get("tests_failing", False)),
        )


@dataclass
class ProgressState:
    """Everything the engine needs about one persona to apply its next event."""

    persona_id: int
    seed: str  # the persona's own session id: challenge draws derive from it
    xp: int = 0
    memo: Memo = field(default_factory=Memo)
    badges: set[str] = field(default_factory=set)
    challenges: list[ChallengeState] = field(default_factory=list)
    last_event_id: int = 0

    def active_challenges(self) -> list[ChallengeState]:
        return [c for c in self.challenges if c.active]
