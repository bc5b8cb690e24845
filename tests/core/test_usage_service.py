"""Usage service on a real database: hook events lead to transcript reads, totals, context."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from desktop.core.hooks.listener import SECRET_HEADER, HookListener
from desktop.core.hooks.payload import IncomingEvent
from desktop.core.ingest import EventIngest
from desktop.core.model import PaneState
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.core.usage.context import ContextUse, short_model, window_for
from desktop.core.usage.prices import PRICES, Price, price_for
from desktop.core.usage.service import UsageService
from desktop.core.usage.views import since_days
from desktop.store.db import Database
from tests.support.transcripts import COMPACT_LINE, reply_line, turn_line

SECRET = "test-secret"


class Harness:
    """Ingest + usage service on a real database, with a Claude config dir under tmp."""

    def __init__(self, db: Database, ingest: EventIngest, registry: PaneRegistry, root: Path):
        self.db = db
        self.ingest = ingest
        self.registry = registry
        self.root = root
        self.usage = UsageService(db, registry, roots=(root,), delay=0, follow_up_delay=0.05)
        ingest.subscribe(self.usage.on_event)
        self.sid = str(uuid.uuid4())
        self.transcript = root / "projects" / "p" / f"{self.sid}.jsonl"
        self.transcript.parent.mkdir(parents=True)

    def event(self, name: str, **payload: Any) -> IncomingEvent:
        data = {
            "session_id": self.sid,
            "hook_event_name": name,
            "transcript_path": str(self.transcript),
            **payload,
        }
        return IncomingEvent(data, name, self.sid, uuid.uuid4().hex, 1.0, pane_id="%1")

    async def send(self, name: str, **payload: Any) -> None:
        await self.ingest.submit(self.event(name, **payload))
        await self.usage.settle()

    def write(self, text: str, path: Path | None = None) -> None:
        with (path or self.transcript).open("a") as f:
            f.write(text)

    def persona_id(self) -> int:
        persona = self.ingest.personas.find_persona_by_session_id(self.sid)
        assert persona is not None
        return persona.id


@pytest.fixture
def harness(db: Database, ingest: EventIngest, registry: PaneRegistry, tmp_path: Path) -> Harness:
    root = tmp_path / "claude"
    root.mkdir()
    return Harness(db, ingest, registry, root.resolve())


def test_replies_are_counted_once_and_the_pane_shows_model_and_context(
    harness: Harness, registry: PaneRegistry
) -> None:
    registry.put(PaneState(pane_id="%1", target="s:1.0", cwd="/"))

    async def run() -> None:
        await harness.send("SessionStart", model="claude-opus-4-8[1m]")
        # The reply is written twice (two content blocks): it counts once.
        harness.write(reply_line(1) + reply_line(1) + reply_line(2) + turn_line("t1"))
        await harness.send("Stop")
        await asyncio.sleep(0.1)  # the follow-up read after Stop
        await harness.usage.settle()

    asyncio.run(run())
    usage = harness.usage.persona_usage(harness.persona_id())
    t = usage.tokens
    assert (t.input_tokens, t.output_tokens, t.cache_read_tokens, t.cache_creation_tokens) == (
        3,
        30,
        300,
        3000,
    )
    assert (usage.turns, usage.subagents, t.replies) == (1, 0, 2)
    price = price_for("claude-opus-4-8")
    assert t.cost_usd == pytest.approx(price.cost(3, 30, 300, 3000))
    pane = registry.get("%1")
    assert pane is not None and pane.session_insight is not None
    assert pane.to_json()["model"] == "claude-opus-4-8"
    assert pane.to_json()["context"] == {
        "used_tokens": 2 + 200 + 2000,
        "window_tokens": 1_000_000,
        "percent": 0,
        "compacting": False,
    }


def test_compaction_shows_while_it_runs_and_empties_the_context(
    harness: Harness, registry: PaneRegistry
) -> None:
    registry.put(PaneState(pane_id="%1", target="s:1.0", cwd="/"))
    seen: list[tuple[bool, int]] = []

    def watch(pane: PaneState) -> None:
        insight = pane.session_insight
        if insight is not None and insight.context is not None:
            seen.append((insight.compacting, insight.context.used_tokens))

    registry.subscribe(watch)

    async def run() -> None:
        harness.write(reply_line(5))
        await harness.send("Stop")
        await harness.send("PreCompact", trigger="manual")
        harness.write(COMPACT_LINE)
        await harness.send("PostCompact", trigger="manual")
        harness.write(reply_line(6))
        await harness.send("Stop")

    asyncio.run(run())
    assert seen[0] == (False, 5 + 500 + 5000)
    assert (True, 5 + 500 + 5000) in seen
    after = seen.index((True, 5 + 500 + 5000))
    assert (False, 0) in seen[after:]
    assert seen[-1] == (False, 6 + 600 + 6000)


def test_subagents_count_toward_the_session_and_replays_count_once(harness: Harness) -> None:
    agent_file = harness.transcript.with_suffix("") / "subagents" / "agent-a1.jsonl"
    agent_file.parent.mkdir(parents=True)

    async def run() -> None:
        harness.write(reply_line(1))
        await harness.send("Stop")
        # The subagent's transcript replays the parent's reply 1, then has its own reply 7.
        harness.write(
            reply_line(1, sidechain=True, agent="a1") + reply_line(7, sidechain=True, agent="a1"),
            agent_file,
        )
        await harness.send("SubagentStop", agent_id="a1", agent_transcript_path=str(agent_file))

    asyncio.run(run())
    usage = harness.usage.persona_usage(harness.persona_id())
    assert usage.tokens.input_tokens == 1 + 7
    assert usage.subagent_tokens.input_tokens == 7  # reply 1 stays a main-thread reply
    assert usage.subagents == 1
    [session] = usage.sessions
    assert session.subagent_tokens.input_tokens == 7


def test_a_replaced_transcript_and_a_restart_never_count_twice(
    harness: Harness, db: Database, registry: PaneRegistry
) -> None:
    async def run() -> None:
        harness.write(reply_line(1) + reply_line(2) + turn_line("t1"))
        await harness.send("Stop")
        # Claude rewrites the file (same replies, one more): a fresh inode.
        fresh = harness.transcript.with_name("fresh.jsonl")
        fresh.write_text(reply_line(1) + reply_line(2) + turn_line("t1") + reply_line(3))
        os.replace(fresh, harness.transcript)
        await harness.send("Stop")

    asyncio.run(run())
    pid = harness.persona_id()
    before = harness.usage.persona_usage(pid)
    assert before.tokens.input_tokens == 6 and before.turns == 1
    assert harness.usage.counters.restarts == 1

    # The app restarts: a new service goes on from the stored cursor.
    again = UsageService(db, PaneRegistry(), roots=(harness.root,), delay=0)
    again.load()
    harness.write(reply_line(4))

    async def more() -> None:
        again.on_event(harness.event("Stop"), _stored())
        await again.settle()

    asyncio.run(more())
    after = again.persona_usage(pid)
    assert after.tokens.input_tokens == 10 and after.turns == 1
    insight = again.insight(harness.sid)
    assert insight is not None and insight.context is not None
    assert insight.context.used_tokens == 4 + 400 + 4000

    # And a rebuild from the files gives the same totals.
    rebuilt = UsageService(db, roots=(harness.root,))
    assert rebuilt.rebuild() == (1, 0)
    assert rebuilt.persona_usage(pid) == after


def _stored() -> Any:
    from desktop.core.ingest import IngestResult

    return IngestResult(True, None)


def test_malformed_lines_and_outside_paths_show_in_health(harness: Harness, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_text(reply_line(9))

    async def run() -> None:
        harness.write(reply_line(1) + "{not json\n" + reply_line(2))
        await harness.send("Stop")
        await harness.ingest.submit(harness.event("Stop", transcript_path=str(outside)))
        await harness.usage.settle()

    asyncio.run(run())
    health = harness.usage.health()
    assert (health["malformed_lines"], health["ignored_paths"], health["transcripts"]) == (1, 1, 1)
    assert harness.usage.persona_usage(harness.persona_id()).tokens.input_tokens == 3


def test_the_api_carries_usage_per_persona_per_day_and_on_panes(
    harness: Harness, personas: PersonaService, registry: PaneRegistry
) -> None:
    registry.put(PaneState(pane_id="%1", target="s:1.0", cwd="/"))
    today = date.today().isoformat()
    now_line = reply_line(3, timestamp=f"{today}T12:00:00+00:00")

    async def run() -> None:
        listener = HookListener(
            harness.ingest, personas, registry, secret=SECRET, port=0, usage=harness.usage
        )
        await listener.start()
        try:
            harness.write(now_line + turn_line("t1"))
            await harness.send("Stop")
            await asyncio.sleep(0.1)
            await harness.usage.settle()
            async with aiohttp.ClientSession(headers={SECRET_HEADER: SECRET}) as http:
                pid = harness.persona_id()
                async with http.get(f"{listener.url}/api/personas/{pid}") as r:
                    persona = await r.json()
                async with http.get(f"{listener.url}/api/usage?days=3") as r:
                    days = await r.json()
                async with http.get(f"{listener.url}/api/panes") as r:
                    panes = await r.json()
                for bad in ("0", "367", "x", "-1"):
                    async with http.get(f"{listener.url}/api/usage?days={bad}") as r:
                        assert r.status == 400
                        assert "days must be a whole number" in (await r.json())["error"]
        finally:
            await listener.stop()

        usage = persona["usage"]
        assert {k: usage[k] for k in ("input_tokens", "output_tokens")} == {
            "input_tokens": 3,
            "output_tokens": 30,
        }
        assert usage["cache_read_tokens"] == 300 and usage["cache_creation_tokens"] == 3000
        assert usage["cost_usd"] > 0 and usage["cost_is_estimate"] is True
        assert [d["day"] for d in days] == [d.isoformat() for d in since_days(3)[1]]
        assert days[-1]["input_tokens"] == 3 and days[-1]["turns"] == 1
        assert days[0]["input_tokens"] == 0
        [pane] = panes
        assert pane["model"] == "claude-opus-4-8"
        assert pane["context"]["window_tokens"] == 200_000

    asyncio.run(run())


# Dollars per million tokens (input, output, cache read, 5-minute cache write) from the
# vendor's published list, checked 2026-12-04: each model id resolves to its own row, not to
# a neighbour's or its family's newest.
LISTED = {
    "claude-fable-5-1": (10.0, 50.0, 0.25, 12.5),
    "claude-fable-5": (10.0, 50.0, 1.0, 12.5),
    "claude-mythos-5-1": (10.0, 50.0, 0.25, 12.5),
    "claude-opus-5-5": (4.0, 20.0, 0.2, 5.0),
    "claude-opus-5": (5.0, 25.0, 0.5, 6.25),
    "claude-opus-4-8[1m]": (5.0, 25.0, 0.5, 6.25),
    "claude-opus-4-6": (5.0, 25.0, 0.5, 6.25),
    "claude-opus-4-5-20251101": (5.0, 25.0, 0.5, 6.25),
    "claude-opus-4-1-20250805": (15.0, 75.0, 1.5, 18.75),
    "claude-opus-4-20250514": (15.0, 75.0, 1.5, 18.75),
    "claude-sonnet-5-5": (2.0, 10.0, 0.1, 2.5),
    "claude-sonnet-5": (2.0, 10.0, 0.2, 2.5),
    "claude-sonnet-4-6": (3.0, 15.0, 0.3, 3.75),
    "claude-sonnet-4-5-20250929": (3.0, 15.0, 0.3, 3.75),
    "claude-haiku-5-5": (0.1, 0.5, 0.01, 0.125),
    "claude-haiku-4-5-20251001": (1.0, 5.0, 0.1, 1.25),
    "claude-3-5-haiku-20241022": (0.8, 4.0, 0.08, 1.0),
    "claude-3-haiku-20240307": (0.25, 1.25, 0.03, 0.3),
}


@pytest.mark.parametrize("model", LISTED)
def test_each_listed_model_gets_its_listed_price(model: str) -> None:
    price = price_for(model)
    assert (price.input, price.output, price.cache_read, price.cache_write) == LISTED[model]


def test_prices_context_and_model_names() -> None:
    opus = price_for("claude-opus-4-8[1m]")
    assert opus == PRICES["claude-opus-4-8"]
    assert price_for("claude-opus-4-1-20250805") == PRICES["claude-opus-4-1"]
    assert price_for("claude-sonnet-4-5-20250929") == PRICES["claude-sonnet-4"]
    assert price_for("claude-3-5-haiku-20241022") == PRICES["claude-3-5-haiku"]
    mine = Price(1.0, 2.0, 0.1, 1.25)
    assert price_for("claude-opus-4-8", {"claude-opus-4-8": mine}) == mine
    assert price_for("claude-opus-4-8", {"claude-sonnet": mine}) == opus
    assert Price(3.0, 15.0, 0.3, 3.75).cost(1_000_000, 1_000_000, 0, 0) == 18.0

    assert (window_for("claude-opus-4-8[1m]"), window_for("claude-sonnet-4-5")) == (
        1_000_000,
        200_000,
    )
    used = [ContextUse(t, 200_000) for t in (0, 158_000, 159_999, 160_000, 200_000, 250_000)]
    assert [c.percent for c in used] == [0, 79, 79, 80, 100, 100]
    assert [c.warns for c in used] == [False, False, False, True, True, True]

    assert short_model("claude-opus-4-8[1m]") == "Opus 4.8"
    assert short_model("claude-3-5-sonnet-20241022") == "Sonnet 3.5"
    assert short_model("claude-sonnet-4-20250514") == "Sonnet 4"
    assert short_model("claude-haiku-4-5") == "Haiku 4.5"
    assert short_model("my-proxy") == "my-proxy"


def test_events_stored_without_a_running_loop_are_read_on_the_next_one(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.write(reply_line(4))
    harness.ingest.ingest(harness.event("Stop"))  # a tool's ingest: no loop, no crash
    assert "listener failed" not in caplog.text
    assert harness.usage.persona_usage(harness.persona_id()).tokens.input_tokens == 0

    async def later() -> None:
        harness.usage.schedule(harness.sid)
        await harness.usage.settle()

    asyncio.run(later())
    assert harness.usage.persona_usage(harness.persona_id()).tokens.input_tokens == 4


def test_usage_rebuild_without_a_database_says_what_to_do(tmp_path: Path) -> None:
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "usage", "rebuild", "--data-dir", str(tmp_path / "no")],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "no database at" in done.stderr and "nothing to rebuild" in done.stderr
    assert not (tmp_path / "no").exists()
