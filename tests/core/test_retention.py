"""Retention: event details go past their age or the size cap, facts and XP stay."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from pathlib import Path

from desktop.core.history.record import EventFacts
from desktop.core.history.retention import BATCH, DAY_S, DETAILS, Retention
from desktop.core.history.transfer import add_events
from desktop.core.progression.rebuild import rebuild
from tests.core.progression_events import BASE_STAMP, Core, replay_all

NOW = BASE_STAMP + 400 * DAY_S  # the recordings are 400 days old


def rows(path: Path) -> dict[str, EventFacts]:
    conn = sqlite3.connect(path)
    try:
        found = conn.execute("SELECT dedupe_key, tool_name, cwd, record FROM hook_event")
        return {key: EventFacts.from_row(tool, cwd, rec) for key, tool, cwd, rec in found}
    finally:
        conn.close()


def without_details(facts: EventFacts) -> EventFacts:
    return dataclasses.replace(facts, **{key: "" for key in DETAILS})


def recent(n: int, stamp: float) -> dict[str, object]:
    return {
        "dedupe_key": f"recent:{n}",
        "event_name": "PostToolUse",
        "session_id": "recent-session",
        "stamp": stamp,
        "tool_name": "Bash",
        "cwd": "/home/dev/project",
        "record": '{"summary":"pytest -q","outcome":"ok","is_test_run":true}',
    }


def test_old_details_go_facts_and_xp_stay(tmp_path: Path) -> None:
    core = Core(tmp_path / "claude-rpg.sqlite3")
    replay_all(core.ingest)
    add_events(core.db, [recent(1, NOW - DAY_S)])
    core.progression.catch_up()
    before = rows(core.db.path)
    assert any(f.summary for f in before.values())
    xp = {p.id: p.xp for p in core.personas.all()}

    retention = Retention(core.db, detail_days=365, max_mb=0, clock=lambda: NOW)
    changed = retention.thin_all(retention.cutoff())

    after = rows(core.db.path)
    assert changed == sum(
        1 for k, f in before.items() if f != without_details(f) and k != "recent:1"
    )
    for key, facts in before.items():
        if key == "recent:1":
            assert after[key] == facts  # a day old: kept whole
        else:
            assert after[key] == without_details(facts)
    # A second pass finds nothing to do; a rebuild pays exactly the same XP.
    assert retention.thin_all(retention.cutoff()) == 0
    rebuild(core.db)
    assert {p.id: p.xp for p in core.personas.all()} == xp
    core.close()


def test_over_the_size_cap_the_window_shrinks(tmp_path: Path) -> None:
    core = Core(tmp_path / "claude-rpg.sqlite3", live=False)
    add_events(core.db, [recent(n, NOW - n * 3600.0) for n in range(6000)])
    assert Retention(core.db, 365, 0).database_mb() > 1
    retention = Retention(core.db, detail_days=365, max_mb=1, clock=lambda: NOW)
    assert retention.cutoff() == NOW - 182.5 * DAY_S
    assert retention.cutoff() == NOW - 91.25 * DAY_S
    retention.thin_all(NOW - 91.25 * DAY_S)
    facts = rows(core.db.path)
    assert facts["recent:10"].summary == "pytest -q"  # ten hours old
    assert facts["recent:5999"].summary == ""  # 250 days old
    assert facts["recent:5999"].is_test_run  # the fact stays
    core.close()


def test_a_pass_leaves_the_loop_free_between_batches(tmp_path: Path) -> None:
    core = Core(tmp_path / "claude-rpg.sqlite3", live=False)
    add_events(core.db, [recent(n, BASE_STAMP + n) for n in range(BATCH * 4)])
    retention = Retention(core.db, detail_days=30, max_mb=0, clock=lambda: NOW)
    seen: list[int] = []

    def count_thinned() -> int:
        return sum(1 for f in rows(core.db.path).values() if not f.summary)

    async def main() -> int:
        loop = asyncio.get_running_loop()
        for n in range(1, 4):
            loop.call_later(0.01 * n, lambda: seen.append(count_thinned()))
        return await retention.run_pass(pause_s=0.02)

    assert asyncio.run(main()) == BATCH * 4
    # Other work ran while the pass was under way: it saw some batches done, not all.
    assert any(0 < n < BATCH * 4 for n in seen), seen
    core.close()
