"""Hook events posted as fast as several clients can: events stored per second, event -> state
change latency, and whether the app's memory stays bounded under a sustained load.

Three servers, one after the other, take the same load on 127.0.0.1:

  baseline      bench/_plain_ingest.py: plain aiohttp on plain asyncio, one SQLite
                transaction per event in the app's schema, stored before the 2xx reply
  baseline on qasync   the same server on a QApplication running qasync (the app's kind of
                loop, no window): the HTTP ceiling of that loop on this machine
  app headless  `python -m desktop --headless` (qasync loop, core only)
  app with UI   `python -m desktop` with its window open (offscreen platform): 20 cards

The apps watch a private tmux with 20 panes of a stand-in `claude`; every event names one
of those panes (X-Tmux-Pane), so each one moves that pane's state and its card. Payloads
are the recorded real ones (tests/fixtures), one session per pane, a turn at a time
(UserPromptSubmit, PreToolUse, PostToolUse, Stop). Each request opens its own connection,
as a hook does. The app replies only after the event is stored and the pane (and its card,
through the bridge's direct signals) has changed, so the reply time is the event -> state
change latency, measured at the client.

Phases: `burst` (N events, C clients, as fast as they go), `paced` (a steady rate, the
latency a busy day sees) and, for the app with its UI, `sustained` (T seconds at full
speed, then a quiet spell) while its RSS is sampled. Targets (issue 8): at least 2,000
events/s, p99 at most 100 ms. Exits non-zero only when an event was lost or a pane did not
end in the state its last event set.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from _common import (
    REPO,
    PrivateTmux,
    Result,
    claude_panes,
    isolated_env,
    memory_mb,
    percentile,
    print_machine,
    print_table,
    stand_in_claude,
)
from _spool_client import SpoolClient

from desktop.core.hooks.spool import record_bytes
from tests.support.app_process import AppProcess, free_port

FIXTURE = REPO / "tests/fixtures/claude-code-2.1.197-hook-events.jsonl"
TURN = ("UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop")
RATE_TARGET = 2000.0
P99_TARGET_MS = 100.0
# Bounded memory: a load that runs on must not keep adding to the RSS (qasync keeps each
# cancelled timer until its delay is over, aiohttp re-arms a keep-alive timer per request).
RSS_GROWTH_LIMIT_MB = 5.0


def recorded_payloads() -> dict[str, dict[str, Any]]:
    """The first recorded real payload of each event kind."""
    found: dict[str, dict[str, Any]] = {}
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        payload = json.loads(line)["payload"]
        found.setdefault(payload["hook_event_name"], payload)
    return found


@dataclass
class Server:
    """A server under load: where it listens, its process, and how to stop it."""

    name: str
    port: int
    pid: int
    secret: str
    app: AppProcess | None = None
    proc: subprocess.Popen[bytes] | None = None

    def health(self) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}/api/health"
        with urllib.request.urlopen(url, timeout=10) as r:
            return dict(json.loads(r.read()))

    def panes(self) -> list[dict[str, Any]]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/panes", headers={"X-Claude-RPG-Secret": self.secret}
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            return list(json.loads(r.read()))

    def stop(self) -> None:
        if self.app is not None:
            self.app.stop()
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(15)


@dataclass
class Phase:
    """What one phase of load saw: per-request latency (s) and reply statuses."""

    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1e3


class Load:
    """Builds each pane's requests; remembers the last event sent to each pane."""

    def __init__(self, server: Server, panes: list[str], tag: str) -> None:
        self.server = server
        self.panes = panes
        self.tag = tag
        recorded = recorded_payloads()
        self.bodies = {
            (pane, name): json.dumps(
                {**recorded[name], "session_id": f"bench-{tag}-{n}"}, separators=(",", ":")
            ).encode()
            for n, pane in enumerate(panes)
            for name in ("SessionStart", *TURN)
        }
        self.keys = itertools.count()
        self.turn_step = dict.fromkeys(panes, 0)
        self.last_sent: dict[str, str] = {}
        self.sent = 0

    def _next(self, pane: str, name: str | None) -> str:
        if name is None:
            name = TURN[self.turn_step[pane] % len(TURN)]
            self.turn_step[pane] += 1
        self.last_sent[pane] = name
        self.sent += 1
        return name

    def next_record(self, pane: str) -> tuple[str, bytes]:
        """The pane's next event as the installed hook spools it: (id, record bytes)."""
        name = self._next(pane, None)
        stamp = time.time()
        key = f"{stamp:.6f}-{next(self.keys)}"
        return key, record_bytes(key, stamp, pane, None, name, self.bodies[(pane, name)])

    def next_call(self, pane: str, name: str | None = None) -> tuple[str, dict[str, str], bytes]:
        """The pane's next event as an HTTP hook call: (path, headers, body)."""
        name = self._next(pane, name)
        headers = {
            "Content-Type": "application/json",
            "X-Claude-RPG-Secret": self.server.secret,
            "X-Tmux-Pane": pane,
            "X-Hook-Id": f"{self.tag}-{next(self.keys)}",
            "X-Hook-Stamp": f"{time.time():.6f}",
        }
        return f"/hooks/{name}", headers, self.bodies[(pane, name)]

    def next_request(self, pane: str, name: str | None = None) -> bytes:
        """next_call() as the bytes of a request on a connection of its own."""
        path, headers, body = self.next_call(pane, name)
        lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{self.server.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        return "\r\n".join(lines).encode() + body


async def post(port: int, request: bytes, phase: Phase) -> None:
    """One hook call on its own connection; latency runs to the reply's status line."""
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    status_line = await reader.readline()
    phase.latencies.append(time.perf_counter() - start)
    await reader.read()
    writer.close()
    status = int(status_line.split()[1]) if status_line.startswith(b"HTTP/") else 0
    phase.statuses[status] = phase.statuses.get(status, 0) + 1


async def ring(spool: SpoolClient, load: Load, pane: str, phase: Phase) -> None:
    """One event the installed hook's way: its spool record, then the doorbell."""
    key, record = load.next_record(pane)
    phase.latencies.append(await spool.send(key, record))
    phase.statuses[200] = phase.statuses.get(200, 0) + 1


Send = Callable[[str, Phase], Awaitable[None]]  # sends the pane's next event, records it


def over_http(load: Load) -> Send:
    return lambda pane, phase: post(load.server.port, load.next_request(pane), phase)


def over_spool(load: Load, spool: SpoolClient) -> Send:
    return lambda pane, phase: ring(spool, load, pane, phase)


async def full_speed(
    load: Load, send: Send, clients: int, phase: Phase, until: Callable[[], bool]
) -> Phase:
    """`clients` workers, each owning some panes (so a pane's events stay in order)."""

    async def worker(own: list[str]) -> None:
        for pane in itertools.cycle(own):
            if until():
                return
            await send(pane, phase)

    start = time.perf_counter()
    await asyncio.gather(*(worker(load.panes[w::clients]) for w in range(clients)))
    phase.elapsed = time.perf_counter() - start
    return phase


async def burst(load: Load, send: Send, total: int, clients: int) -> Phase:
    first = load.sent
    return await full_speed(load, send, clients, Phase("burst"), lambda: load.sent - first >= total)


async def sustained(
    load: Load, send: Send, seconds: float, clients: int, phase: Phase | None = None
) -> Phase:
    end = time.perf_counter() + seconds
    return await full_speed(
        load, send, clients, phase or Phase("sustained"), lambda: time.perf_counter() > end
    )


async def paced(load: Load, send: Send, rate: float, seconds: float) -> Phase:
    """One event every 1/rate s, round robin over the panes, each on its own task."""
    phase = Phase(f"paced {rate:g}/s")
    tasks = []
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(send(load.panes[n % len(load.panes)], phase)))
    await asyncio.gather(*tasks)
    phase.elapsed = time.perf_counter() - start
    return phase


