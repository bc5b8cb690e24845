"""The real aiohttp listener on a free loopback port: API shapes and every bad-input case."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from desktop.core.hooks.listener import MAX_BODY, SECRET_HEADER, HookListener, ListenerStartError
from desktop.core.hooks.payload import IncomingEvent
from desktop.core.ingest import EventIngest
from desktop.core.model import PaneState
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.store.db import Database
from desktop.store.repos import EventRepo

SECRET = "test-secret"
Scenario = Callable[[aiohttp.ClientSession, str], Awaitable[None]]


@pytest.fixture
def run_listener(
    ingest: EventIngest, personas: PersonaService, registry: PaneRegistry
) -> Callable[[Scenario], None]:
    def run(scenario: Scenario) -> None:
        async def main() -> None:
            listener = HookListener(ingest, personas, registry, secret=SECRET, port=0)
            await listener.start()
            try:
                # Every request carries the key unless a test overrides the header.
                async with aiohttp.ClientSession(headers={SECRET_HEADER: SECRET}) as http:
                    await scenario(http, listener.url)
            finally:
                await listener.stop()

        asyncio.run(main())

    return run


def hook_headers(**extra: str) -> dict[str, str]:
    return {SECRET_HEADER: SECRET, "Content-Type": "application/json", **extra}


def stored(db: Database) -> int:
    with db.session() as s:
        return EventRepo(s).count()


async def status_and_json(resp: aiohttp.ClientResponse) -> tuple[int, Any]:
    return resp.status, await resp.json()


def test_api_shapes(run_listener: Callable[[Scenario], None], registry: PaneRegistry) -> None:
    registry.put(PaneState(pane_id="%3", target="work:1.0", cwd="/home/dev/project"))

    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        status, panes = await status_and_json(await http.get(url + "/api/panes"))
        assert status == 200
        assert panes[0]["pane_id"] == "%3" and panes[0]["awaiting_identity"] is True
        assert panes[0]["persona"] is None and panes[0]["session_id"] is None
        assert await (await http.get(url + "/api/personas")).json() == []
        body = {"session_id": "s-1", "hook_event_name": "UserPromptSubmit", "prompt": "hi"}
        resp = await http.post(
            url + "/hooks/UserPromptSubmit",
            json=body,
            headers=hook_headers(**{"X-Tmux-Pane": "%3"}),
        )
        assert resp.status == 200
        [persona] = await (await http.get(url + "/api/personas")).json()
        assert {"id", "session_id", "name", "created_at"} <= persona.keys()
        assert persona["session_id"] == "s-1"
        status, one = await status_and_json(await http.get(f"{url}/api/personas/{persona['id']}"))
        assert status == 200 and one["id"] == persona["id"]
        status, challenges = await status_and_json(
            await http.get(f"{url}/api/personas/{persona['id']}/challenges")
        )
        assert status == 200 and len(challenges) == 3
        [pane] = await (await http.get(url + "/api/panes")).json()
        assert pane["awaiting_identity"] is False and pane["persona"]["id"] == persona["id"]
        assert pane["session_id"] == "s-1" and pane["status"] == "working"
        for path in ("/api/personas/999", "/api/personas/999/challenges", "/api/personas/x"):
            status, err = await status_and_json(await http.get(url + path))
            assert status == 404 and "no persona" in err["error"]
        health = await (await http.get(url + "/api/health")).json()
        assert health["status"] == "ok" and health["events_accepted"] == 1

    run_listener(scenario)


def test_post_event_with_name_in_body_kept_by_name_and_ids_only(
    run_listener: Callable[[Scenario], None], db: Database
) -> None:
    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        body = {"session_id": "s-2", "hook_event_name": "BrandNewEvent", "weird": {"x": [1]}}
        resp = await http.post(url + "/event", json=body, headers=hook_headers())
        assert resp.status == 200

    run_listener(scenario)
    with db.session() as s:
        [row] = EventRepo(s).all_in_stamp_order()
    assert (row.event_name, row.session_id) == ("BrandNewEvent", "s-2")
    # An event the app does not know is kept (name, ids, stamp), its fields are not.
    assert row.record == "{}"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"", 400, "empty body"),
        (b"\xff\xfe", 400, "not valid JSON"),
        (b"[1, 2]", 422, "JSON object"),
        (b'{"hook_event_name": "Stop"}', 422, "session_id"),
        (b'{"session_id": "s"}', 422, "hook_event_name"),
        (b'{"session_id": 5, "hook_event_name": "Stop"}', 422, "session_id"),
        (b'{"session_id": "", "hook_event_name": "Stop"}', 422, "session_id"),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_stored(
    run_listener: Callable[[Scenario], None], db: Database, body: bytes, status: int, words: str
) -> None:
    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        resp = await http.post(url + "/hooks/Stop", data=body, headers=hook_headers())
        got, err = await status_and_json(resp)
        assert got == status and words in err["error"] and err["status"] == status
        # The app keeps running: a good event still goes through afterwards.
        ok = await http.post(
            url + "/hooks/Stop",
            json={"session_id": "after", "hook_event_name": "Stop"},
            headers=hook_headers(),
        )
        assert ok.status == 200

    run_listener(scenario)
    assert stored(db) == 1


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_body_is_413(
    run_listener: Callable[[Scenario], None], db: Database, chunked: bool
) -> None:
    big = json.dumps({"session_id": "s", "hook_event_name": "Stop", "x": "a" * MAX_BODY}).encode()

    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        async def chunks() -> Any:
            for i in range(0, len(big), 65536):
                yield big[i : i + 65536]

        data: Any = chunks() if chunked else io.BytesIO(big)
        resp = await http.post(url + "/hooks/Stop", data=data, headers=hook_headers())
        got, err = await status_and_json(resp)
        assert got == 413 and "larger than" in err["error"]

    run_listener(scenario)
    assert stored(db) == 0


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Host": "evil.example:4011"}, 403),
        ({SECRET_HEADER: "wrong"}, 401),
        ({SECRET_HEADER: ""}, 401),
    ],
)
def test_foreign_requests_are_refused(
    run_listener: Callable[[Scenario], None], db: Database, headers: dict[str, str], status: int
) -> None:
    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        body = {"session_id": "s", "hook_event_name": "Stop"}
        resp = await http.post(url + "/hooks/Stop", json=body, headers=hook_headers(**headers))
        got, err = await status_and_json(resp)
        assert got == status and err["error"]
        if "Origin" in headers or "Host" in headers:
            read = await http.get(url + "/api/personas", headers=headers)
            assert read.status == 403

    run_listener(scenario)
    assert stored(db) == 0


def test_port_in_use_is_a_sentence(
    ingest: EventIngest, personas: PersonaService, registry: PaneRegistry
) -> None:
    async def main() -> None:
        first = HookListener(ingest, personas, registry, secret=SECRET, port=0)
        await first.start()
        second = HookListener(ingest, personas, registry, secret=SECRET, port=first.port)
        try:
            with pytest.raises(ListenerStartError, match=f"port {first.port} is in use.*--port N"):
                await second.start()
        finally:
            await first.stop()

    asyncio.run(main())


def test_bad_pane_and_pid_headers_are_ignored_not_fatal(
    run_listener: Callable[[Scenario], None], db: Database
) -> None:
    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        body = {"session_id": "s", "hook_event_name": "Stop"}
        headers = hook_headers(
            **{"X-Tmux-Pane": "not-a-pane", "X-Claude-Pid": "-1", "X-Hook-Stamp": "nan"}
        )
        resp = await http.post(url + "/hooks/Stop", json=body, headers=headers)
        assert resp.status == 200

    run_listener(scenario)
    with db.session() as s:
        [row] = EventRepo(s).all_in_stamp_order()
    assert row.pane_id is None and row.claude_pid is None and row.stamp > 1e9


def test_a_body_naming_another_event_than_the_path_is_422(
    run_listener: Callable[[Scenario], None], db: Database
) -> None:
    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        body = {"session_id": "s", "hook_event_name": "Stop"}
        resp = await http.post(url + "/hooks/PreToolUse", json=body, headers=hook_headers())
        status, err = await status_and_json(resp)
        assert status == 422
        assert "PreToolUse" in err["error"] and "/hooks/Stop" in err["error"]
        assert "nothing stored" in err["error"]
        # The same body where it belongs, and on /event (which has no name in its path).
        for path in ("/hooks/Stop", "/event"):
            resp = await http.post(url + path, json=body, headers=hook_headers())
            assert resp.status == 200

    run_listener(scenario)
    assert stored(db) == 2


def test_personas_come_newest_first_by_page(
    run_listener: Callable[[Scenario], None], ingest: EventIngest
) -> None:
    for n in range(5):
        ingest.ingest(IncomingEvent({}, "SessionStart", f"s-{n}", f"k-{n}", float(n)))

    async def scenario(http: aiohttp.ClientSession, url: str) -> None:
        headers = hook_headers()

        async def sessions(query: str) -> list[str]:
            resp = await http.get(url + "/api/personas" + query, headers=headers)
            assert resp.status == 200
            return [p["session_id"] for p in await resp.json()]

        assert await sessions("") == [f"s-{n}" for n in range(5)]
        newest = await sessions("?limit=2")
        assert newest == ["s-3", "s-4"]
        resp = await http.get(url + "/api/personas?limit=2", headers=headers)
        first_id = (await resp.json())[0]["id"]
        assert await sessions(f"?limit=2&before={first_id}") == ["s-1", "s-2"]
        for bad in ("?limit=0", "?limit=x", "?before=-1"):
            resp = await http.get(url + "/api/personas" + bad, headers=headers)
            assert resp.status == 400 and "limit must be" in (await resp.json())["error"]

    run_listener(scenario)
