"""The badge catalog: achievements checked after every relevant event, and challenge badges."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from desktop.core.progression.catalog import CATALOG
from desktop.core.progression.levels import level_for_xp
from desktop.core.progression.state import ProgressState

LONG_SESSION_SECONDS = 3 * 3600


@dataclass(frozen=True)
class BadgeSpec:
    """An achievement: its key, what it is called, what earns it and the XP it pays."""

    key: str
    title: str
    description: str
    xp: int
    earned: Callable[[ProgressState], bool] | None = None  # None: granted by a challenge


def _count(metric: str, at_least: int) -> Callable[[ProgressState], bool]:
    return lambda state: state.memo.counters.get(metric, 0) >= at_least


def _level(at_least: int) -> Callable[[ProgressState], bool]:
    return lambda state: level_for_xp(state.xp) >= at_least


def _streak(days: int) -> Callable[[ProgressState], bool]:
    return lambda state: state.memo.best_streak >= days


def _long_session(state: ProgressState) -> bool:
    return state.memo.longest_session >= LONG_SESSION_SECONDS


ACHIEVEMENTS: tuple[BadgeSpec, ...] = (
    BadgeSpec("first_turn", "Hello, world", "Finish a first turn", 5, _count("turns", 1)),
    BadgeSpec("first_commit", "First commit", "Make a first git commit", 10, _count("commits", 1)),
    BadgeSpec("first_subagent", "Team player", "Use a first subagent", 5, _count("subagents", 1)),
    BadgeSpec("first_compaction", "Tidy mind", "Compact the context", 5, _count("compactions", 1)),
    BadgeSpec(
        "bug_squasher", "Bug squasher", "Make a failing test run pass", 15, _count("test_fixes", 1)
    ),
    BadgeSpec("tools_100", "Centurion", "Use 100 tools", 25, _count("tool_calls", 100)),
    BadgeSpec("tools_1000", "Toolsmith", "Use 1,000 tools", 100, _count("tool_calls", 1000)),
    BadgeSpec("turns_100", "Conversationalist", "Finish 100 turns", 50, _count("turns", 100)),
    BadgeSpec("long_session", "Marathon", "Keep one session going for 3 hours", 25, _long_session),
    BadgeSpec("streak_3", "Regular", "Be active 3 days in a row", 15, _streak(3)),
    BadgeSpec("streak_7", "Week streak", "Be active 7 days in a row", 50, _streak(7)),
    BadgeSpec("level_5", "Adept", "Reach level 5", 0, _level(5)),
    BadgeSpec("level_10", "Veteran", "Reach level 10", 0, _level(10)),
)

CHALLENGE_BADGES: tuple[BadgeSpec, ...] = tuple(
    BadgeSpec(
        f"challenge:{spec.kind}", spec.title, f"Complete the challenge “{spec.description}”", 0
    )
    for spec in CATALOG
)

BADGES: dict[str, BadgeSpec] = {b.key: b for b in ACHIEVEMENTS + CHALLENGE_BADGES}


def challenge_badge(kind: str) -> str:
    return f"challenge:{kind}"
