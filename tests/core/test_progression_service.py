"""The live path against rebuild and catch-up: the recorded real events, real SQLite files."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from desktop.core.model import PaneState
from desktop.core.progression.levels import level_for_xp
from desktop.core.progression.rebuild import rebuild
from desktop.core.progression.rules import RELEVANT_EVENTS
from desktop.core.progression.views import ProgressUpdate
from desktop.store.repos import ProgressionRepo
from tests.core.progression_events import (
    RECORDINGS,
    Core,
    all_rows,
    incoming,
    replay_all,
    rows,
)

PROGRESSION_SESSION = rows(RECORDINGS[1])[0]["payload"]["session_id"]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Core]:
    core = Core(tmp_path / "live.sqlite3")
    yield core
    core.close()


def test_xp_is_the_ledger_sum_and_each_line_names_its_rule(live: Core) -> None:
    assert replay_all(live.ingest) == sum(1 for _ in all_rows())
    snap = live.snapshot()
    assert any(p["xp"] > 0 for p in snap.values())
    for persona in snap.values():
        assert persona["xp"] == sum(line[2] for line in persona["ledger"])
        assert persona["level"] == level_for_xp(persona["xp"])
    persona = live.personas.find_persona_by_session_id(PROGRESSION_SESSION)
    assert persona is not None
    paid = Counter(rule for _e, rule, *_ in snap[persona.id]["ledger"])
    # The recorded session: 2 writes, a failing and a passing test run, an edit, a commit and
    # 6 finished turns. The challenge lines depend on what that session id drew.
    assert {rule: n for rule, n in paid.items() if not rule.startswith("challenge:")} == {
        "writes": 2,
        "test_runs": 2,
        "edits": 1,
        "shell_commands": 2,
        "test_fixes": 1,
        "commits": 1,
        "turns": 6,
        "badge:first_turn": 1,
        "badge:bug_squasher": 1,
        "badge:first_commit": 1,
    }


def test_duplicate_deliveries_pay_nothing(live: Core) -> None:
    replay_all(live.ingest)
    before = live.snapshot()
    assert replay_all(live.ingest) == 0  # the same dedupe keys again
    assert live.snapshot() == before


def test_rebuild_gives_exactly_the_live_totals(live: Core) -> None:
    replay_all(live.ingest)
    before = live.snapshot()
    report = rebuild(live.db, tz=UTC)
    assert live.snapshot() == before  # row by row, challenge ids included
    assert report.events == sum(1 for _stem, _i, row in all_rows() if _relevant(row))
    assert not any(p.changed for p in report.personas)
    assert {p.persona_id: p.xp_after for p in report.personas} == {
        pid: p["xp"] for pid, p in before.items()
    }
    rebuild(live.db, tz=UTC)
    assert live.snapshot() == before


def _relevant(row: dict[str, Any]) -> bool:
    return row["payload"]["hook_event_name"] in RELEVANT_EVENTS


def test_rebuild_and_catch_up_of_a_log_progression_never_saw(live: Core, tmp_path: Path) -> None:
    replay_all(live.ingest)
    expected = live.snapshot(with_ids=False)
    for name, fix in (("rebuilt", lambda c: rebuild(c.db, tz=UTC)), ("caught-up", None)):
        core = Core(tmp_path / f"{name}.sqlite3", live=False)
        replay_all(core.ingest)
        assert all(p["xp"] == 0 for p in core.snapshot().values())
        if fix is None:
            assert core.progression.catch_up() > 0
            assert core.progression.catch_up() == 0
        else:
            fix(core)
        assert core.snapshot(with_ids=False) == expected, name
        core.close()


def test_a_log_tampered_progression_is_put_right_by_rebuild(live: Core) -> None:
    replay_all(live.ingest)
    before = live.snapshot()
    pid = next(pid for pid, p in before.items() if p["xp"])
    with live.db.session() as s:
        ProgressionRepo(s).set_persona_xp(pid, 999_999, 99)
        ProgressionRepo(s).clear(pid)
    report = rebuild(live.db, tz=UTC)
    assert [p.persona_id for p in report.personas if p.changed] == [pid]
    assert live.snapshot() == before


def test_cards_and_subscribers_follow_the_xp(live: Core) -> None:
    live.registry.put(PaneState(pane_id="%0", target="work:1.0", cwd="/home/dev/project"))
    updates: list[ProgressUpdate] = []
    shown: list[int] = []
    live.progression.subscribe(updates.append)
    live.registry.subscribe(lambda pane: shown.append(pane.persona.xp if pane.persona else -1))
    for stem, i, row in all_rows():
        if stem == RECORDINGS[1].stem:
            live.ingest.ingest(incoming(stem, i, row))
    persona = live.personas.find_persona_by_session_id(PROGRESSION_SESSION)
    assert persona is not None and persona.xp > 0
    pane = live.registry.get("%0")
    assert pane is not None and pane.persona is not None
    assert (pane.persona.id, pane.persona.xp, pane.persona.level) == (
        persona.id,
        persona.xp,
        persona.level,
    )
    xp_shown = [xp for xp in shown if xp >= 0]
    assert xp_shown[-1] == persona.xp and xp_shown == sorted(xp_shown)  # only ever up
    assert sum(u.xp_gained for u in updates) == persona.xp
    assert [u.persona.level for u in updates if u.leveled_up] == list(range(2, persona.level + 1))
    earned = [b.key for u in updates for b in u.badges_earned]
    assert {"first_turn", "bug_squasher", "first_commit"} <= set(earned)
    assert len(earned) == len(set(earned))


def test_a_broken_subscriber_does_not_stop_the_others(live: Core) -> None:
    seen: list[ProgressUpdate] = []

    def broken(_update: ProgressUpdate) -> None:
        raise RuntimeError("boom")

    live.progression.subscribe(broken)
    live.progression.subscribe(seen.append)
    replay_all(live.ingest)
    assert seen


def test_reads_for_the_api(live: Core) -> None:
    replay_all(live.ingest)
    persona = live.personas.find_persona_by_session_id(PROGRESSION_SESSION)
    assert persona is not None
    badges = live.progression.badges(persona.id)
    assert badges is not None
    assert {b.key for b in badges} >= {"first_turn", "bug_squasher", "first_commit"}
    assert all(b.title and b.description for b in badges)
    ledger = live.progression.ledger(persona.id)
    assert ledger is not None and sum(line.amount for line in ledger) == persona.xp
    assert live.progression.badges(999) is None and live.progression.ledger(999) is None
    board = live.progression.leaderboard()
    assert len(board) == len(live.personas.all())
    assert [e.persona.xp for e in board] == sorted((e.persona.xp for e in board), reverse=True)
    for position, entry in enumerate(board, start=1):
        previous = board[position - 2] if position > 1 else None
        tied = previous is not None and previous.persona.xp == entry.persona.xp
        assert entry.rank == (previous.rank if previous and tied else position)
    assert any(a.rank == b.rank for a, b in itertools.pairwise(board))  # zero-XP ties


def test_clear_continues_the_persona_and_its_xp_live_and_rebuilt(live: Core) -> None:
    # With the pane known, /clear in it (SessionEnd clear, SessionStart source=clear with a
    # new session id) continues the same persona; its XP keeps growing across both ids.
    live.registry.put(PaneState(pane_id="%0", target="work:1.0", cwd="/home/dev/project"))
    first = rows(RECORDINGS[0])
    for i, row in enumerate(first):
        live.ingest.ingest(incoming(RECORDINGS[0].stem, i, row))
    old_id = first[0]["payload"]["session_id"]
    new_id = next(
        r["payload"]["session_id"] for r in first if r["payload"].get("source") == "clear"
    )
    persona = live.personas.find_persona_by_session_id(old_id)
    assert persona is not None and persona.session_id == old_id
    assert live.personas.find_persona_by_session_id(new_id) == persona
    with live.db.session() as s:
        after_clear = {
            row.id
            for row in ProgressionRepo(s).events_to_apply(
                RELEVANT_EVENTS, rebuild=True, limit=10_000
            )
            if row.session_id == new_id and row.persona_id == persona.id
        }
    ledger = live.progression.ledger(persona.id)
    assert ledger is not None
    assert {line.rule for line in ledger if line.event_id in after_clear} >= {"turns", "reads"}
    before = live.snapshot()
    rebuild(live.db, tz=UTC)
    assert live.snapshot() == before


def _progression_session_events() -> list[Any]:
    return [incoming(s, i, row) for s, i, row in all_rows() if s == RECORDINGS[1].stem]


def _xp_of(core: Core, session_id: str) -> int:
    persona = core.personas.find_persona_by_session_id(session_id)
    assert persona is not None
    return persona.xp


def test_a_change_by_another_connection_is_read_before_the_next_batch(
    live: Core, tmp_path: Path
) -> None:
    """The live path keeps states in memory; another writer (a `progression rebuild` in
    another process, here a second connection) must be seen, not overwritten."""
    events = _progression_session_events()
    half = len(events) // 2
    reference = Core(tmp_path / "reference.sqlite3")
    reference.ingest.ingest_many(events[:half])
    xp_half = _xp_of(reference, PROGRESSION_SESSION)
    reference.ingest.ingest_many(events[half:])
    xp_full = _xp_of(reference, PROGRESSION_SESSION)
    reference.close()
    assert 0 < xp_half < xp_full

    live.ingest.ingest_many(events[:half])
    assert _xp_of(live, PROGRESSION_SESSION) == xp_half
    other = Core(live.db.path, live=False)
    persona = other.personas.find_persona_by_session_id(PROGRESSION_SESSION)
    assert persona is not None
    with other.db.session() as s:
        ProgressionRepo(s).set_persona_xp(persona.id, xp_half + 1000, level_for_xp(xp_half + 1000))
    other.close()
    live.ingest.ingest_many(events[half:])
    assert _xp_of(live, PROGRESSION_SESSION) == xp_full + 1000


def test_a_batch_that_rolled_back_leaves_nothing_behind_in_memory(
    live: Core, tmp_path: Path
) -> None:
    events = _progression_session_events()
    reference = Core(tmp_path / "reference.sqlite3")
    reference.ingest.ingest_many(events)
    expected = reference.snapshot(with_ids=False)
    reference.close()

    failing = {"now": False}

    def flaky_writer(_s: Any, _stored: Any) -> None:
        if failing["now"]:
            raise RuntimeError("disk full")

    live.ingest.add_writer(flaky_writer)  # runs after progression, in the same transaction
    for n, event in enumerate(events):
        if n % 3 == 1:  # every third event fails once (rolled back), then arrives again
            failing["now"] = True
            with pytest.raises(RuntimeError, match="disk full"):
                live.ingest.ingest(event)
            failing["now"] = False
        live.ingest.ingest(event)
    assert live.snapshot(with_ids=False) == expected
