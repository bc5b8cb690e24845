"""The engine on real payloads: the level curve, every challenge kind, every badge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.core.progression import engine
from desktop.core.progression.badges import ACHIEVEMENTS, LONG_SESSION_SECONDS
from desktop.core.progression.catalog import BY_KIND, CATALOG, INITIAL_CHALLENGES, draw
from desktop.core.progression.levels import level_for_xp, level_progress, xp_for_level
from desktop.core.progression.state import ProgressState
from tests.core.progression_events import BASE_STAMP, bash, record, recorded, tool

STOP = recorded("Stop")
API_ERROR = recorded("StopFailure")
ECHO = recorded("PostToolUse", bash("echo hi-from-tool"))
EDIT = recorded("PostToolUse", tool("Edit"))
WRITE = recorded("PostToolUse", tool("Write"))
TESTS_PASS = recorded("PostToolUse", bash("unittest"))
TESTS_FAIL = recorded("PostToolUseFailure", bash("unittest"))
COMMIT = recorded("PostToolUse", bash("git commit"))
AGENT = recorded("PostToolUse", tool("Agent"))
COMPACT = recorded("PostCompact")


class Feeder:
    """Applies payloads to one state with increasing event ids and stamps."""

    def __init__(self, state: ProgressState, stamp: float = BASE_STAMP) -> None:
        self.state = state
        self.next_id = 1
        self.stamp = stamp

    def __call__(self, payload: dict[str, Any], at: float | None = None) -> engine.Outcome:
        self.stamp = self.stamp + 1 if at is None else at
        outcome = engine.apply(self.state, record(payload, self.next_id, self.stamp), UTC)
        self.next_id += 1
        assert outcome is not None
        return outcome


def holding(*kinds: str) -> ProgressState:
    state = engine.initial_state(1, "11111111-2222-4333-8444-555555555555")
    state.challenges = [engine.challenge_state(BY_KIND[k]) for k in kinds]
    return state


# --- levels ----------------------------------------------------------------------------------


def test_the_documented_curve() -> None:
    assert [xp_for_level(n) for n in range(1, 11)] == [
        0,
        50,
        150,
        300,
        500,
        750,
        1050,
        1400,
        1800,
        2250,
    ]
    assert [level_for_xp(x) for x in (0, 49, 50, 149, 150, 499, 500)] == [1, 1, 2, 2, 3, 4, 5]


@given(st.integers(min_value=0, max_value=10**9))
def test_every_xp_total_falls_inside_its_level(xp: int) -> None:
    level = level_for_xp(xp)
    assert xp_for_level(level) <= xp < xp_for_level(level + 1)
    progress = level_progress(xp)
    assert progress.level == level and 0.0 <= progress.fraction < 1.0


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_more_xp_never_lowers_the_level(a: int, b: int) -> None:
    assert level_for_xp(min(a, b)) <= level_for_xp(max(a, b))


# --- challenges ------------------------------------------------------------------------------

# kind -> (payloads that move it by one step, in order)
STEPS: dict[str, list[dict[str, Any]]] = {
    "finish_turns": [STOP],
    "tool_calls": [ECHO],
    "edits": [EDIT],
    "shell_commands": [ECHO],
    "test_runs": [TESTS_FAIL],
    "commits": [COMMIT],
    "subagents": [AGENT],
    "clean_turns": [STOP],
    "fix_failing_tests": [TESTS_FAIL, TESTS_PASS],
}


def test_every_catalog_kind_has_steps() -> None:
    assert set(STEPS) == {spec.kind for spec in CATALOG}


@pytest.mark.parametrize("kind", sorted(STEPS))
def test_each_challenge_moves_one_step_at_a_time_and_completes(kind: str) -> None:
    spec = BY_KIND[kind]
    state = holding(kind)
    feed = Feeder(state)
    [challenge] = state.challenges
    for step in range(1, spec.target + 1):
        outcomes = [feed(payload) for payload in STEPS[kind]]
        assert challenge.progress == step
    last = outcomes[-1]
    assert last.completed == [challenge]
    assert challenge.completed_at == datetime.fromtimestamp(feed.stamp, UTC)
    [paid] = [a for a in last.awards if a.rule == f"challenge:{kind}"]
    assert paid.amount == spec.xp and spec.title in paid.reason
    assert f"challenge:{kind}" in last.badges
    [drawn] = last.drawn
    assert drawn.kind != kind and drawn.progress == 0 and drawn.completed_at is None
    assert [c.kind for c in state.active_challenges()] == [drawn.kind]


def test_edits_count_writes_too() -> None:
    state = holding("edits")
    feed = Feeder(state)
    feed(EDIT)
    feed(WRITE)
    assert state.challenges[0].progress == 2


def test_an_api_error_resets_the_clean_turns_challenge() -> None:
    state = holding("clean_turns", "finish_turns")
    feed = Feeder(state)
    for _ in range(4):
        feed(STOP)
    outcome = feed(API_ERROR)
    clean, finish = state.challenges
    assert clean.progress == 0 and outcome.challenges_moved
    assert finish.progress == 4  # a failed turn takes nothing from the others
    feed(STOP)
    assert clean.progress == 1


def test_a_failed_tool_call_does_not_reset_clean_turns() -> None:
    state = holding("clean_turns")
    feed = Feeder(state)
    feed(STOP)
    feed({**TESTS_FAIL, "tool_input": {"command": "false"}})
    assert state.challenges[0].progress == 1


def test_completion_draws_a_kind_the_persona_does_not_hold() -> None:
    state = holding("commits", "edits", "test_runs")
    outcome = Feeder(state)(COMMIT)
    [drawn] = outcome.drawn
    assert drawn.kind not in {"commits", "edits", "test_runs"}
    expected = draw(f"{state.seed}:1", 1, frozenset({"commits", "edits", "test_runs"}))
    assert drawn.kind == expected[0].kind
    assert len(state.active_challenges()) == 3


def test_a_kind_drawn_again_comes_back_one_tier_harder() -> None:
    state = engine.initial_state(1, "11111111-2222-4333-8444-555555555555")
    assert len(state.challenges) == INITIAL_CHALLENGES
    feed = Feeder(state)
    busy_turn = [EDIT, WRITE, TESTS_FAIL, TESTS_PASS, COMMIT, AGENT, ECHO, STOP]
    for _ in range(200):
        for payload in busy_turn:
            feed(payload)
        second = [c for c in state.challenges if c.title.endswith(" II")]
        if any(c.completed_at for c in second):
            break
    [again] = [c for c in state.challenges if c.title.endswith(" II") and c.completed_at]
    spec = BY_KIND[again.kind]
    assert again.target == 2 * spec.target
    assert again.description == spec.description_many.format(n=again.target)
    assert state.memo.completions[again.kind] >= 2
    assert len(state.active_challenges()) == INITIAL_CHALLENGES


def test_the_same_event_never_counts_twice() -> None:
    state = holding("finish_turns")
    event = record(STOP, 7)
    assert engine.apply(state, event, UTC) is not None
    xp, progress = state.xp, state.challenges[0].progress
    assert engine.apply(state, event, UTC) is None
    assert engine.apply(state, record(STOP, 6), UTC) is None  # an older one, applied before
    assert (state.xp, state.challenges[0].progress) == (xp, progress)


# --- badges ----------------------------------------------------------------------------------


def earned_by(outcome: engine.Outcome) -> set[str]:
    return {key for key in outcome.badges if not key.startswith("challenge:")}


@pytest.mark.parametrize(
    ("badge", "payloads"),
    [
        ("first_turn", [STOP]),
        ("first_commit", [COMMIT]),
        ("first_subagent", [AGENT]),
        ("first_compaction", [COMPACT]),
        ("bug_squasher", [TESTS_FAIL, TESTS_PASS]),
    ],
)
def test_first_time_badges(badge: str, payloads: list[dict[str, Any]]) -> None:
    feed = Feeder(holding())
    outcomes = [feed(p) for p in payloads]
    assert badge in earned_by(outcomes[-1])
    assert all(badge not in earned_by(o) for o in outcomes[:-1])
    spec = next(b for b in ACHIEVEMENTS if b.key == badge)
    assert [a.amount for a in outcomes[-1].awards if a.rule == f"badge:{badge}"] == [spec.xp]
    assert badge not in earned_by(feed(payloads[-1]))  # once only


@pytest.mark.parametrize(
    ("badge", "metric", "at", "payload"),
    [
        ("tools_100", "tool_calls", 100, ECHO),
        ("tools_1000", "tool_calls", 1000, ECHO),
        ("turns_100", "turns", 100, STOP),
    ],
)
def test_count_badges_come_exactly_at_their_count(
    badge: str, metric: str, at: int, payload: dict[str, Any]
) -> None:
    state = holding()
    state.memo.counters[metric] = at - 2
    feed = Feeder(state)
    assert badge not in earned_by(feed(payload))
    assert badge in earned_by(feed(payload))


def test_long_session_badge_after_three_hours_of_one_session() -> None:
    feed = Feeder(holding())
    feed(STOP, at=BASE_STAMP)
    assert "long_session" not in earned_by(feed(STOP, at=BASE_STAMP + LONG_SESSION_SECONDS - 1))
    other = {**STOP, "session_id": "another-session"}
    assert "long_session" not in earned_by(feed(other, at=BASE_STAMP + LONG_SESSION_SECONDS))
    assert "long_session" in earned_by(feed(STOP, at=BASE_STAMP + LONG_SESSION_SECONDS))


def day(n: int) -> float:
    return datetime(2026, 3, 2, 12, tzinfo=UTC).timestamp() + n * 86400


def test_streak_badges_need_days_in_a_row() -> None:
    state = holding()
    feed = Feeder(state)
    earned: dict[str, int] = {}
    # Days 0, 1, (gap), 3..9: the gap restarts the streak.
    for n in (0, 1, 3, 4, 5, 6, 7, 8, 9):
        for at in (day(n), day(n) + 3600):  # two events on each active day
            for key in earned_by(feed(STOP, at=at)):
                earned[key] = n
        assert state.memo.last_day == datetime.fromtimestamp(day(n), UTC).date().toordinal()
    assert earned["streak_3"] == 5 and earned["streak_7"] == 9
    assert state.memo.best_streak == 7


def test_a_day_without_xp_is_not_active() -> None:
    state = holding()
    feed = Feeder(state)
    feed(STOP, at=day(0))
    feed(recorded("SessionStart"), at=day(1))  # opening Claude earns nothing
    feed(STOP, at=day(2))
    assert state.memo.streak == 1


def test_level_badges_and_a_badge_cascade_in_one_event() -> None:
    state = holding()
    state.badges = {"first_turn"}
    state.xp = xp_for_level(5) - 22
    feed = Feeder(state)
    outcome = feed(COMMIT)  # 2 + 10 for the command, 10 for the first-commit badge
    assert outcome.level_before == 4 and outcome.level_after == 5
    assert {"first_commit", "level_5"} <= earned_by(outcome)
    assert state.xp == xp_for_level(5)
    state.xp = xp_for_level(10) - 5
    assert "level_10" in earned_by(feed(STOP))


def test_every_achievement_is_tested_here() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    for badge in ACHIEVEMENTS:
        assert f'"{badge.key}"' in source, badge.key


def test_active_days_use_the_given_time_zone() -> None:
    # 23:30 and 00:30 UTC are one day in UTC-2 and two days in UTC.
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC).timestamp()
    for tz, days in ((UTC, 2), (timezone(timedelta(hours=-2)), 1)):
        state = holding()
        for i, at in enumerate((late, late + 3600), start=1):
            engine.apply(state, record(STOP, i, at), tz)
        assert state.memo.streak == days
