"""The persona page's data: the recorded real events replayed into a real SQLite file."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.core.model import PaneState
from desktop.core.progression.badges import ACHIEVEMENTS
from desktop.core.progression.page import STAT_LABELS, PersonaPages, xp_history
from desktop.core.progression.views import XpPoint
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


def test_a_long_history_is_thinned_keeping_both_ends() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    per_event = [(start + timedelta(minutes=n), 1 + n % 7) for n in range(5000)]
    full = xp_history(per_event, limit=10_000)
    thin = xp_history(per_event, limit=100)
    assert len(full) == 5000 and len(thin) == 100
    assert thin[0] == full[0] and thin[-1] == full[-1] == XpPoint(full[-1].when, full[-1].xp)
    assert set(thin) <= set(full)
    assert [p.xp for p in thin] == sorted(p.xp for p in thin)
