"""The desktop side of a remote host without ssh: feed lines in, stored events and cards out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop.core.actions import ActionError
from desktop.core.model import PersonaInfo, Status
from desktop.core.progression.views import LeaderboardEntry
from desktop.core.remote.hosts import HostConfig, HostsError, add_host, load_hosts, remove_host
from desktop.core.remote.link import AGAIN, RemoteHosts
from desktop.core.remote.panes import split_pane_id
from desktop.core.remote.protocol import PROTOCOL
from desktop.core.remote.routing import RoutedActions
from desktop.core.remote.ssh import Fault
from desktop.store.db import Database, driver_execute
from desktop.store.remote_events import RemoteEventRepo
from desktop.store.repos import PersonaRepo

HOST = HostConfig("devbox", "dev@box")


def remote_pane(pane_id: str, status: str = "idle", persona_id: int | None = 7) -> dict:
    persona = (
        {"id": persona_id, "session_id": "s-1", "name": "Brave Otter", "avatar_seed": "x",
         "created_at": "2026-12-04T10:00:00+00:00", "xp": 40, "level": 2}
        if persona_id is not None
        else None
    )  # fmt: skip
    return {"pane_id": pane_id, "target": "work:1.0", "cwd": "/srv/app", "pane_pid": 10,
            "claude_pid": 11, "status": status, "status_detail": "", "session_id": "s-1",
            "persona": persona, "alive": True,
            "project": {"id": "p1", "name": "app", "root": "/srv/app", "worktree": "/srv/app",
                        "problem": None}}  # fmt: skip


def events(*ids: int) -> dict:
    rows = [
        {"id": i, "event_name": "Stop", "session_id": "s-1", "pane_id": "%3",
         "claude_pid": 11, "stamp": 1000.0 + i}
        for i in ids
    ]  # fmt: skip
    return {"type": "events", "events": rows}


@pytest.fixture
def remote(tmp_path: Path) -> RemoteHosts:
    return RemoteHosts([HOST], Database(tmp_path / "db.sqlite3"), tmp_path)


def test_events_are_stored_once_in_order_and_the_cursor_moves(remote: RemoteHosts) -> None:
    link = remote.links[0]
    assert link._handle({"type": "hello", "protocol": PROTOCOL, "version": "9"}) is None
    link._handle(events(1, 2, 3))
    link._handle(events(2, 3, 4))  # a feed restarted from an older cursor: 2 and 3 again
    with link.db.session() as s:
        repo = RemoteEventRepo(s)
        assert repo.cursor("devbox") == 4
        assert repo.count("devbox") == 4
        assert repo.cursor("other") == 0
    assert link.state.events_stored == 4 and link.state.connected


def hello(store: str | None) -> dict:
    return {"type": "hello", "protocol": PROTOCOL, "version": "9", "store": store}


def stored(remote: RemoteHosts) -> list[tuple[str, int]]:
    with remote.db.session() as s:
        rows = driver_execute(s, "SELECT store, remote_id FROM remote_event ORDER BY id")
        return [(str(r[0]), int(r[1])) for r in rows.fetchall()]


def test_a_host_whose_store_was_reset_is_read_again_from_its_start(remote: RemoteHosts) -> None:
    link = remote.links[0]
    # Rows from before store ids, then the host's first hello that names its store: they
    # are that store's, and the feed goes on from their cursor.
    link._cursor()
    link._handle(events(1, 2))
    assert link._cursor() == 2
    assert link._handle(hello("store-a")) is None
    link._handle(events(3))
    assert stored(remote) == [("store-a", 1), ("store-a", 2), ("store-a", 3)]

    # The host's database was made anew: asked from 3, the feed must be asked again from 0.
    assert link._cursor() == 3
    assert link._handle(hello("store-b")) is AGAIN
    assert link._cursor() == 0
    assert link._handle(hello("store-b")) is None
    link._handle(events(1, 2))
    link._handle(events(2))  # a repeat within the new store is still refused
    assert link._cursor() == 2
    assert stored(remote)[3:] == [("store-b", 1), ("store-b", 2)]
    assert link.state.events_stored == 5

    # A host with no database yet names no store: nothing changes; a feed that says its
    # database was replaced is asked again, without a fault.
    assert link._handle(hello(None)) is None and link._cursor() == 2
    assert link._handle({"type": "restart", "reason": "the database was replaced"}) is AGAIN


def test_another_protocol_is_refused_in_words(remote: RemoteHosts) -> None:
    problem = remote.links[0]._handle({"type": "hello", "protocol": PROTOCOL + 1, "version": "9"})
    assert problem is not None and "install the same version on both machines" in problem.sentence
    assert problem.words == "another claude-rpg version"


def test_remote_panes_become_host_cards_and_go_stale_in_words(remote: RemoteHosts) -> None:
    link = remote.links[0]
    link._handle({"type": "hello", "protocol": PROTOCOL, "version": "9"})
    link._handle({"type": "panes", "panes": [remote_pane("%3"), remote_pane("%4", "working")]})
    [a, b] = remote.registry.all()
    assert (a.pane_id, a.host, a.status) == ("devbox:%3", "devbox", Status.IDLE)
    assert a.persona is not None and (a.persona.id, a.persona.name) == (7, "Brave Otter")
    assert a.project is not None and (a.project.id, a.project.name) == ("p1", "app")
    assert split_pane_id(b.pane_id) == ("devbox", "%4") and b.status is Status.WORKING
    assert [p["host"] for p in remote.panes_json()] == ["devbox", "devbox"]
    # A pane's persona the desktop lacked is stored, keyed by (host, session id).
    persona = {**remote_pane("%3")["persona"], "host": "devbox", "session_ids": ["s-1"]}
    assert remote.personas_json(10) == [persona]

    link._lost(Fault(None, "devbox: the link to dev@box ended (exit 255)"))
    for pane in remote.registry.all():
        assert pane.status is Status.UNKNOWN
        assert pane.status_detail.startswith("host unreachable since ")
    assert remote.states()[0].to_json()["status"].startswith("host unreachable since ")

    link._handle({"type": "hello", "protocol": PROTOCOL, "version": "9"})
    link._handle({"type": "panes", "panes": [remote_pane("%4", "working")]})
    assert [(p.pane_id, p.status) for p in remote.registry.all()] == [("devbox:%4", Status.WORKING)]


def test_an_action_on_a_remote_pane_that_left_is_refused(remote: RemoteHosts) -> None:
    routed = RoutedActions(None, remote)  # type: ignore[arg-type]  # the local side is unused
    with pytest.raises(ActionError, match="is on the board any more"):
        asyncio.run(routed.send_prompt("devbox:%9", "hello"))
    with pytest.raises(ActionError, match="is on the board any more"):
        asyncio.run(routed.interrupt("nohost:%1"))


def test_hosts_file_round_trip_and_refusals(tmp_path: Path) -> None:
    add_host(tmp_path, HOST)
    assert load_hosts(tmp_path) == [HOST]
    assert (tmp_path / "hosts.json").stat().st_mode & 0o777 == 0o600
    with pytest.raises(HostsError, match="exists"):
        add_host(tmp_path, HOST)
    with pytest.raises(HostsError, match="names this machine"):
        add_host(tmp_path, HostConfig("local", "x"))
    with pytest.raises(HostsError, match="not an ssh target"):
        add_host(tmp_path, HostConfig("ok", "-oProxyCommand=x"))
    remove_host(tmp_path, "devbox")
    assert load_hosts(tmp_path) == []
    (tmp_path / "hosts.json").write_text("{not json")
    with pytest.raises(HostsError, match="fix it or remove it"):
        load_hosts(tmp_path)


def test_an_edited_host_list_applies_while_running(remote: RemoteHosts, tmp_path: Path) -> None:
    link = remote.links[0]
    link._handle({"type": "hello", "protocol": PROTOCOL, "version": "9"})
    link._handle({"type": "panes", "panes": [remote_pane("%3")]})
    other = HostConfig("cloud-vm", "me@vm")
    # Not started here: a started link would run ssh to these made-up targets.
    asyncio.run(remote.apply([HOST, other], tmp_path))
    assert [lk.host.name for lk in remote.links] == ["devbox", "cloud-vm"]
    assert remote.links[0] is link  # unchanged: the same link goes on
    assert [p.pane_id for p in remote.registry.all()] == ["devbox:%3"]

    asyncio.run(remote.apply([other], tmp_path))
    assert [lk.host.name for lk in remote.links] == ["cloud-vm"]
    assert remote.registry.all() == []  # the removed host's cards go with it
    assert list(remote.hosts) == ["cloud-vm"]


def persona_row(pid: int, session_id: str, xp: int, name: str = "Keen Owl") -> dict:
    return {"id": pid, "session_id": session_id, "name": name, "avatar_seed": "a",
            "created_at": "2026-12-04T10:00:00+00:00", "xp": xp, "level": 1}  # fmt: skip


def test_personas_lines_are_kept_by_host_and_session_and_the_hosts_xp_rules(
    tmp_path: Path,
) -> None:
    other = HostConfig("cloud-vm", "me@vm")
    db = Database(tmp_path / "db.sqlite3")
    remote = RemoteHosts([HOST, other], db, tmp_path)
    changes: list[None] = []
    remote.personas.subscribe(lambda: changes.append(None))
    devbox, vm = remote.links
    devbox._handle({"type": "personas", "personas": [persona_row(1, "s-1", 40)]})
    # Another host with the same persona id and the same session id: another persona.
    vm._handle({"type": "personas", "personas": [persona_row(1, "s-1", 5, "Calm Heron")]})
    devbox._handle({"type": "personas", "personas": [persona_row(1, "s-1", 90), {"id": "x"}]})
    # A pane line read a moment later with an older XP brings nothing back.
    devbox._handle({"type": "panes", "panes": [remote_pane("%3")]})  # its persona: s-1, 40 XP
    assert [(p["host"], p["id"], p["xp"]) for p in remote.personas_json(10)] == [
        ("devbox", 1, 90),
        ("cloud-vm", 1, 5),
    ]
    assert len(changes) == 3
    devbox._handle({"type": "personas", "personas": [persona_row(1, "s-1", 90)]})  # no change
    assert len(changes) == 3
    assert [p["host"] for p in remote.personas_json(10, host="cloud-vm")] == ["cloud-vm"]
    assert remote.personas.get("devbox", 1) is not None and remote.personas.get("devbox", 2) is None
    # Nothing of them reaches this machine's own personas.
    with db.session() as s:
        assert PersonaRepo(s).all() == []

    # One board with this machine's personas: by XP, equal XP equal rank, hosts named.
    local = PersonaInfo(5, "s-1", "Brave Otter", "b", datetime(2026, 1, 1, tzinfo=UTC), xp=90)
    board = remote.personas.leaderboard([LeaderboardEntry(1, local, 2)], 10)
    assert [(e.rank, e.persona.host, e.persona.xp, e.badges) for e in board] == [
        (1, "local", 90, 2),
        (1, "devbox", 90, 0),
        (3, "cloud-vm", 5, 0),
    ]
    assert [e.to_json()["host"] for e in board] == ["local", "devbox", "cloud-vm"]
    assert len(remote.personas.leaderboard([LeaderboardEntry(1, local, 2)], 2)) == 2

    # A restart of the desktop reads the same rows back.
    db.close()
    again = RemoteHosts([HOST, other], Database(tmp_path / "db.sqlite3"), tmp_path)
    assert again.personas.get("devbox", 1) == remote.personas.get("devbox", 1)
    found = again.personas.find("cloud-vm", "s-1")
    assert found is not None and (found.host, found.name, found.xp) == ("cloud-vm", "Calm Heron", 5)
    assert again.personas.find("devbox", "s-2") is None
