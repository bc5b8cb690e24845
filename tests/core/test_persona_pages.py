"""The persona page's data: the recorded real events replayed into a real SQLite file."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.core.model import PaneState
from desktop.core.progression.badges import ACHIEVEMENTS
from desktop.core.progression.page import STAT_LABELS, PersonaPages, chart_indices
from desktop.core.progression.views import XpPoint
from desktop.store.repos import sql_time
from tests.core.progression_events import RECORDINGS, Core, incoming, replay_all, rows

PROGRESSION_SESSION = rows(RECORDINGS[1])[0]["payload"]["session_id"]


@pytest.fixture
def core(tmp_path: Path) -> Iterator[Core]:
    live = Core(tmp_path / "pages.sqlite3")
    yield live
    live.close()


def test_the_page_holds_what_the_store_holds(core: Core) -> None:
    replay_all(core.ingest)
    persona = core.personas.find_persona_by_session_id(PROGRESSION_SESSION)
    assert persona is not None
    page = PersonaPages(core.db).page(persona.id)
    assert page is not None
    assert page.persona.xp == persona.xp > 0
    assert page.level.level == persona.level and page.level.xp == persona.xp
    stats = {stat.key: stat.value for stat in page.stats}
    assert [stat.key for stat in page.stats] == [key for key, _ in STAT_LABELS]
    # The recorded session: 2 writes, an edit, a failing then passing test run, a commit.
    assert stats["writes"] == 2 and stats["edits"] == 1 and stats["commits"] == 1
    assert stats["test_runs"] == 2 and stats["test_fixes"] == 1
    assert stats["turns"] == 6


def test_every_page_shows_the_challenges_and_badges_the_api_gives(core: Core) -> None:
    replay_all(core.ingest)
    pages = PersonaPages(core.db)
    completed = 0
    for persona in core.personas.all():
        page = pages.page(persona.id)
        assert page is not None
        assert list(page.challenges) == core.personas.challenges(persona.id)
        assert len(page.active_challenges) == 3
        completed += len(page.completed_challenges)
        assert list(page.badges) == core.progression.badges(persona.id)
        earned = {b.key for b in page.badges}
        assert {b.key for b in page.locked_badges} == {a.key for a in ACHIEVEMENTS} - earned
    assert completed > 0  # the recordings complete challenges (Finisher, Delegator)


def test_the_xp_history_climbs_to_the_personas_xp(core: Core) -> None:
    replay_all(core.ingest)
    persona = core.personas.find_persona_by_session_id(PROGRESSION_SESSION)
    assert persona is not None
    page = PersonaPages(core.db).page(persona.id)
    assert page is not None
    ledger = core.progression.ledger(persona.id, limit=100_000)
    assert ledger is not None
    assert len(page.xp_history) == len({line.event_id for line in ledger})
    assert page.xp_history[-1].xp == persona.xp
    for a, b in itertools.pairwise(page.xp_history):
        assert a.when <= b.when and a.xp < b.xp
    assert all(p.when.tzinfo is not None for p in page.xp_history)


def test_sessions_linked_through_clear_are_listed_after_the_first(core: Core) -> None:
    core.registry.put(PaneState(pane_id="%0", target="work:1.0", cwd="/home/dev/project"))
    first = rows(RECORDINGS[0])
    for i, row in enumerate(first):
        core.ingest.ingest(incoming(RECORDINGS[0].stem, i, row))
    own = first[0]["payload"]["session_id"]
    after_clear = next(
        r["payload"]["session_id"] for r in first if r["payload"].get("source") == "clear"
    )
    persona = core.personas.find_persona_by_session_id(own)
    assert persona is not None
    page = PersonaPages(core.db).page(persona.id)
    assert page is not None
    assert page.sessions[0].session_id == own and not page.sessions[0].continued
    linked = [link.session_id for link in page.sessions if link.continued]
    assert after_clear in linked
    assert page.persona.session_ids == tuple(link.session_id for link in page.sessions)


def test_an_unknown_persona_has_no_page(core: Core) -> None:
    assert PersonaPages(core.db).page(12345) is None


def full_read(core: Core, persona_id: int, limit: int) -> tuple[XpPoint, ...]:
    """What the page did before: every paying event of the ledger back to Python, added up
    there, then thinned to `limit` points."""
    with core.db.session() as s:
        rows = s.connection().exec_driver_sql(
            "SELECT min(awarded_at), sum(amount) FROM xp_award WHERE persona_id = ?"
            " GROUP BY event_id ORDER BY min(awarded_at), event_id",
            (persona_id,),
        )
        per_event = [(datetime.fromisoformat(at), int(xp)) for at, xp in rows]
    points, total = [], 0
    for when, amount in per_event:
        total += amount
        points.append(XpPoint(when.replace(tzinfo=UTC), total))
    if len(points) <= limit or limit < 2:
        return tuple(points)
    step = (len(points) - 1) / (limit - 1)
    return tuple(points[round(i * step)] for i in range(limit))


def add_ledger(core: Core, persona_id: int, session_id: str, events: int) -> None:
    """Paying events as the store holds them: one to three awards each, some at one time."""
    start = datetime(2026, 2, 1, tzinfo=UTC)
    with core.db.session() as s:
        conn = s.connection()
        for n in range(events):
            conn.exec_driver_sql(
                "INSERT INTO hook_event (dedupe_key, event_name, session_id, stamp, received_at)"
                " VALUES (?, 'Stop', ?, ?, ?)",
                (f"chart:{n}", session_id, float(n), sql_time(start)),
            )
            event_id = conn.exec_driver_sql("SELECT last_insert_rowid()").scalar()
            when = sql_time(start + timedelta(seconds=(n // 3) * 40))  # ties: three a time
            for rule in range(1 + n % 3):
                conn.exec_driver_sql(
                    "INSERT INTO xp_award (persona_id, event_id, rule, amount, reason, awarded_at)"
                    " VALUES (?, ?, ?, ?, 'test', ?)",
                    (persona_id, event_id, f"r{rule}", 1 + (n * 7 + rule) % 13, when),
                )


def test_the_chart_reads_only_its_points_and_they_equal_the_full_read(core: Core) -> None:
    replay_all(core.ingest)
    persona = core.personas.find_persona_by_session_id(PROGRESSION_SESSION)
    assert persona is not None and persona.id is not None
    recorded = PersonaPages(core.db).page(persona.id)
    assert recorded is not None and recorded.xp_history == full_read(core, persona.id, 600)
    add_ledger(core, persona.id, PROGRESSION_SESSION, 2500)
    for limit in (600, 100, 7, 2, 1, 10_000):
        page = PersonaPages(core.db, chart_points=limit).page(persona.id)
        assert page is not None
        assert page.xp_history == full_read(core, persona.id, limit), limit
        events = 2500 + len(recorded.xp_history)
        assert len(page.xp_history) == (min(limit, events) if limit >= 2 else events)


def test_a_long_history_is_thinned_keeping_both_ends() -> None:
    assert chart_indices(5, 600) == [0, 1, 2, 3, 4]
    thin = chart_indices(5000, 100)
    assert len(thin) == 100 and thin[0] == 0 and thin[-1] == 4999
    assert thin == sorted(set(thin))
