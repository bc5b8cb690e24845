"""The progression engine: one event in, XP awards, challenge moves and badges out. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from desktop.core.history.record import EventFacts
from desktop.core.progression.badges import ACHIEVEMENTS, BADGES, challenge_badge
from desktop.core.progression.catalog import BY_KIND, INITIAL_CHALLENGES, ChallengeSpec, draw
from desktop.core.progression.levels import level_for_xp
from desktop.core.progression.rules import RELEVANT_EVENTS, XP_BY_METRIC, Facts, facts
from desktop.core.progression.state import ChallengeState, ProgressState


@dataclass(frozen=True)
class EventRecord:
    """A stored hook event as the engine sees it: its log id, name, session, time, facts."""

    event_id: int
    event_name: str
    session_id: str
    stamp: float
    facts: EventFacts

    @property
    def when(self) -> datetime:
        return datetime.fromtimestamp(self.stamp, UTC)


@dataclass(frozen=True)
class Award:
    """One ledger line to write: the rule that paid, how much, and a sentence saying why."""

    rule: str
    amount: int
    reason: str


@dataclass
class Outcome:
    """What applying one event changed."""

    event: EventRecord
    xp_before: int
    xp_after: int = 0
    awards: list[Award] = field(default_factory=list)
    badges: list[str] = field(default_factory=list)
    completed: list[ChallengeState] = field(default_factory=list)
    drawn: list[ChallengeState] = field(default_factory=list)
    challenges_moved: bool = False

    @property
    def level_before(self) -> int:
        return level_for_xp(self.xp_before)

    @property
    def level_after(self) -> int:
        return level_for_xp(self.xp_after)

    @property
    def visible(self) -> bool:
        """Did anything a person could see change (XP, a challenge, a badge)?"""
        return bool(self.awards or self.badges or self.challenges_moved)


def challenge_state(spec: ChallengeSpec, created_at: datetime | None = None) -> ChallengeState:
    return ChallengeState(
        kind=spec.kind,
        title=spec.title,
        description=spec.description,
        target=spec.target,
        created_at=created_at,
        changed=True,
    )


def initial_state(persona_id: int, seed: str) -> ProgressState:
    """A new persona: no XP, and the challenges persona creation draws for it."""
    return ProgressState(
        persona_id=persona_id,
        seed=seed,
        challenges=[challenge_state(spec) for spec in draw(seed, INITIAL_CHALLENGES)],
    )


def _track_session(state: ProgressState, event: EventRecord) -> None:
    memo = state.memo
    first = memo.session_first.get(event.session_id)
    if first is None or event.stamp < first:
        memo.session_first[event.session_id] = first = event.stamp
    memo.longest_session = max(memo.longest_session, event.stamp - first)


def _track_day(state: ProgressState, event: EventRecord, tz: tzinfo | None) -> None:
    memo = state.memo
    day = datetime.fromtimestamp(event.stamp, tz).date().toordinal()
    if day <= memo.last_day:
        return  # the same day, or an event that arrived late
    memo.streak = memo.streak + 1 if day == memo.last_day + 1 else 1
    memo.last_day = day
    memo.best_streak = max(memo.best_streak, memo.streak)


def _draw_next(state: ProgressState, done: ChallengeState, when: datetime) -> ChallengeState | None:
    memo = state.memo
    held = frozenset(c.kind for c in state.active_challenges()) | {done.kind}
    memo.draws += 1
    found = draw(f"{state.seed}:{memo.draws}", 1, held)
    if not found:
        return None
    spec = found[0].at_tier(memo.completions.get(found[0].kind, 0) + 1)
    challenge = challenge_state(spec, when)
    state.challenges.append(challenge)
    return challenge


def _move_challenges(state: ProgressState, found: Facts, out: Outcome) -> None:
    when = out.event.when
    for challenge in state.active_challenges():
        spec = BY_KIND.get(challenge.kind)
        if spec is None:
            continue  # a kind this version no longer knows stays where it is
        before = challenge.progress
        if spec.resets_on and found.counts[spec.resets_on]:
            challenge.progress = 0
        step = sum(found.counts[metric] for metric in spec.counts)
        challenge.progress = min(challenge.target, challenge.progress + step)
        if challenge.progress != before:
            challenge.changed = out.challenges_moved = True
        if challenge.progress < challenge.target:
            continue
        challenge.completed_at = when
        out.completed.append(challenge)
        state.memo.completions[challenge.kind] = state.memo.completions.get(challenge.kind, 0) + 1
        tier = max(1, challenge.target // spec.target)
        out.awards.append(
            Award(
                f"challenge:{challenge.kind}",
                spec.xp * tier,
                f"challenge completed: {challenge.title} ({challenge.description})",
            )
        )
        badge = challenge_badge(challenge.kind)
        if badge not in state.badges:
            state.badges.add(badge)
            out.badges.append(badge)
        drawn = _draw_next(state, challenge, when)
        if drawn is not None:
            out.drawn.append(drawn)


def _check_badges(state: ProgressState, out: Outcome) -> None:
    # A badge's XP can lift the level, which can earn a level badge: look again until calm.
    while True:
        new = [
            spec
            for spec in ACHIEVEMENTS
            if spec.key not in state.badges and spec.earned is not None and spec.earned(state)
        ]
        if not new:
            return
        for spec in new:
            state.badges.add(spec.key)
            out.badges.append(spec.key)
            if spec.xp:
                out.awards.append(Award(f"badge:{spec.key}", spec.xp, f"badge: {spec.title}"))
                state.xp += spec.xp


def apply(state: ProgressState, event: EventRecord, tz: tzinfo | None = None) -> Outcome | None:
    """Apply one event to a persona's state, in place; None when the event changes nothing.

    `tz` is the zone whose calendar days count for streaks (None: the machine's local zone).
    An event at or below state.last_event_id was applied before and is skipped.
    """
    if event.event_name not in RELEVANT_EVENTS or event.event_id <= state.last_event_id:
        return None
    state.last_event_id = event.event_id
    out = Outcome(event, xp_before=state.xp)
    memo = state.memo
    _track_session(state, event)
    found = facts(event.event_name, event.facts)
    if found.test_failed:
        memo.tests_failing = True
    elif found.test_passed and memo.tests_failing:
        memo.tests_failing = False
        found.counts["test_fixes"] += 1
    for metric, count in found.counts.items():
        memo.counters[metric] = memo.counters.get(metric, 0) + count
    for metric, count in sorted(found.counts.items()):
        rule = XP_BY_METRIC.get(metric)
        if rule is not None and count:
            reason = f"{rule.label}: {found.detail}" if found.detail else rule.label
            out.awards.append(Award(metric, rule.xp * count, reason))
    if out.awards:
        _track_day(state, event, tz)
    _move_challenges(state, found, out)
    state.xp += sum(a.amount for a in out.awards)
    _check_badges(state, out)
    out.xp_after = state.xp
    return out


def badge_title(key: str) -> str:
    spec = BADGES.get(key)
    return spec.title if spec else key