async def sustained_keepalive(load: Load, seconds: float, clients: int) -> Phase:
    """Full speed over `clients` kept-alive connections (an API client's way, not a hook's)."""
    phase = Phase("sustained, keep-alive")
    url = f"http://127.0.0.1:{load.server.port}"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as http:

        async def send(pane: str, phase: Phase) -> None:
            path, headers, body = load.next_call(pane)
            start = time.perf_counter()
            async with http.post(url + path, data=body, headers=headers) as reply:
                phase.latencies.append(time.perf_counter() - start)
                await reply.read()
                phase.statuses[reply.status] = phase.statuses.get(reply.status, 0) + 1

        return await sustained(load, send, seconds, clients, phase)


async def over_the_spool(load: Load, args: argparse.Namespace) -> dict[str, Phase]:
    """Burst and paced phases the installed hook's way (the app only)."""
    assert load.server.app is not None
    spool = SpoolClient(load.server.app.data_dir / "spool", load.server.port)
    spool.start()
    try:
        send = over_spool(load, spool)
        return {
            "spool burst": await burst(load, send, args.events, args.clients),
            "spool paced": await paced(load, send, args.rate, args.paced_seconds),
        }
    finally:
        spool.close()


class RssSampler(threading.Thread):
    """Samples a process's resident memory (MiB) every `every` seconds."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, float]] = []
        self.done = threading.Event()
        self.started_at = time.monotonic()

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.samples.append((time.monotonic() - self.started_at, memory_mb(self.pid)[0]))

    def between(self, start: float, end: float) -> list[float]:
        return [rss for t, rss in self.samples if start <= t <= end]


def start_plain(root: Path, on_qasync: bool = False) -> Server:
    port, secret = free_port(), "bench-secret"
    script = Path(__file__).with_name("_plain_ingest.py")
    name = "baseline on qasync" if on_qasync else "baseline"
    command = [sys.executable, str(script), str(port), str(root / f"{name}.sqlite3"), secret]
    env = isolated_env(root)  # offscreen: the qasync baseline makes a QApplication
    proc = subprocess.Popen(
        command + (["qasync"] if on_qasync else []), stdout=subprocess.PIPE, env=env
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != b"ready":
        raise SystemExit(f"BROKEN: the {name} server did not start")
    return Server(name, port, proc.pid, secret, proc=proc)


def start_app(name: str, root: Path, tmux: PrivateTmux, headless: bool) -> Server:
    app = AppProcess(
        root / name.replace(" ", "-"),
        tmux.socket_path,
        env=isolated_env(root),
        headless=headless,
        poll_interval=1.0,
    ).start()
    assert app.proc is not None
    return Server(name, app.port, app.proc.pid, app.secret, app=app)


def wait_until(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"BROKEN: {what} within {timeout} s")
        time.sleep(0.1)


@dataclass
class Run:
    """One server's phases, memory samples and whether it kept every event."""

    server: str
    phases: dict[str, Phase]
    memory: dict[str, float] = field(default_factory=dict)
    timeline: list[tuple[float, float]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def load_server(server: Server, panes: list[str], args: argparse.Namespace, soak: bool) -> Run:
    load = Load(server, panes, server.name.replace(" ", "-"))
    is_app = server.app is not None
    if is_app:
        wait_until(lambda: len(server.panes()) == len(panes), f"{server.name} saw the panes")
    prime = Phase("prime")
    for pane in panes:
        asyncio.run(post(server.port, load.next_request(pane, "SessionStart"), prime))
    if is_app:
        wait_until(
            lambda: all(p["persona"] for p in server.panes()), f"{server.name} bound the panes"
        )
    sampler = RssSampler(server.pid)
    sampler.start()
    http = over_http(load)
    phases = {"burst": asyncio.run(burst(load, http, args.events, args.clients))}
    phases["paced"] = asyncio.run(paced(load, http, args.rate, args.paced_seconds))
    if is_app:
        phases.update(asyncio.run(over_the_spool(load, args)))
    run = Run(server.name, phases)
    if soak:
        run.memory["before"] = sampler.samples[-1][1]
        soak_start = time.monotonic() - sampler.started_at
        for name, job in (
            ("sustained", lambda: sustained(load, http, args.soak_seconds, args.clients)),
            ("sustained, keep-alive", lambda: sustained_keepalive(load, args.soak_seconds, 8)),
        ):
            start = time.monotonic() - sampler.started_at
            phases[name] = asyncio.run(job())
            end = time.monotonic() - sampler.started_at
            second_half = sampler.between((start + end) / 2, end)
            run.memory[f"{name}: growth"] = second_half[-1] - second_half[0]
            run.memory[f"{name}: end"] = second_half[-1]
        time.sleep(args.quiet_seconds)
        run.memory["after quiet"] = sampler.samples[-1][1]
        run.memory["peak"] = memory_mb(server.pid)[1]
        run.timeline = [(t - soak_start, rss) for t, rss in sampler.samples if t >= soak_start]
    sampler.done.set()
    sent = load.sent
    accepted = server.health()["events_accepted"]
    if accepted != sent:
        run.problems.append(f"{server.name} stored {accepted} of {sent} events")
    for phase in (prime, *phases.values()):
        if set(phase.statuses) != {200}:
            run.problems.append(f"{server.name} {phase.name} replies: {phase.statuses}")
    if is_app:
        for pane in server.panes():
            want = load.last_sent.get(pane["pane_id"])
            if pane["last_event"] != want or pane["persona"] is None:
                run.problems.append(
                    f"{server.name}: pane {pane['pane_id']} shows {pane['last_event']}, "
                    f"its last event was {want}"
                )
    return run


def phase_rows(
    who: str, burst: Phase, steady: Phase, base: dict[str, Phase], rate: float, targets: bool
) -> list[Result]:
    """Rate and latency rows of one server and way in, against the baseline's HTTP phases."""

    def target(measured: float, limit: float, at_least: bool) -> tuple[str, bool | None]:
        if not targets:
            return "", None
        sign = ">=" if at_least else "<="
        return f"{sign} {limit:,.0f}", measured >= limit if at_least else measured <= limit

    rows = [
        Result(
            f"{who}: events stored/s, burst",
            burst.rate,
            "/s",
            *target(burst.rate, RATE_TARGET, True),
            base["burst"].rate,
            "baseline",
        )
    ]
    for label, phase, key in (("burst", burst, "burst"), (f"paced {rate:g}/s", steady, "paced")):
        for q, name in ((0.5, "p50"), (0.99, "p99")):
            checked = target(phase.ms(q), P99_TARGET_MS, False) if q == 0.99 else ("", None)
            rows.append(
                Result(
                    f"{who}: latency {name}, {label}",
                    phase.ms(q),
                    "ms",
                    *checked,
                    base[key].ms(q),
                    "baseline",
                )
            )
    return rows


def report(runs: dict[str, Run], args: argparse.Namespace) -> None:
    base = runs["baseline"].phases
    on_qt = runs["baseline on qasync"].phases["burst"]
    # The HTTP ceiling of the app's kind of loop: the same plain server on qasync.
    results = [
        Result(
            "baseline on qasync (QApplication), HTTP: events stored/s, burst",
            on_qt.rate,
            "/s",
            baseline=base["burst"].rate,
            baseline_name="baseline",
        )
    ]
    for name in ("app headless", "app with UI"):
        phases = runs[name].phases
        with_ui = name == "app with UI"
        results += phase_rows(
            f"{name}, HTTP", phases["burst"], phases["paced"], base, args.rate, with_ui
        )
        results += phase_rows(
            f"{name}, spool",
            phases["spool burst"],
            phases["spool paced"],
            base,
            args.rate,
            with_ui,
        )
    ui = runs["app with UI"]
    if "sustained" in ui.phases:
        mem = ui.memory
        results.append(Result("app with UI: RSS before the sustained load", mem["before"], "MiB"))
        for name in ("sustained", "sustained, keep-alive"):
            soak = ui.phases[name]
            growth = mem[f"{name}: growth"]
            results += [
                Result(f"app with UI, HTTP {name}: events stored/s", soak.rate, "/s"),
                Result(f"app with UI, HTTP {name}: latency p99", soak.ms(0.99), "ms"),
                Result(
                    f"app with UI, HTTP {name}: RSS growth, 2nd half",
                    growth,
                    "MiB",
                    f"<= {RSS_GROWTH_LIMIT_MB:g}",
                    growth <= RSS_GROWTH_LIMIT_MB,
                ),
                Result(f"app with UI, HTTP {name}: RSS at its end", mem[f"{name}: end"], "MiB"),
            ]
        results += [
            Result(f"app with UI: RSS {args.quiet_seconds:g} s later", mem["after quiet"], "MiB"),
            Result("app with UI: peak RSS (VmHWM)", mem["peak"], "MiB"),
        ]
    print_table(
        f"ingest: {args.events:,} events from {args.clients} clients (burst), "
        f"{args.rate:g}/s for {args.paced_seconds:g} s (paced), "
        f"{args.soak_seconds:g} s at full speed with a connection per event, then as long "
        "over kept-alive connections (sustained)",
        results,
    )
    if ui.timeline:
        print("\n  app with UI, RSS during the sustained loads and the quiet after (s: MiB)")
        step = max(1, len(ui.timeline) // 16)
        print("  " + "  ".join(f"{t:.0f}: {rss:.0f}" for t, rss in ui.timeline[::step]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="burst size (10,000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--panes", type=int, default=20, help="stand-in claude panes (20)")
    parser.add_argument("--rate", type=float, default=200.0, help="paced events/s (200)")
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    parser.add_argument("--soak-seconds", type=float, default=30.0)
    parser.add_argument("--quiet-seconds", type=float, default=10.0)
    args = parser.parse_args()
    print_machine()
    runs: dict[str, Run] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp, PrivateTmux() as tmux:
        root = Path(tmp)
        panes = claude_panes(tmux, args.panes, stand_in_claude(root))
        for name in ("baseline", "baseline on qasync", "app headless", "app with UI"):
            if name.startswith("baseline"):
                server = start_plain(root, on_qasync=name != "baseline")
            else:
                server = start_app(name, root, tmux, headless=name == "app headless")
            try:
                runs[name] = load_server(server, panes, args, soak=name == "app with UI")
            finally:
                server.stop()
    report(runs, args)
    problems = [p for run in runs.values() for p in run.problems]
    for problem in problems:
        print(f"BROKEN: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
