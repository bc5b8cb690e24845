"""EventIngest: events are stored once, create personas, and bind panes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from desktop.core.hooks.payload import IncomingEvent
from desktop.core.ingest import EventIngest, IngestResult, StoredEvent
from desktop.core.model import PaneState, Status
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.store.db import Database
from desktop.store.repos import BindingRepo, EventRepo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RECORDED = FIXTURES / "claude-code-2.1.197-hook-events.jsonl"


def event(name: str, sid: str, key: str, pane: str | None = None, **extra: object) -> IncomingEvent:
    payload = {"session_id": sid, "hook_event_name": name, **extra}
    return IncomingEvent(payload, name, sid, key, 1.0, pane_id=pane)


def test_first_event_creates_the_persona_and_duplicates_are_ignored(
    ingest: EventIngest, personas: PersonaService, db: Database
) -> None:
    first = ingest.ingest(event("UserPromptSubmit", "s1", "k1", prompt="hi"))
    dup = ingest.ingest(event("UserPromptSubmit", "s1", "k1", prompt="hi"))
    again = ingest.ingest(event("Stop", "s1", "k2"))
    assert first.stored and first.persona_created and first.persona is not None
    assert not dup.stored
    assert again.stored and not again.persona_created
    assert again.persona is not None and again.persona.id == first.persona.id
    with db.session() as s:
        assert EventRepo(s).count() == 2
    assert len(personas.all()) == 1


def test_event_outside_tmux_still_creates_its_persona(
    ingest: EventIngest, personas: PersonaService, db: Database
) -> None:
    result = ingest.ingest(event("SessionStart", "no-pane", "k1", source="startup"))
    assert result.persona_created and result.pane is None
    assert personas.find_persona_by_session_id("no-pane") is not None
    with db.session() as s:
        assert BindingRepo(s).all() == []


def test_event_binds_a_known_pane_and_sets_its_status(
    ingest: EventIngest, registry: PaneRegistry, db: Database
) -> None:
    registry.put(PaneState(pane_id="%3", target="work:1.0", cwd="/tmp"))
    assert registry.get("%3").awaiting_identity  # type: ignore[union-attr]
    result = ingest.ingest(event("UserPromptSubmit", "s1", "k1", pane="%3", prompt="fix it"))
    pane = registry.get("%3")
    assert pane is not None and result.persona is not None
    assert not pane.awaiting_identity
    assert pane.persona == result.persona and pane.session_id == "s1"
    assert pane.status is Status.WORKING and pane.status_detail == "fix it"
    with db.session() as s:
        [binding] = BindingRepo(s).all()
    assert (binding.pane_id, binding.session_id, binding.persona_id) == (
        "%3",
        "s1",
        result.persona.id,
    )


def test_unknown_pane_pokes_the_poller(db: Database, personas: PersonaService, tracker) -> None:  # type: ignore[no-untyped-def]
    pokes: list[int] = []
    ingest = EventIngest(db, personas, tracker, on_unknown_pane=lambda: pokes.append(1))
    ingest.ingest(event("SessionStart", "s1", "k1", pane="%9"))
    assert pokes == [1]


def test_recorded_real_events_give_one_persona_per_session(
    ingest: EventIngest, personas: PersonaService, db: Database
) -> None:
    rows = [json.loads(line) for line in RECORDED.read_text().splitlines()]
    assert len(rows) == 137
    for i, row in enumerate(rows):
        payload = row["payload"]
        result = ingest.ingest(
            IncomingEvent(
                payload,
                payload["hook_event_name"],
                payload["session_id"],
                f"rec-{i}",
                row["t"],
                pane_id=row["tmux_pane"],
            )
        )
        assert result.stored
    sessions = {row["payload"]["session_id"] for row in rows}
    found = personas.all()
    assert sorted(p.session_id for p in found) == sorted(sessions)
    for sid in sessions:
        persona = personas.find_persona_by_session_id(sid)
        assert persona is not None and persona.session_id == sid
    with db.session() as s:
        assert EventRepo(s).count() == 137


def test_events_submitted_in_one_loop_turn_share_one_transaction(
    ingest: EventIngest, db: Database
) -> None:
    batches: list[list[str]] = []

    def writer(_s: object, stored: list[StoredEvent]) -> None:
        batches.append([item.event.dedupe_key for item in stored])
        if any(item.event.session_id == "bad" for item in stored):
            raise RuntimeError("this event cannot be stored")

    ingest.add_writer(writer)

    async def concurrent_calls() -> list[IngestResult | BaseException]:
        calls = [ingest.submit(event("Stop", f"s{n}", f"k{n}")) for n in range(5)]
        calls.insert(2, ingest.submit(event("Stop", "bad", "k-bad")))
        calls.append(ingest.submit(event("Stop", "s0", "k0")))  # a retry of the first
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(concurrent_calls())
    assert isinstance(results[2], RuntimeError)  # only the bad event failed
    good = [r for r in results if isinstance(r, IngestResult)]
    assert [r.stored for r in good] == [True] * 5 + [False]
    # First all seven together (rolled back by the bad one), then one by one.
    assert batches[0] == ["k0", "k1", "k-bad", "k2", "k3", "k4"]
    assert batches[1:] == [["k0"], ["k1"], ["k-bad"], ["k2"], ["k3"], ["k4"]]
    with db.session() as s:
        assert EventRepo(s).count() == 5


def test_a_batch_of_submitted_events_commits_once(ingest: EventIngest) -> None:
    batches: list[int] = []
    ingest.add_writer(lambda _s, stored: batches.append(len(stored)))

    async def concurrent_calls() -> list[IngestResult]:
        return await asyncio.gather(
            *(ingest.submit(event("Stop", "s1", f"k{n}")) for n in range(20))
        )

    results = asyncio.run(concurrent_calls())
    assert all(r.stored for r in results) and batches == [20]
    assert len({r.persona.id for r in results if r.persona}) == 1
