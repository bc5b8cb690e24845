"""How history size moves start-up, pages and the API: synthetic logs of 10K and 1M events.

The generator (in this script, never a committed file) builds a database the way a year of
use would: the recorded real hook calls of Claude Code 2.1.197 (tests/fixtures), turned into
their compact rows by the app's own `compact()`, cycled through sessions of about 300 events
each (one persona per session, ten projects, stamps spread over a year). Personas are made
by the app's PersonaService; XP, challenges and badges by `progression rebuild`, which is
timed with its progress bar.

Rows, each measured at every size (the smallest size is the same-run baseline, so the ratio
shows how the cost grows with history):

  start to tray          the whole app (window and tray, private Xvfb with trayer) from
                         spawning the process until its tray icon is embedded; without X,
                         until /api/health answers
  persona page open      PersonaPages.page() of the persona with the most events, p50 and max
  /api/personas p99      GET against the running app, 200 requests
  /api/leaderboard p99   the same
  database bytes/event   the file after a WAL checkpoint, divided by the events
  progression rebuild    recomputing every persona from the log

    .venv/bin/python bench/history.py [--events 10000,1000000] [--keep DIR]

`make bench` runs the default sizes (10,000 and 100,000: a few minutes); the 1,000,000 row
of docs/performance.md is `--events 10000,1000000` (about 25 minutes on 2 busy CPUs).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _common import Result, isolated_env, percentile, print_machine, print_table, private_display
from startup import BARE_QT, time_start

from desktop.cli.progress import ProgressBar
from desktop.core.history.record import compact
from desktop.core.personas import PersonaService
from desktop.core.progression.page import PersonaPages
from desktop.core.progression.rebuild import rebuild
from desktop.paths import DataPaths
from desktop.store.db import Database
from desktop.store.models import utcnow
from desktop.store.repos import sql_time
from tests.support.app_process import free_port

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
RECORDINGS = sorted(FIXTURES.glob("claude-code-2.1.197-*.jsonl"))
EVENTS_PER_SESSION = 300
PROJECTS = 10
YEAR_S = 365 * 86400.0
START = 1_767_225_600.0  # 2026-01-01 UTC
PAGE_TARGET_MS = 100.0
API_TARGET_MS = 50.0
TRAY_TARGET_S = 1.5
API_REQUESTS = 200
_INSERT = (
    "INSERT INTO hook_event (dedupe_key, event_name, session_id, pane_id, claude_pid, stamp,"
    " received_at, tool_name, cwd, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def recorded_rows() -> list[tuple[str, str | None, str | None, str, float]]:
    """(event name, tool, cwd, record, seconds into its session) of each recorded call."""
    rows = []
    for path in RECORDINGS:
        for line in path.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            payload = data["payload"]
            name = payload["hook_event_name"]
            facts = compact(name, payload)
            rows.append(
                (name, facts.tool_name or None, facts.cwd or None, facts.record_json(), data["t"])
            )
    return rows


def generate(data: Path, events: int) -> tuple[Database, float]:
    """A data dir holding `events` synthetic events; returns it and the rebuild's seconds."""
    paths = DataPaths(data)
    paths.ensure()
    db = Database(paths.database)
    shapes = recorded_rows()
    sessions = max(1, events // EVENTS_PER_SESSION)
    rng = random.Random(events)
    session_ids = [f"{rng.getrandbits(128):032x}" for _ in range(sessions)]
    personas = PersonaService(db)
    with db.session() as s:
        for sid in session_ids:
            personas.get_or_create_persona(s, sid, "bench")
    received = sql_time(utcnow())
    conn = sqlite3.connect(paths.database)
    bar = ProgressBar()
    written = 0
    batch: list[tuple[Any, ...]] = []
    for n in range(events):
        session = n % sessions
        name, tool, cwd, record, t = shapes[(n // sessions) % len(shapes)]
        project = f"/home/dev/project-{session % PROJECTS}"
        stamp = START + YEAR_S * session / sessions + (n // sessions) * 7.0 + t
        batch.append(
            (
                f"bench:{n}",
                name,
                session_ids[session],
                f"%{session % 40}",
                None,
                stamp,
                received,
                tool,
                project if cwd else None,
                record,
            )
        )
        if len(batch) == 10_000 or n == events - 1:
            with conn:
                conn.executemany(_INSERT, batch)
            written += len(batch)
            batch.clear()
            bar("generating events", written, events)
    bar.finish()
    conn.close()
    t0 = time.monotonic()
    rebuild(db, progress=bar)
    bar.finish()
    return db, time.monotonic() - t0


def database_bytes(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return sum(p.stat().st_size for p in path.parent.glob(f"{path.name}*"))


def page_times(db: Database) -> list[float]:
    """Milliseconds to read the page of the persona with the most events, 30 times."""
    conn = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
    try:
        (biggest,) = conn.execute(
            "SELECT p.id FROM persona p JOIN hook_event e ON e.session_id = p.session_id"
            " GROUP BY p.id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    pages = PersonaPages(db)
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        assert pages.page(int(biggest)) is not None
        times.append((time.perf_counter() - t0) * 1000)
    return times


def api_times(data: Path, env: dict[str, str]) -> dict[str, list[float]]:
    """Milliseconds per GET of /api/personas and /api/leaderboard against the running app."""
    port = free_port()
    argv = [sys.executable, "-m", "desktop", "--headless", "--port", str(port)]
    argv += ["--data-dir", str(data), "--tmux-socket", str(data / "no-tmux.sock")]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        secret = ""
        deadline = time.monotonic() + 60
        url = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                secret = (data / "secret").read_text().strip()
                with urllib.request.urlopen(url + "/api/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.05)
        out: dict[str, list[float]] = {}
        for route in ("/api/personas", "/api/leaderboard"):
            request = urllib.request.Request(url + route, headers={"X-Claude-RPG-Secret": secret})
            times = []
            for _ in range(API_REQUESTS):
                t0 = time.perf_counter()
                with urllib.request.urlopen(request, timeout=10) as r:
                    r.read()
                times.append((time.perf_counter() - t0) * 1000)
            out[route] = times
        return out
    finally:
        proc.terminate()
        proc.wait(30)


def tray_times(data: Path, root: Path, runs: int) -> tuple[str, list[float], list[float]]:
    """Seconds from spawning the app to its tray icon (or, without X, its listener), and
    for a bare Qt app that shows a tray icon, started in turn with it (machine load)."""
    with private_display() as display:
        env = isolated_env(root, display)
        port = free_port()
        argv = [sys.executable, "-m", "desktop", "--port", str(port), "--data-dir", str(data)]
        argv += ["--tmux-socket", str(data / "no-tmux.sock")]
        mark = "in the tray" if display else "listener ready"
        time_start(argv, env, display, "claude-rpg", port)  # a first start warms the caches
        times, bare = [], []
        for _ in range(runs):
            if display:
                qt = time_start(
                    [sys.executable, "-c", BARE_QT], env, display, "bench-bare-qt", None
                )
                bare += [qt.marks[mark]] if mark in qt.marks else []
            start = time_start(argv, env, display, "claude-rpg", port)
            if mark in start.marks:
                times.append(start.marks[mark])
        return mark, times, bare


def measure(events: int, root: Path, runs: int) -> dict[str, float]:
    data = root / f"data-{events}"
    print(f"\n{events:,} events: generating in {data}", file=sys.stderr)
    db, rebuild_s = generate(data, events)
    size = database_bytes(db.path)
    page = page_times(db)
    db.close()
    apis = api_times(data, isolated_env(root))
    mark, tray, bare = tray_times(data, root, runs)
    return {
        "rebuild_s": rebuild_s,
        "bytes_per_event": size / events,
        "page_p50": percentile(page, 0.5),
        "page_max": max(page),
        "personas_p99": percentile(apis["/api/personas"], 0.99),
        "leaderboard_p99": percentile(apis["/api/leaderboard"], 0.99),
        "tray_p50": percentile(tray, 0.5),
        "tray_max": max(tray) if tray else float("nan"),
        "tray_is_tray": float(mark == "in the tray"),
        "bare_tray_p50": percentile(bare, 0.5),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", default="10000,100000", help="sizes, comma-separated (10000,100000)"
    )
    parser.add_argument("--runs", type=int, default=5, help="measured starts per size (5)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the data dirs here")
    args = parser.parse_args()
    sizes = [int(x) for x in args.events.split(",")]
    print_machine()
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        found = {n: measure(n, root, args.runs) for n in sizes}
    base_n = sizes[0]
    base = found[base_n]
    results: list[Result] = []
    for n in sizes:
        m = found[n]
        name = f"{base_n:,} events"
        tray_label = "start to tray" if m["tray_is_tray"] else "start to listener (no X)"
        rows = [
            (f"{tray_label}, p50", "tray_p50", "s", TRAY_TARGET_S),
            (f"{tray_label}, max", "tray_max", "s", TRAY_TARGET_S),
            ("bare Qt to tray, p50 (machine load)", "bare_tray_p50", "s", None),
            ("persona page open, p50", "page_p50", "ms", PAGE_TARGET_MS),
            ("persona page open, max", "page_max", "ms", PAGE_TARGET_MS),
            ("/api/personas p99", "personas_p99", "ms", API_TARGET_MS),
            ("/api/leaderboard p99", "leaderboard_p99", "ms", API_TARGET_MS),
            ("database bytes per event", "bytes_per_event", "B", None),
            ("progression rebuild", "rebuild_s", "s", None),
        ]
        for label, key, unit, target in rows:
            results.append(
                Result(
                    f"{n:,} events: {label}",
                    m[key],
                    unit,
                    f"<= {target:g}" if target is not None else "",
                    m[key] <= target if target is not None else None,
                    base[key] if n != base_n else None,
                    name,
                )
            )
    print_table("history size: start-up, pages, API, storage, rebuild", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
