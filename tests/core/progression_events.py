"""Real hook payloads for the progression tests: the recorded 2.1.197 events, and replays."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

from desktop.core.history.record import compact
from desktop.core.hooks.payload import IncomingEvent
from desktop.core.ingest import EventIngest
from desktop.core.model import iso
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.core.progression.engine import EventRecord
from desktop.core.progression.service import ProgressionService
from desktop.core.progression.state import Memo
from desktop.core.sessions import SessionTracker
from desktop.store.db import Database
from desktop.store.repos import ChallengeRepo, PersonaRepo, ProgressionRepo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# The first recording covers sessions, permissions, /compact, /clear, a subagent, an API error;
# the second (tests/fixtures/record_progression_events.py) Write, Edit, a failing then passing
# test run and a git commit.
RECORDINGS = (
    FIXTURES / "claude-code-2.1.197-hook-events.jsonl",
    FIXTURES / "claude-code-2.1.197-progression-events.jsonl",
)
# Recorded `t` values count from 0; replays put them at a fixed instant (2023-11-14 22:13 UTC).
BASE_STAMP = 1_700_000_000.0


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def all_rows() -> Iterator[tuple[str, int, dict[str, Any]]]:
    for path in RECORDINGS:
        for i, row in enumerate(rows(path)):
            yield path.stem, i, row


def recorded(
    event_name: str, where: Callable[[dict[str, Any]], bool] | None = None, **changes: Any
) -> dict[str, Any]:
    """A copy of the first recorded payload of `event_name` matching `where`, with changes."""
    for _stem, _i, row in all_rows():
        payload = row["payload"]
        if payload["hook_event_name"] == event_name and (where is None or where(payload)):
            found: dict[str, Any] = copy.deepcopy(payload)
            found.update(changes)
            return found
    raise LookupError(f"no recorded {event_name} event matches")


def tool(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda payload: payload.get("tool_name") == name


def bash(command_part: str) -> Callable[[dict[str, Any]], bool]:
    def match(payload: dict[str, Any]) -> bool:
        command = (payload.get("tool_input") or {}).get("command", "")
        return payload.get("tool_name") == "Bash" and command_part in command

    return match


def record(payload: dict[str, Any], event_id: int, stamp: float = BASE_STAMP) -> EventRecord:
    name = payload["hook_event_name"]
    return EventRecord(event_id, name, payload["session_id"], stamp, compact(name, payload))


def incoming(stem: str, i: int, row: dict[str, Any]) -> IncomingEvent:
    """A recorded row as the listener hands it to ingest (its dedupe key names its origin)."""
    payload = row["payload"]
    return IncomingEvent(
        payload=payload,
        event_name=payload["hook_event_name"],
        session_id=payload["session_id"],
        dedupe_key=f"{stem}:{i}",
        stamp=BASE_STAMP + float(row["t"]),
        pane_id=row["tmux_pane"],
    )


def replay_all(ingest: EventIngest) -> int:
    """Ingest every recorded event, in recorded order; returns how many were stored."""
    return sum(ingest.ingest(incoming(stem, i, row)).stored for stem, i, row in all_rows())


class Core:
    """Database, ingest and (optionally) live progression, as CoreApp wires them."""

    def __init__(self, path: Path, live: bool = True, tz: tzinfo | None = UTC) -> None:
        self.db = Database(path)
        self.registry = PaneRegistry()
        self.personas = PersonaService(self.db)
        self.tracker = SessionTracker(self.db, self.registry)
        self.ingest = EventIngest(self.db, self.personas, self.tracker)
        self.progression = ProgressionService(self.db, self.personas, self.tracker, tz=tz)
        if live:
            self.ingest.add_writer(self.progression.store_batch)

    def snapshot(self, with_ids: bool = True) -> dict[int, dict[str, Any]]:
        """Everything progression wrote, per persona, in comparable form."""
        out: dict[int, dict[str, Any]] = {}
        with self.db.session() as s:
            repo = ProgressionRepo(s)
            for persona in PersonaRepo(s).all():
                assert persona.id is not None
                state = repo.state(persona.id)
                out[persona.id] = {
                    "xp": persona.xp,
                    "level": persona.level,
                    "ledger": [
                        (a.event_id, a.rule, a.amount, a.reason, iso(a.awarded_at))
                        for a in repo.ledger(persona.id, 100_000)
                    ],
                    "badges": [
                        (b.badge_key, b.event_id, iso(b.earned_at)) for b in repo.badges(persona.id)
                    ],
                    "challenges": [
                        (
                            c.id if with_ids else None,
                            c.kind,
                            c.title,
                            c.description,
                            c.target,
                            c.progress,
                            iso(c.completed_at),
                        )
                        for c in ChallengeRepo(s).for_persona(persona.id)
                    ],
                    # A persona no counted event reached may have no state row yet: same thing.
                    "memo": Memo.from_json(state.memo if state else "{}"),
                    "last_event_id": state.last_event_id if state else 0,
                }
        return out

    def close(self) -> None:
        self.db.close()
