"""Export and import of the user's history: JSON lines of personas and the compact event log.

The file starts with a header line, then one line per persona (with every session id that
leads to it), then one line per event, oldest first. Import is idempotent: personas are
found by session id, events by their dedupe key, so importing a file twice (or a file
whose events are already stored) changes nothing. Progression (XP, challenges, badges) is
not exported: it follows from the log, and an import that added events rebuilds it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from desktop.core.personas import PersonaService
from desktop.core.progression.rebuild import rebuild
from desktop.store.db import Database
from desktop.store.migrations import SCHEMA_VERSION
from desktop.store.repos import EventRepo, PersonaRepo, sql_time, sql_time_value

log = logging.getLogger(__name__)

FORMAT = "claude-rpg-history"
FORMAT_VERSION = 1
_BATCH = 5000
_EVENT_FIELDS = (
    "dedupe_key",
    "event_name",
    "session_id",
    "pane_id",
    "claude_pid",
    "stamp",
    "received_at",
    "tool_name",
    "cwd",
    "record",
)

Progress = Callable[[str, int, int], None]


class ImportFileError(ValueError):
    """The file is not a claude-rpg history export; the message says what is wrong."""


@dataclass(frozen=True)
class ImportReport:
    """What an import added (what was there already is skipped)."""

    personas_added: int
    sessions_linked: int
    events_added: int
    events_known: int


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"


def export_lines(db: Database, progress: Progress | None = None) -> Iterator[str]:
    """The export, line by line (the log is read in batches, never all at once)."""
    with db.session() as s:
        total = EventRepo(s).count()
        repo = PersonaRepo(s)
        yield _line(
            {
                "kind": "header",
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "schema": SCHEMA_VERSION,
                "events": total,
            }
        )
        for persona in repo.all():
            assert persona.id is not None
            yield _line(
                {
                    "kind": "persona",
                    "session_id": persona.session_id,
                    "name": persona.name,
                    "created_at": sql_time(persona.created_at),
                    "sessions": [
                        {"session_id": link.session_id, "reason": link.reason}
                        for link in repo.session_links(persona.id)
                        if link.session_id != persona.session_id
                    ],
                }
            )
        done, after = 0, 0
        while True:
            rows = EventRepo(s).compact_rows(after, _BATCH)
            for row in rows:
                data = dict(zip(_EVENT_FIELDS, row[1:], strict=True))
                data["record"] = json.loads(data["record"] or "{}")
                yield _line({"kind": "event", **data})
            done += len(rows)
            if progress is not None:
                progress("exporting events", done, total)
            if len(rows) < _BATCH:
                return
            after = rows[-1][0]


def export_to(db: Database, path: Path, progress: Progress | None = None) -> int:
    """Write the export to `path` (readable by the user only); return the lines written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    count = 0
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for line in export_lines(db, progress):
            out.write(line)
            count += 1
    return count


def _records(source: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as e:
            raise ImportFileError(f"line {number} is not JSON ({e}); nothing after it read") from e
        if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
            raise ImportFileError(f"line {number} has no 'kind'; is this a claude-rpg export?")
        yield number, data


def _check_header(number: int, data: dict[str, Any]) -> None:
    if data.get("kind") != "header" or data.get("format") != FORMAT:
        raise ImportFileError(
            f"line {number} is not a claude-rpg history header; export the file with "
            "`claude-rpg export` and import that"
        )
    if not isinstance(data.get("version"), int) or data["version"] > FORMAT_VERSION:
        raise ImportFileError(
            f"the file is format version {data.get('version')!r}, newer than this claude-rpg "
            f"reads ({FORMAT_VERSION}); upgrade claude-rpg to import it"
        )


def _event_values(number: int, data: dict[str, Any]) -> dict[str, Any]:
    try:
        record = data.get("record") or {}
        values = {
            "dedupe_key": str(data["dedupe_key"]),
            "event_name": str(data["event_name"]),
            "session_id": str(data["session_id"]),
            "pane_id": data.get("pane_id"),
            "claude_pid": data.get("claude_pid"),
            "stamp": float(data["stamp"]),
            "tool_name": data.get("tool_name"),
            "cwd": data.get("cwd"),
            "record": json.dumps(record, separators=(",", ":")) if record else "{}",
        }
        received = data.get("received_at")
        if isinstance(received, str):
            values["received_at"] = sql_time_value(received)
    except (KeyError, TypeError, ValueError) as e:
        raise ImportFileError(f"line {number}: an event without a valid {e}") from e
    return values


def add_events(
    db: Database,
    rows: list[dict[str, Any]],
    personas: PersonaService | None = None,
    cause: str = "import",
) -> tuple[int, int]:
    """Store compact event rows (HookEvent column values) not stored yet, in one transaction.

    Each event's persona is found or made first, as the live path does; progression picks
    the new events up on its next catch-up (or a rebuild). Returns (added, already there).
    """
    personas = personas or PersonaService(db)
    added = known = 0
    with db.session() as s:
        for values in rows:
            personas.get_or_create_persona(s, values["session_id"], cause)
            if EventRepo(s).append_values_id(values) is None:
                known += 1
            else:
                added += 1
    return added, known


def import_from(
    db: Database, source: IO[str], progress: Progress | None = None, rebuild_after: bool = True
) -> ImportReport:
    """Add the personas and events of an export that are not stored yet.

    Events go in batches, one transaction each; a persona is made (as the app makes it,
    through PersonaService) before its first event. When anything was added, progression
    is rebuilt from the whole log, so the totals are what a live run would have given.
    """
    personas = PersonaService(db)
    records = _records(source)
    first = next(records, None)
    if first is None:
        raise ImportFileError("the file is empty; export with `claude-rpg export` first")
    _check_header(*first)
    total = int(first[1].get("events") or 0)
    added = linked = events_added = known = 0
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal events_added, known
        added_now, known_now = add_events(db, pending, personas)
        events_added += added_now
        known += known_now
        pending.clear()
        if progress is not None:
            progress("importing events", events_added + known, max(total, events_added + known))

    for number, data in records:
        kind = data["kind"]
        if kind == "persona":
            with db.session() as s:
                own = str(data.get("session_id") or "")
                if not own:
                    raise ImportFileError(f"line {number}: a persona without a session_id")
                persona, created = personas.get_or_create_persona(s, own, "import")
                added += created
                repo = PersonaRepo(s)
                for link in data.get("sessions") or []:
                    session_id = str(link.get("session_id") or "")
                    if session_id and repo.find_by_session(session_id) is None:
                        repo.link_session(session_id, persona.id, str(link.get("reason") or ""))
                        linked += 1
        elif kind == "event":
            pending.append(_event_values(number, data))
            if len(pending) >= _BATCH:
                flush()
        # Other kinds come from a newer export: skipped, the rest still imports.
    if pending:
        flush()
    if events_added and rebuild_after:
        rebuild(db)
    report = ImportReport(added, linked, events_added, known)
    log.info("import: %s", report)
    return report
