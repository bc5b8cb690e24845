"""The spool: records written by the real hook, stored in stamp order, each exactly once.

The drain runs against a real SQLite file through the real EventIngest; the crash tests
SIGKILL the real app (`python -m desktop --headless`) in the middle of a drain and in the
middle of a burst of live hook events, then start it again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from desktop.core.hooks.command import (
    DROPPED_FILE,
    DROPPED_PREFIX,
    SPOOL_MAGIC,
    SPOOL_SUFFIX,
    command_for,
    script_port,
    write_script,
)
from desktop.core.hooks.doorbell import open_doorbell
from desktop.core.hooks.fallback import fallback_spool
from desktop.core.hooks.spool import (
    REJECTED_DIR,
    BadRecordError,
    SpoolDrain,
    event_from_record,
    parse_record,
)
from desktop.core.ingest import EventIngest
from desktop.paths import DataPaths
from desktop.store.db import Database
from tests.support.app_process import REPO, AppProcess, free_port

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures/claude-code-2.1.197-hook-events.jsonl"
RECORDED = [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]
HOOK_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "TMUX_PANE": "%4"}


def run_hook(paths: DataPaths, event: dict[str, Any], stamp: str | None = None) -> None:
    command = command_for(paths.hook_script, event["hook_arg"])
    if stamp is not None:
        command = command.replace("$EPOCHREALTIME", stamp)
    payload = json.dumps(event["payload"], separators=(",", ":")).encode()
    done = subprocess.run(
        ["bash", "-c", command], input=payload, capture_output=True, env=HOOK_ENV, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")


def fire(paths: DataPaths, events: Sequence[dict[str, Any]], workers: int = 8) -> None:
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda e: run_hook(paths, e), events))


def numbered(count: int) -> list[dict[str, Any]]:
    """Recorded hook calls, cycled, each made unique by a sequence number in its payload.

    The number rides in `cwd`: the event log stores the working directory of each event.
    """
    out = []
    for n in range(count):
        event = RECORDED[n % len(RECORDED)]
        out.append({**event, "payload": {**event["payload"], "cwd": f"/seq/{n}"}})
    return out


def _seq(cwd: str | None) -> int | None:
    return int(cwd.removeprefix("/seq/")) if cwd and cwd.startswith("/seq/") else None


def rows(database: Path) -> list[tuple[str, float, int | None]]:
    """(dedupe_key, stamp, seq) of every stored event, in the order they were stored."""
    if not database.exists():
        return []
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        found = conn.execute("SELECT dedupe_key, stamp, cwd FROM hook_event ORDER BY id")
        return [(key, stamp, _seq(cwd)) for key, stamp, cwd in found]
    except sqlite3.OperationalError:  # the app has not made its tables yet
        return []
    finally:
        conn.close()


def spooled(paths: DataPaths) -> list[Path]:
    return sorted(paths.spool.glob(f"*{SPOOL_SUFFIX}"))


@pytest.fixture
def paths(tmp_path: Path) -> DataPaths:
    data = DataPaths(tmp_path / "data")
    write_script(data, free_port())  # nothing listens there: the app is down
    return data


@pytest.fixture
def drain(paths: DataPaths, ingest: EventIngest) -> SpoolDrain:
    return SpoolDrain(paths.spool, ingest, interval=0.05, fallback_dir=fallback_spool(paths.root))


# --- the record format ---------------------------------------------------------------------


def record_bytes(body: bytes, length: int | None = None, key: str = "1795000000.5-42") -> bytes:
    size = len(body) if length is None else length
    header = f"{SPOOL_MAGIC}\t{key}\t1795000000.5\t%3\t42\tStop\t{size}\n".encode()
    return header + body + b"\n"


def test_a_record_is_complete_only_when_its_length_is_there() -> None:
    whole = record_bytes(b'{"session_id":"s","hook_event_name":"Stop"}')
    for cut in range(len(whole)):
        assert parse_record(whole[:cut]) is None, cut
    record = parse_record(whole)
    assert record is not None
    assert (record.dedupe_key, record.stamp, record.pane_id, record.claude_pid) == (
        "1795000000.5-42",
        1795000000.5,
        "%3",
        42,
    )


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"GET / HTTP/1.1\r\n", "not a claude-rpg spool record"),
        (b"hello", "not a claude-rpg spool record"),
        (record_bytes(b"{}", length=1), "longer than its header says"),
        (record_bytes(b"{}", key="../../etc"), "not a valid event id"),
        (record_bytes(b"{}").replace(b"\t2\n", b"\tx\n"), "not a number"),
    ],
)
def test_records_that_can_never_be_events_are_refused(data: bytes, why: str) -> None:
    with pytest.raises(BadRecordError, match=why):
        parse_record(data)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"session_id": 5, "hook_event_name": "Stop"}', "not a hook payload"),
        (b"[" * 100_000, "not valid JSON"),
    ],
)
def test_payloads_that_are_not_hook_payloads_are_refused(body: bytes, why: str) -> None:
    record = parse_record(record_bytes(body))
    assert record is not None
    with pytest.raises(BadRecordError, match=why):
        event_from_record(record, fallback_stamp=1.0)


def test_a_huge_payload_is_kept_with_its_long_strings_cut() -> None:
    body = json.dumps(
        {
            "session_id": "s",
            "hook_event_name": "PostToolUse",
            "tool_name": "Read",
            "tool_response": {"content": "x" * 3_000_000},
        }
    ).encode()
    record = parse_record(record_bytes(body))
    assert record is not None

    event = event_from_record(record, fallback_stamp=1.0)

    assert event.payload["tool_name"] == "Read"
    content = event.payload["tool_response"]["content"]
    assert content.startswith("x" * 4096) and "2995904 more characters dropped" in content


# --- draining ------------------------------------------------------------------------------


def test_drain_stores_in_stamp_order_exactly_once(
    paths: DataPaths, drain: SpoolDrain, db: Database
) -> None:
    events = numbered(40)
    # Written in reverse, so file order and write order both disagree with stamp order.
    for n, event in reversed(list(enumerate(events))):
        run_hook(paths, event, stamp=f"{1795000000 + n}.{n:06d}")

    report = asyncio.run(drain.drain())

    assert (report.stored, report.duplicates, report.rejected) == (40, 0, 0)
    assert [seq for _, _, seq in rows(db.path)] == list(range(40))
    assert spooled(paths) == []
    assert asyncio.run(drain.drain()).stored == 0
    assert len(rows(db.path)) == 40


def test_a_drain_cut_short_after_storing_skips_what_was_stored(
    paths: DataPaths, drain: SpoolDrain, ingest: EventIngest, db: Database
) -> None:
    fire(paths, numbered(30))
    # As if the app died after storing 12 records but before deleting their files.
    for path in spooled(paths)[:12]:
        record = parse_record(path.read_bytes())
        assert record is not None
        assert ingest.ingest(event_from_record(record, fallback_stamp=1.0)).stored

    report = asyncio.run(drain.drain())

    assert (report.stored, report.duplicates) == (18, 12)
    stored = rows(db.path)
    assert sorted(seq for _, _, seq in stored) == list(range(30))
    assert spooled(paths) == []


def test_a_stored_record_brought_back_empty_by_a_power_cut_goes_without_a_word(
    paths: DataPaths, drain: SpoolDrain, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    fire(paths, numbered(3))
    names = [path.name for path in spooled(paths)]
    assert asyncio.run(drain.drain()).stored == 3
    # What a power cut can leave: the records' names reached the disk, their bytes and their
    # deletion did not (tests/faults/test_emergency_read_only.py sees this on ext4). One
    # empty, one of zeros; a third, empty, whose event was never stored.
    (paths.spool / names[0]).write_bytes(b"")
    (paths.spool / names[1]).write_bytes(b"\0" * 64)
    unknown = paths.spool / f"1795000000.5-5{SPOOL_SUFFIX}"
    unknown.write_bytes(b"")
    caplog.set_level(logging.WARNING)
    caplog.clear()

    report = asyncio.run(drain.drain())

    assert (report.stored, report.duplicates, report.rejected, report.pending) == (0, 2, 0, 1)
    assert spooled(paths) == [unknown], "an empty record nobody stored waits for its writer"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert len(rows(db.path)) == 3


def test_bad_and_abandoned_records_are_moved_aside_with_a_reason(
    paths: DataPaths, drain: SpoolDrain, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    run_hook(paths, numbered(1)[0])
    (paths.spool / f"1.0-1{SPOOL_SUFFIX}").write_bytes(record_bytes(b"{oops", key="1.0-1"))
    writing = paths.spool / f"2.0-2{SPOOL_SUFFIX}"
    writing.write_bytes(record_bytes(b'{"session_id":"s","hook_event_name":"Stop"}')[:-9])
    caplog.set_level(logging.WARNING)

    report = asyncio.run(drain.drain())

    assert (report.stored, report.rejected, report.pending) == (1, 1, 1)
    assert writing.exists(), "a record still being written waits for the next drain"
    assert (paths.spool / REJECTED_DIR / f"1.0-1{SPOOL_SUFFIX}").exists()
    assert "its payload is not valid JSON" in caplog.text and str(paths.spool) in caplog.text

    drain.stale_after = 0.0
    report = asyncio.run(drain.drain())
    assert report.rejected == 1 and not writing.exists()
    assert "it is incomplete" in caplog.text
    assert len(rows(db.path)) == 1


def test_the_doorbell_stores_at_once_and_the_watch_catches_the_rest(
    paths: DataPaths, drain: SpoolDrain, db: Database
) -> None:
    async def scenario() -> None:
        port = script_port(paths.hook_script)
        assert port is not None
        doorbell = await open_doorbell(drain, port)
        drain.start()
        try:
            await asyncio.to_thread(fire, paths, numbered(20))
            await until(lambda: len(rows(db.path)) == 20)
            assert drain.rung >= 1  # at least some came by the doorbell, not the watch
            await until(lambda: spooled(paths) == [])
        finally:
            await doorbell.close()
            await drain.stop()

    asyncio.run(scenario())


def test_rings_waiting_together_are_read_at_one_wake_and_stored_as_one_batch(
    paths: DataPaths, drain: SpoolDrain, ingest: EventIngest, db: Database
) -> None:
    batches: list[int] = []
    ingest.add_writer(lambda _s, stored: batches.append(len(stored)))
    wakes: list[list[str]] = []
    replay = drain.replay_keys
    drain.replay_keys = lambda keys: wakes.append(keys) or replay(keys)  # type: ignore[method-assign]

    async def scenario() -> None:
        port = free_port()
        doorbell = await open_doorbell(drain, port)
        paths.spool.mkdir(parents=True, exist_ok=True)
        keys = [f"1795000000.{n}-{n}" for n in range(1, 7)]
        for n, key in enumerate(keys):
            body = json.dumps({"session_id": "s", "hook_event_name": "Stop", "n": n}).encode()
            (paths.spool / f"{key}{SPOOL_SUFFIX}").write_bytes(record_bytes(body, key=key))
        ring = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            for key in keys[:5]:  # all six wait on the socket before the loop looks
                ring.sendto(f"{key}\n".encode(), ("127.0.0.1", port))
            # The ring of a hook script from an older release (`<secret> <id>`) still counts.
            ring.sendto(f"old-secret {keys[5]}\n".encode(), ("127.0.0.1", port))
            # A forged ring naming no record in the spool stores nothing.
            ring.sendto(b"../../etc/passwd\n", ("127.0.0.1", port))
            await until(lambda: len(rows(db.path)) == 6)
        finally:
            ring.close()
            await doorbell.close()
        assert drain.rung == 6 and spooled(paths) == []

    asyncio.run(scenario())
    assert len(wakes) == 1 and len(wakes[0]) == 7  # one wake-up read all seven rings
    assert batches == [6]  # and stored them in one transaction
    assert [key for key, _stamp, _seq in rows(db.path)] == [
        f"1795000000.{n}-{n}" for n in range(1, 7)
    ]  # in stamp order


# --- the fallback spool --------------------------------------------------------------------


def spool_blocked(paths: DataPaths) -> None:
    """A file where the spool dir should be: the hook cannot write there (even as root)."""
    paths.spool.rmdir()
    paths.spool.write_text("not a folder")


def spool_back(paths: DataPaths) -> None:
    paths.spool.unlink()
    paths.spool.mkdir(mode=0o700)


def test_the_fallback_spool_is_drained_with_the_main_one_in_stamp_order_once(
    paths: DataPaths, drain: SpoolDrain, db: Database
) -> None:
    events = numbered(20)
    fallback = fallback_spool(paths.root)
    # The odd ones while the spool could not be written (they go to the fallback), then
    # the even ones: stamp order interleaves the two spools.
    spool_blocked(paths)
    for n in range(1, 20, 2):
        run_hook(paths, events[n], stamp=f"{1795000000 + n}.000000")
    spool_back(paths)
    for n in range(0, 20, 2):
        run_hook(paths, events[n], stamp=f"{1795000000 + n}.000000")
    assert len(spooled(paths)) == 10 and len(list(fallback.glob(f"*{SPOOL_SUFFIX}"))) == 10
    assert (drain.backlog(), drain.fallback_backlog()) == (20, 10)

    report = asyncio.run(drain.drain())

    assert (report.stored, report.duplicates, report.rejected) == (20, 0, 0)
    assert [seq for _, _, seq in rows(db.path)] == list(range(20))
    assert spooled(paths) == [] and list(fallback.glob(f"*{SPOOL_SUFFIX}")) == []
    assert (drain.backlog(), drain.fallback_backlog()) == (0, 0)


def test_a_ring_for_a_record_in_the_fallback_stores_it_at_once(
    paths: DataPaths, drain: SpoolDrain, db: Database
) -> None:
    spool_blocked(paths)
    run_hook(paths, numbered(1)[0])
    [record] = fallback_spool(paths.root).glob(f"*{SPOOL_SUFFIX}")

    assert drain.replay_keys([record.name.removesuffix(SPOOL_SUFFIX)])

    assert len(rows(db.path)) == 1 and not record.exists()


def test_a_fallback_that_is_not_the_users_own_is_never_read(
    paths: DataPaths, drain: SpoolDrain, db: Database, tmp_path: Path
) -> None:
    fallback = fallback_spool(paths.root)
    planted = tmp_path / "planted"
    planted.mkdir()
    body = json.dumps({"session_id": "s", "hook_event_name": "Stop"}).encode()
    (planted / f"1.0-1{SPOOL_SUFFIX}").write_bytes(record_bytes(body, key="1.0-1"))
    fallback.parent.mkdir(mode=0o700)
    fallback.symlink_to(planted, target_is_directory=True)

    assert drain.backlog() == 0 and not drain.replay_keys(["1.0-1"])
    assert asyncio.run(drain.drain()).stored == 0
    assert rows(db.path) == [] and (planted / f"1.0-1{SPOOL_SUFFIX}").exists()


def test_what_the_hook_dropped_at_the_fallbacks_cap_is_counted(
    paths: DataPaths, drain: SpoolDrain
) -> None:
    fallback = fallback_spool(paths.root)
    fallback.mkdir(parents=True, mode=0o700)
    # As this release's cap check leaves them (a file each), and an older one's in the spool.
    (fallback / f"{DROPPED_PREFIX}1795000000.5-42-7-0").write_text("3\n")
    (fallback / f"{DROPPED_PREFIX}1795000001.5-43-7-0").write_text("2\n")
    (paths.spool / DROPPED_FILE).write_text("1\n")

    assert asyncio.run(drain.drain()).dropped == 6
    assert drain.dropped == 6 and list(fallback.iterdir()) == []
    assert asyncio.run(drain.drain()).dropped == 0


async def until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.02)


# --- the real app, killed ------------------------------------------------------------------


def launch(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """The app as a user runs it (headless); its start-up drain starts at once."""
    args = [sys.executable, "-m", "desktop", "--headless", "--port", str(port)]
    args += ["--data-dir", str(data), "--tmux-socket", str(data.parent / "no-tmux.sock")]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_API="pyside6")
    with open(log, "ab") as out:
        return subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=out)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[AppProcess]:
    process = AppProcess(tmp_path / "data", tmux_socket=tmp_path / "no-tmux.sock")
    yield process
    process.stop(signal.SIGKILL)


def test_a_restart_drains_what_was_spooled_while_down_in_order_once(
    app: AppProcess, paths: DataPaths
) -> None:
    write_script(paths, app.port)
    events = numbered(120)
    for event in events:  # one after the other: stamp order is sequence order
        run_hook(paths, event)
    assert len(spooled(paths)) == 120

    app.start()
    app.wait_for("/api/health", lambda h: h["events_accepted"] == 120)
    assert [seq for _, _, seq in rows(paths.database)] == list(range(120))
    assert spooled(paths) == []
    app.restart()

    assert app.get("/api/health")["events_accepted"] == 0
    assert len(rows(paths.database)) == 120


def test_kill_9_in_the_middle_of_a_drain_then_restart_stores_each_event_once(
    app: AppProcess, paths: DataPaths, tmp_path: Path
) -> None:
    total = 3000
    write_script(paths, app.port)
    fire(paths, numbered(total))
    assert len(spooled(paths)) == total
    proc = launch(paths.root, app.port, tmp_path / "killed.log")
    try:
        while not rows(paths.database):
            assert proc.poll() is None, (tmp_path / "killed.log").read_text()
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    stored_before = len(rows(paths.database))
    assert 0 < stored_before < total, "the kill came after the drain had finished"

    app.start()
    app.wait_for("/api/health", lambda h: h["events_accepted"] + stored_before >= total)

    stored = rows(paths.database)
    assert len(stored) == total
    assert len({key for key, _, _ in stored}) == total
    assert sorted(seq for _, _, seq in stored) == list(range(total))
    stamps = [stamp for _, stamp, _ in stored]
    assert stamps == sorted(stamps), "replayed out of stamp order"
    assert spooled(paths) == []


def test_kill_9_during_a_burst_of_1000_live_events_leaves_exactly_1000(
    app: AppProcess, paths: DataPaths
) -> None:
    total = 1000
    write_script(paths, app.port)
    app.start()
    events = numbered(total)
    with ThreadPoolExecutor(8) as pool:
        first = [pool.submit(run_hook, paths, e) for e in events[:300]]
        for future in first:
            future.result()
        rest = [pool.submit(run_hook, paths, e) for e in events[300:]]
        # The app dies while hooks keep coming (and some were just being stored).
        app.stop(signal.SIGKILL)
        for future in rest:
            future.result()

    app.start()
    app.wait_for("/api/health", lambda h: h["spool"]["waiting"] == 0)
    # The restart had work left by the kill: the kill came mid-burst.
    assert app.get("/api/health")["events_accepted"] > 0

    stored = rows(paths.database)
    assert len(stored) == total
    assert len({key for key, _, _ in stored}) == total
    assert sorted(seq for _, _, seq in stored) == list(range(total))
