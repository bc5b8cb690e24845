"""Sample progression for the screenshots: a persona page and a leaderboard, shaped as the core."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime, timedelta

from desktop.core.model import ChallengeInfo, PersonaInfo
from desktop.core.progression.badges import ACHIEVEMENTS, BADGES
from desktop.core.progression.levels import level_for_xp, level_progress
from desktop.core.progression.page import STAT_LABELS
from desktop.core.progression.views import (
    BadgeInfo,
    LeaderboardEntry,
    LockedBadge,
    PersonaPage,
    SessionLink,
    Stat,
    XpPoint,
)

COUNTERS = {
    "tool_calls": 214,
    "turns": 63,
    "reads": 96,
    "edits": 41,
    "writes": 12,
    "shell_commands": 58,
    "test_runs": 19,
    "test_fixes": 3,
    "commits": 7,
    "subagents": 4,
    "web": 3,
    "compactions": 2,
    "other_tools": 7,
    "failed_turns": 1,
}
EARNED = (
    "first_turn",
    "challenge:finish_turns",
    "first_commit",
    "challenge:commits",
    "bug_squasher",
    "challenge:test_runs",
    "first_subagent",
    "tools_100",
    "streak_3",
    "level_5",
)
# A working day's rhythm of XP per event: reads, edits, test runs, a commit now and then.
RHYTHM = (1, 1, 3, 2, 1, 5, 3, 1, 7, 2, 1, 3, 12, 5, 1, 3, 2, 20)


def sample_session_id(label: str) -> str:
    """A session id that looks like Claude's (a UUID), the same for the same label."""
    raw = hashlib.sha256(f"session:{label}".encode()).hexdigest()
    return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-a{raw[17:20]}-{raw[20:32]}"


def xp_history(start: datetime, total: int) -> tuple[XpPoint, ...]:
    """Four working days of events whose XP adds up to `total`."""
    points: list[XpPoint] = []
    xp, n = 0, 0
    for day in range(4):
        when = start + timedelta(days=day, hours=9)
        for _ in range(22 + 6 * day):
            n += 1
            xp += RHYTHM[n % len(RHYTHM)]
            when += timedelta(minutes=7 + (n * 13) % 17)
            points.append(XpPoint(when, xp))
    scale = total / xp
    return tuple(dataclasses.replace(p, xp=round(p.xp * scale)) for p in points)


def persona_page(persona: PersonaInfo, now: datetime) -> PersonaPage:
    start = now - timedelta(days=4, hours=3)
    persona = dataclasses.replace(persona, created_at=start)
    history = xp_history(start, persona.xp)
    done_at = [history[i].when for i in (12, 40, 71, 101)]
    challenges = (
        ChallengeInfo(1, "finish_turns", "Finisher", "Finish 5 turns", 5, 5, done_at[0]),
        ChallengeInfo(2, "commits", "Committer", "Make a git commit", 1, 1, done_at[1]),
        ChallengeInfo(3, "test_runs", "Tester", "Run the tests 3 times", 3, 3, done_at[2]),
        ChallengeInfo(4, "edits", "Wordsmith", "Make 10 edits to files", 7, 10, None),
        ChallengeInfo(5, "test_runs", "Tester II", "Run the tests 6 times", 4, 6, None),
        ChallengeInfo(
            6, "clean_turns", "Steady hand", "Finish 10 turns without an error", 3, 10, None
        ),
    )
    badges = tuple(
        BadgeInfo(key, BADGES[key].title, BADGES[key].description, history[8 + 9 * i].when)
        for i, key in enumerate(EARNED)
    )
    own = persona.session_id
    sessions = (
        SessionLink(own, "created", start),
        SessionLink(sample_session_id("lynx-2"), "continued", start + timedelta(days=1, hours=2)),
        SessionLink(sample_session_id("lynx-3"), "continued", now - timedelta(hours=5)),
    )
    return PersonaPage(
        persona=dataclasses.replace(persona, session_ids=tuple(s.session_id for s in sessions)),
        level=level_progress(persona.xp),
        stats=tuple(Stat(key, label, COUNTERS.get(key, 0)) for key, label in STAT_LABELS),
        challenges=challenges,
        badges=badges,
        locked_badges=tuple(
            LockedBadge(a.key, a.title, a.description) for a in ACHIEVEMENTS if a.key not in EARNED
        ),
        xp_history=history,
        sessions=sessions,
        best_streak=4,
        longest_session_s=2 * 3600 + 14 * 60,
    )


def leaderboard(on_panes: list[PersonaInfo], make: type[PersonaInfo]) -> list[LeaderboardEntry]:
    """The pane personas and a few whose sessions ended, ranked as the core ranks them."""
    now = on_panes[0].created_at
    gone = [
        make(900 + i, sample_session_id(name), name, hashlib.sha256(name.encode()).hexdigest(), now)
        for i, name in enumerate(("Golden Ibis", "Calm Moose", "Young Gecko"))
    ]
    xp = {"Golden Ibis": 880, "Calm Moose": 205, "Young Gecko": 0}
    people = on_panes + [
        dataclasses.replace(p, xp=xp[p.name], level=level_for_xp(xp[p.name])) for p in gone
    ]
    people.sort(key=lambda p: (-p.xp, p.id))
    badges = {p.id: min(12, p.xp // 90) for p in people}
    entries: list[LeaderboardEntry] = []
    for position, person in enumerate(people, start=1):
        same = bool(entries) and entries[-1].persona.xp == person.xp
        entries.append(
            LeaderboardEntry(entries[-1].rank if same else position, person, badges[person.id])
        )
    return entries
