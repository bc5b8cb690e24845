"""The progression API on the real listener: recorded events in over HTTP, XP and ranks out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC
from pathlib import Path

import aiohttp
import pytest

from desktop.core.hooks.listener import SECRET_HEADER, HookListener
from desktop.core.ingest import EventIngest
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.core.progression.levels import xp_for_level
from desktop.core.progression.service import ProgressionService
from desktop.core.remote.hosts import HostConfig
from desktop.core.remote.link import RemoteHosts
from desktop.core.sessions import SessionTracker
from desktop.store.db import Database
from tests.core.progression_events import RECORDINGS, all_rows, incoming, rows

SECRET = "test-secret"
PROGRESSION_SESSION = rows(RECORDINGS[1])[0]["payload"]["session_id"]
Scenario = Callable[[aiohttp.ClientSession, str], Awaitable[None]]


@pytest.fixture
def run_listener(
    db: Database,
    ingest: EventIngest,
    personas: PersonaService,
    registry: PaneRegistry,
    tracker: SessionTracker,
) -> Callable[[Scenario], None]:
    progression = ProgressionService(db, personas, tracker, tz=UTC)
    ingest.add_writer(progression.store_batch)

    def run(scenario: Scenario, remote: RemoteHosts | None = None) -> None:
        async def main() -> None:
            listener = HookListener(
                ingest, personas, registry, secret=SECRET, port=0, progression=progression,
                remote=remote,
            )  # fmt: skip
            await listener.start()
            try:
                async with aiohttp.ClientSession(headers={SECRET_HEADER: SECRET}) as http:
                    await scenario(http, listener.url)
            finally:
                await listener.stop()

        asyncio.run(main())

    return run


async def post_recorded(http: aiohttp.ClientSession, url: str) -> None:
    """Every recorded event, as the hook command posts it."""
    for stem, i, row in all_rows():
        event = incoming(stem, i, row)
        resp = await http.post(
            f"{url}/hooks/{event.event_name}",
            json=event.payload,
            headers={
                SECRET_HEADER: SECRET,
                "X-Hook-Id": event.dedupe_key,
                "X-Hook-Stamp": str(event.stamp),
                "X-Tmux-Pane": event.pane_id or "",
            },
        )
        assert resp.status == 200, await resp.text()


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, object]:
    async with http.get(url) as resp:
        return resp.status, await resp.json()


def test_persona_challenges_ledger_and_leaderboard(
    run_listener: Callable[[Scenario], None],
) -> None:
    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        await post_recorded(http, url)
        status, board = await get(http, f"{url}/api/leaderboard")
        assert status == 200 and isinstance(board, list)
        top = board[0]
        assert top["rank"] == 1 and top["session_id"] == PROGRESSION_SESSION
        assert [e["xp"] for e in board] == sorted((e["xp"] for e in board), reverse=True)
        assert {"id", "name", "avatar_seed", "level", "level_xp", "next_level_xp", "badges"} <= (
            top.keys()
        )

        status, persona = await get(http, f"{url}/api/personas/{top['id']}")
        assert status == 200 and isinstance(persona, dict)
        assert persona["xp"] == top["xp"] > 0
        assert persona["level_xp"] == xp_for_level(persona["level"])
        assert persona["next_level_xp"] == xp_for_level(persona["level"] + 1)
        assert persona["level_xp"] <= persona["xp"] < persona["next_level_xp"]
        keys = [b["id"] for b in persona["badges"]]
        assert {"first_turn", "first_commit", "bug_squasher"} <= set(keys)
        assert len(keys) == top["badges"]
        assert all(b["title"] and b["description"] and b["earned_at"] for b in persona["badges"])

        status, ledger = await get(http, f"{url}/api/personas/{top['id']}/xp")
        assert status == 200 and isinstance(ledger, list)
        assert sum(line["amount"] for line in ledger) == persona["xp"]
        assert {"event_id", "rule", "amount", "reason", "awarded_at"} == ledger[0].keys()
        status, newest = await get(http, f"{url}/api/personas/{top['id']}/xp?limit=2")
        assert status == 200 and newest == ledger[-2:]

        status, challenges = await get(http, f"{url}/api/personas/{top['id']}/challenges")
        assert status == 200 and isinstance(challenges, list)
        for c in challenges:
            assert {"id", "title", "description", "progress", "target", "completed_at"} <= c.keys()
            assert 0 <= c["progress"] <= c["target"]
        assert sum(c["completed_at"] is None for c in challenges) == 3
        assert any(c["progress"] > 0 for c in challenges)

    run_listener(scenario)


def test_unknown_personas_and_bad_limits_are_sentences(
    run_listener: Callable[[Scenario], None],
) -> None:
    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        for path in ("/api/personas/999/xp", "/api/personas/x/xp"):
            status, body = await get(http, url + path)
            assert status == 404 and isinstance(body, dict) and "no persona" in body["error"]
        for path in (
            "/api/leaderboard?limit=0",
            "/api/leaderboard?limit=x",
            "/api/leaderboard?limit=5000",
        ):
            status, body = await get(http, url + path)
            assert status == 400 and isinstance(body, dict)
            assert body["error"] == "limit must be a whole number from 1 to 1000"
        status, board = await get(http, url + "/api/leaderboard")
        assert (status, board) == (200, [])

    run_listener(scenario)


def test_remote_personas_join_the_personas_and_the_board_by_host(
    db: Database, run_listener: Callable[..., None], tmp_path: Path
) -> None:
    remote = RemoteHosts([HostConfig("devbox", "dev@box")], db, tmp_path)

    def sent(pid: int, session_id: str, xp: int) -> dict[str, object]:
        return {"id": pid, "session_id": session_id, "name": f"R{pid}", "avatar_seed": "a",
                "created_at": "2026-12-04T10:00:00+00:00", "xp": xp, "level": 9}  # fmt: skip

    # The host's persona 1 has this machine's progression session id: another persona.
    remote.links[0]._handle(
        {"type": "personas", "personas": [sent(1, PROGRESSION_SESSION, 5000), sent(2, "r-2", 3)]}
    )

    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        await post_recorded(http, url)
        _, every = await get(http, url + "/api/personas")
        assert isinstance(every, list)
        local = [(p["host"], p["id"]) for p in every if p["host"] == "local"]
        assert len(local) >= 2 and every[len(local) :] == [
            {**sent(1, PROGRESSION_SESSION, 5000), "host": "devbox",
             "session_ids": [PROGRESSION_SESSION]},
            {**sent(2, "r-2", 3), "host": "devbox", "session_ids": ["r-2"]},
        ]  # fmt: skip
        same = [p for p in every if p["session_id"] == PROGRESSION_SESSION]
        assert sorted(p["host"] for p in same) == ["devbox", "local"]
        assert next(p for p in same if p["host"] == "local")["xp"] < 5000
        _, only_local = await get(http, url + "/api/personas?host=local")
        assert [(p["host"], p["id"]) for p in only_local] == local
        _, paged = await get(http, url + "/api/personas?host=devbox&before=2")
        assert [(p["host"], p["id"]) for p in paged] == [("devbox", 1)]
        _, before = await get(http, url + f"/api/personas?before={local[-1][1]}")
        assert all(p["host"] == "local" for p in before)

        status, one = await get(http, url + "/api/personas/1?host=devbox")
        assert status == 200 and isinstance(one, dict)
        assert (one["xp"], one["level"], one["kept_on"]) == (5000, 9, "devbox")
        status, missing = await get(http, url + "/api/personas/3?host=devbox")
        assert status == 404 and "on host 'devbox'" in missing["error"]
        for path in ("/api/personas/1/xp?host=devbox", "/api/personas/1/challenges?host=devbox"):
            status, kept = await get(http, url + path)
            assert status == 404 and "on that host" in kept["error"]

        _, board = await get(http, url + "/api/leaderboard")
        assert isinstance(board, list)
        assert (board[0]["host"], board[0]["id"], board[0]["xp"]) == ("devbox", 1, 5000)
        assert board[0]["badges"] == 0  # its badges stay on its host
        assert ("devbox", 2, 3) in [(e["host"], e["id"], e["xp"]) for e in board]
        xps = [e["xp"] for e in board]
        assert xps == sorted(xps, reverse=True) and len(board) == len(local) + 2

    run_listener(scenario, remote)
