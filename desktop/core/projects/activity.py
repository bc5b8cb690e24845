"""Tallies of what Claude did, per project and per persona, from the event log.

Counted per event (see docs in README "Daily report"):

- turns: Stop events (a finished turn; a stop-hook continuation is still one Stop);
- tool calls: PostToolUse and PostToolUseFailure (a call that finished, well or not);
- commits: PostToolUse of a Bash command that runs `git commit`;
- test runs: PostToolUse or PostToolUseFailure of a Bash command that runs a test suite;
- XP, level-ups, badges: from the XP ledger and badges, at the event that earned them;
- challenges completed: at their completion time, in the project the persona worked in last;
- working / waiting for you: the time a session spent working, or asking you (a permission
  dialog, a question), from its status after each event (the same table the cards use) until
  its next event; a gap is counted at most MAX_GAP_S (the app or the session was gone).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop.core.hooks.payload import IncomingEvent
from desktop.core.model import Status
from desktop.core.progression.levels import level_for_xp
from desktop.core.projects.identity import NO_PROJECT, ProjectKey
from desktop.core.projects.views import Tally
from desktop.core.status import HookState, status_after
from desktop.core.usage.prices import Price, price_for
from desktop.store.activity import AwardSum, Earned, EventRow, ReplyTokens

MAX_GAP_S = 30 * 60.0
TOOL_DONE = frozenset({"PostToolUse", "PostToolUseFailure"})

Resolve = Callable[[str], ProjectKey]


def event_status(row: EventRow, state: HookState) -> HookState:
    """The session's status after a logged event, by the table the live cards use."""
    payload: dict[str, Any] = {
        "tool_name": row.tool_name,
        "source": row.source,
        "notification_type": row.notification_type,
        "trigger": row.trigger,
        "is_interrupt": row.outcome == "interrupted",
    }
    incoming = IncomingEvent(payload, row.event_name, row.session_id, str(row.id), row.stamp)
    change = status_after(incoming, state)
    if change is None:
        return state
    return HookState(change.status, change.detail, row.stamp, row.event_name, state.subagents)


@dataclass
class Ledger:
    """Tallies by (project, persona): the report and the project page are sums of these."""

    cells: dict[tuple[ProjectKey, int | None], Tally] = field(
        default_factory=lambda: defaultdict(Tally)
    )
    last_project: dict[int, tuple[float, ProjectKey]] = field(default_factory=dict)
    # Where each session worked, in stamp order: a reply counts where its session was then.
    session_places: dict[str, list[tuple[float, ProjectKey]]] = field(default_factory=dict)

    def cell(self, project: ProjectKey, persona: int | None) -> Tally:
        return self.cells[(project, persona)]


def tally_events(
    ledger: Ledger,
    events: Iterable[EventRow],
    persona_of: dict[str, tuple[int, str]],
    resolve: Resolve,
    until: float,
) -> None:
    """Count turns, tool calls, commits, tests and time from events (in stamp order)."""
    states: dict[str, tuple[HookState, float, ProjectKey, int | None]] = {}

    def close(session: str, end: float) -> None:
        known = states.get(session)
        if known is None:
            return
        state, since, project, persona = known
        gap = min(max(0.0, end - since), MAX_GAP_S)
        if state.status is Status.WORKING:
            ledger.cell(project, persona).working_s += gap
        elif state.status is Status.NEEDS_INPUT:
            ledger.cell(project, persona).waiting_s += gap

    for row in events:
        project = resolve(row.cwd)
        persona = persona_of.get(row.session_id, (None, ""))[0]
        tally = ledger.cell(project, persona)
        if row.event_name == "Stop":
            tally.turns += 1
        elif row.event_name in TOOL_DONE:
            tally.tool_calls += 1
            if row.is_commit and row.event_name == "PostToolUse":
                tally.commits += 1
            if row.is_test_run:
                tally.test_runs += 1
        if persona is not None:
            ledger.last_project[persona] = (row.stamp, project)
        places = ledger.session_places.setdefault(row.session_id, [])
        if not places or places[-1][1] != project:
            places.append((row.stamp, project))
        close(row.session_id, row.stamp)
        before = states.get(row.session_id)
        state = event_status(row, before[0] if before else HookState())
        states[row.session_id] = (state, row.stamp, project, persona)
    for session in list(states):
        close(session, until)


def tally_xp(
    ledger: Ledger, before: dict[int, int], awards: Iterable[AwardSum], resolve: Resolve
) -> None:
    """XP and level-ups of the awards in the span; `before`: each persona's XP until then."""
    totals: dict[int, int] = defaultdict(int, before)
    for award in awards:
        was = totals[award.persona_id]
        now = was + award.amount
        totals[award.persona_id] = now
        tally = ledger.cell(resolve(award.cwd), award.persona_id)
        tally.xp += award.amount
        tally.level_ups += max(0, level_for_xp(now) - level_for_xp(was))


def tally_earned(
    ledger: Ledger, badges: Iterable[Earned], challenges: Iterable[Earned], resolve: Resolve
) -> None:
    """Badges where they were earned; challenges where the persona worked last."""
    for badge in badges:
        ledger.cell(resolve(badge.cwd), badge.persona_id).badges += 1
    for done in challenges:
        where = ledger.last_project.get(done.persona_id)
        ledger.cell(where[1] if where else NO_PROJECT, done.persona_id).challenges += 1


def tally_tokens(
    ledger: Ledger,
    replies: Iterable[ReplyTokens],
    persona_of: dict[str, tuple[int, str]],
    prices: Mapping[str, Price] | None = None,
) -> None:
    """Tokens and their estimated cost, where the reply's session worked at the time (its
    first place when the reply came before any logged event)."""
    for reply in replies:
        places = ledger.session_places.get(reply.session_id, [])
        where = NO_PROJECT
        for stamp, project in places:
            if stamp > reply.ts and where is not NO_PROJECT:
                break
            where = project
        persona = persona_of.get(reply.session_id, (None, ""))[0]
        tally = ledger.cell(where, persona)
        counts = (
            reply.input_tokens,
            reply.output_tokens,
            reply.cache_read_tokens,
            reply.cache_creation_tokens,
        )
        tally.tokens += sum(counts)
        tally.cost_usd += price_for(reply.model, prices).cost(*counts)
