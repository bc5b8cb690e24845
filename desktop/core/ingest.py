"""The hook-event handler: store the event, find or create its persona, bind its pane."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from desktop.core.hooks.payload import IncomingEvent
from desktop.core.model import PaneState, PersonaInfo
from desktop.core.personas import PersonaService
from desktop.core.sessions import SessionTracker
from desktop.store.db import Database
from desktop.store.repos import EventRepo, PersonaRepo, ProgressionRepo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    """What happened to one event."""

    stored: bool  # False: a duplicate of an event already stored (same dedupe key)
    persona: PersonaInfo | None
    persona_created: bool = False
    pane: PaneState | None = None


@dataclass(frozen=True)
class StoredEvent:
    """An event written in the open batch transaction, with its persona and row id."""

    event: IncomingEvent
    persona: PersonaInfo
    event_id: int


EventListener = Callable[[IncomingEvent, IngestResult], None]
# Writes its part of a batch in the batch's transaction; returns what to do after the commit.
BatchWriter = Callable[[Session, list[StoredEvent]], Callable[[], None] | None]


def payload_text(payload: dict[str, Any]) -> str:
    """The payload as stored: compact JSON text that SQLite can hold."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (a \udXXX escape in the hook's JSON) is not UTF-8: keep it
            # escaped, which reads back as the very same payload.
            text = json.dumps(payload, separators=(",", ":"))
    return text


def settle(
    future: asyncio.Future[IngestResult],
    result: IngestResult | None = None,
    error: BaseException | None = None,
) -> None:
    """Hand a submitted event's result (or the error that kept it out) to its caller."""
    if future.done():  # the caller has gone (a cancelled request)
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert result is not None
        future.set_result(result)


class EventIngest:
    """Turns accepted hook events into stored rows and live state. Runs on the loop thread."""

    def __init__(
        self,
        db: Database,
        personas: PersonaService,
        tracker: SessionTracker,
        on_unknown_pane: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.personas = personas
        self.tracker = tracker
        self.on_unknown_pane = on_unknown_pane
        self._listeners: list[EventListener] = []
        self._writers: list[BatchWriter] = []
        self._waiting: list[tuple[IncomingEvent, asyncio.Future[IngestResult]]] = []
        self.accepted = 0
        self.duplicates = 0

    def subscribe(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    def add_writer(self, writer: BatchWriter) -> None:
        """Have `writer` store its part of each batch inside the batch's transaction."""
        self._writers.append(writer)

    def ingest(self, event: IncomingEvent) -> IngestResult:
        """Store and apply one event, exactly once per dedupe key."""
        return self.ingest_many([event])[0]

    async def submit(self, event: IncomingEvent) -> IngestResult:
        """ingest() for a caller that can wait: the events submitted within one loop turn
        (concurrent hook calls) are stored in one transaction, and each caller gets its
        result once that transaction has committed (group commit)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[IngestResult] = loop.create_future()
        self._waiting.append((event, future))
        if len(self._waiting) == 1:
            loop.call_soon(self._store_waiting)
        return await future

    def _store_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        try:
            results = self.ingest_many([event for event, _ in waiting])
        except Exception as e:
            if len(waiting) == 1:
                settle(waiting[0][1], error=e)
                return
            # One bad event must not fail the others: store them one by one instead.
            log.warning(
                "a batch of %d events failed (%s); storing them one by one", len(waiting), e
            )
            for event, future in waiting:
                try:
                    settle(future, self.ingest(event))
                except Exception as single:
                    settle(future, error=single)
            return
        for (_, future), result in zip(waiting, results, strict=True):
            settle(future, result)

    def ingest_many(self, events: Sequence[IncomingEvent]) -> list[IngestResult]:
        """Store and apply events in the given (stamp) order, one transaction per batch."""
        results: list[IngestResult] = []
        start = 0
        while start < len(events):
            end = self._batch_end(events, start)
            results.extend(self._ingest_batch(events[start:end]))
            start = end
        return results

    def _batch_end(self, events: Sequence[IncomingEvent], start: int) -> int:
        # Panes move on only after the commit: a pane's second session in the same batch
        # would be matched against the pane as it was, so it starts the next batch instead.
        sessions: dict[str, str] = {}
        for index in range(start, len(events)):
            event = events[index]
            pane = event.pane_id
            if pane is None:
                found = self.tracker.pane_for(event)
                pane = found.pane_id if found is not None else None
            if pane is None:
                continue
            if sessions.setdefault(pane, event.session_id) != event.session_id:
                return max(index, start + 1)
        return len(events)

    def _ingest_batch(self, events: Sequence[IncomingEvent]) -> list[IngestResult]:
        staged: list[tuple[IncomingEvent, PersonaInfo | None, bool]] = []
        stored: list[StoredEvent] = []
        after: list[Callable[[], None]] = []
        with self.db.session() as s:
            # The write lock first: progression reads state that no other writer may change
            # before this transaction writes it back.
            ProgressionRepo(s).lock_for_write()
            for event in events:
                event_id = EventRepo(s).append_values_id(
                    {
                        "dedupe_key": event.dedupe_key,
                        "event_name": event.event_name,
                        "session_id": event.session_id,
                        "pane_id": event.pane_id,
                        "claude_pid": event.claude_pid,
                        "stamp": event.stamp,
                        "payload": payload_text(event.payload),
                    }
                )
                if event_id is None:
                    staged.append((event, None, False))
                    continue
                persona, created = self._persona(s, event)
                self.tracker.record_binding(s, event, persona)
                staged.append((event, persona, created))
                stored.append(StoredEvent(event, persona, event_id))
            if stored:
                for writer in self._writers:
                    done = writer(s, stored)
                    if done is not None:
                        after.append(done)
        results = [self._apply(event, persona, created) for event, persona, created in staged]
        for done in after:
            try:
                done()
            except Exception:  # a broken writer's follow-up must not lose the others
                log.exception("batch writer follow-up failed")
        return results

    def _persona(self, s: Session, event: IncomingEvent) -> tuple[PersonaInfo, bool]:
        cause = f"{event.event_name} from pane {event.pane_id or '-'}"
        continued = self.tracker.continues_in_pane(event)
        if continued is not None and PersonaRepo(s).find_by_session(event.session_id) is None:
            # /clear (or a fork) in the same Claude process: the same persona goes on.
            PersonaRepo(s).link_session(event.session_id, continued.id, "continued")
            log.info(
                "session %s continues persona %s in pane %s (%s)",
                event.session_id,
                continued.id,
                event.pane_id,
                event.event_name,
            )
            return continued, False
        return self.personas.get_or_create_persona(s, event.session_id, cause)

    def _apply(
        self, event: IncomingEvent, persona: PersonaInfo | None, created: bool
    ) -> IngestResult:
        """The in-memory part of a committed event: its pane, then the listeners."""
        if persona is None:
            self.duplicates += 1
            return IngestResult(False, None)
        self.accepted += 1
        pane = self.tracker.apply_event(event, persona)
        if pane is None and event.pane_id and self.on_unknown_pane is not None:
            self.on_unknown_pane()
        result = IngestResult(True, persona, created, pane)
        for listener in self._listeners:
            try:
                listener(event, result)
            except Exception:  # a broken listener must not lose the event for the others
                log.exception("event listener failed")
        return result
