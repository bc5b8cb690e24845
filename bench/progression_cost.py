"""What progression adds to each hook event, and how fast a rebuild and a catch-up run.

Two real SQLite databases in a temp dir, each with the app's ingest (store the event, find
or create the persona, bind the pane): `ingest` is the baseline, `ingest+progression` also
has the progression writer the app adds (its part of each ingest transaction). Every
recorded real event (tests/fixtures/*.jsonl) is ingested by both, `--rounds` times with
fresh dedupe keys (the same sessions going on, so the ledger and counters grow as in a long
day), one event at a time, the two rows in a shuffled order so machine load hits both alike.
Ratios compare rows of the same run.

Then: `rebuild` replays the progression database's whole log; `catch-up` applies the
baseline database's log, which progression never saw. Both are reported as events/s, and the
rebuilt totals are checked against the live ones.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from desktop.core.hooks.payload import IncomingEvent  # noqa: E402
from desktop.core.ingest import EventIngest  # noqa: E402
from desktop.core.panes import PaneRegistry  # noqa: E402
from desktop.core.personas import PersonaService  # noqa: E402
from desktop.core.progression.rebuild import rebuild  # noqa: E402
from desktop.core.progression.rules import RELEVANT_EVENTS  # noqa: E402
from desktop.core.progression.service import ProgressionService  # noqa: E402
from desktop.core.sessions import SessionTracker  # noqa: E402
from desktop.store.db import Database  # noqa: E402

FIXTURES = sorted((REPO / "tests" / "fixtures").glob("claude-code-*.jsonl"))
BASELINE = "ingest"
OURS = "ingest+progression"


class Row:
    """One database with its ingest, and the time each event took."""

    def __init__(self, name: str, path: Path, progression: bool) -> None:
        self.name = name
        self.db = Database(path)
        self.personas = PersonaService(self.db)
        self.tracker = SessionTracker(self.db, PaneRegistry())
        self.ingest = EventIngest(self.db, self.personas, self.tracker)
        self.progression = ProgressionService(self.db, self.personas, self.tracker, tz=UTC)
        if progression:
            self.ingest.add_writer(self.progression.store_batch)
        self.all: list[float] = []
        self.relevant: list[float] = []

    def run(self, event: IncomingEvent) -> None:
        start = time.perf_counter_ns()
        self.ingest.ingest(event)
        ms = (time.perf_counter_ns() - start) / 1e6
        self.all.append(ms)
        if event.event_name in RELEVANT_EVENTS:
            self.relevant.append(ms)

    def totals(self) -> dict[str, int]:
        return {p.session_id: p.xp for p in self.personas.all()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def events(rounds: int) -> list[IncomingEvent]:
    rows: list[dict[str, Any]] = []
    for path in FIXTURES:
        rows += [
            {"src": path.stem, "i": i, **json.loads(line)}
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines())
        ]
    out = []
    for r in range(rounds):
        for row in rows:
            payload = row["payload"]
            out.append(
                IncomingEvent(
                    payload=payload,
                    event_name=payload["hook_event_name"],
                    session_id=payload["session_id"],
                    dedupe_key=f"{row['src']}:{r}:{row['i']}",
                    stamp=1_700_000_000.0 + r * 3600 + float(row["t"]),
                    pane_id=row["tmux_pane"],
                )
            )
    return out


def report(label: str, base: list[float], ours: list[float]) -> None:
    print(f"\n{label} ({len(ours)} events)")
    print(f"  {'':<20} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, values in ((BASELINE, base), (OURS, ours)):
        mean = sum(values) / len(values)
        cells = [percentile(values, q) for q in (0.5, 0.9, 0.99)] + [mean]
        print(f"  {name:<20} " + " ".join(f"{c:>8.3f}" for c in cells))
    ratios = [percentile(ours, q) / percentile(base, q) for q in (0.5, 0.9, 0.99)]
    print(f"  {'ratio':<20} " + " ".join(f"{r:>8.2f}" for r in ratios))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="replays of the fixtures")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-progression-") as tmp:
        base = Row(BASELINE, Path(tmp) / "base.sqlite3", progression=False)
        ours = Row(OURS, Path(tmp) / "ours.sqlite3", progression=True)
        stream = events(args.rounds)
        for event in stream:
            pair = [base, ours]
            rng.shuffle(pair)
            for row in pair:
                row.run(event)
        report("every event", base.all, ours.all)
        report(
            f"only the {len(RELEVANT_EVENTS)} kinds progression reads", base.relevant, ours.relevant
        )

        live = ours.totals()
        start = time.perf_counter()
        result = rebuild(ours.db, tz=UTC)
        took = time.perf_counter() - start
        same = ours.totals() == live
        print(f"\nrebuild: {result.events} events in {took:.2f} s = {result.events / took:,.0f}/s")
        print(f"  totals equal to the live path: {same}")
        start = time.perf_counter()
        applied = base.progression.catch_up()
        took = time.perf_counter() - start
        print(f"catch-up: {applied} events in {took:.2f} s = {applied / took:,.0f}/s")
        print(f"  totals equal to the live path: {base.totals() == live}")
        for row in (base, ours):
            row.db.close()


if __name__ == "__main__":
    main()
