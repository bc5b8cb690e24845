"""The hook-event path, read top to bottom: resolve identity, store, apply status, fuse, publish.

Each accepted event goes through these steps once, in this order (`_ingest_batch`):

1. resolve identity: the persona its session leads to (made on first sight, or the pane's
   persona continued after /clear) and the pane binding it implies;
2. store: its compact record (desktop/core/history/record.py) in the event log, then the
   batch writers (progression) in the same transaction; a known dedupe key stops here;
3. apply status: after the commit, what the event says about its session (core/status.py);
4. fuse: the session's hook status with the pane's live readings, shown on the pane;
5. publish: the listeners (UI bridge, notifications) and the writers' follow-ups.

The full payload stays in memory for steps 3-5; only the compact record is stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from desktop.core.history.record import EventFacts, compact
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
    """An event written in the open batch transaction: its persona, row id and stored facts."""

    event: IncomingEvent
    persona: PersonaInfo
    event_id: int
    facts: EventFacts


EventListener = Callable[[IncomingEvent, IngestResult], None]
# Writes its part of a batch in the batch's transaction; returns what to do after the commit.
BatchWriter = Callable[[Session, list[StoredEvent]], Callable[[], None] | None]


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

    def is_stored(self, dedupe_key: str) -> bool:
        """Whether the event with this id is stored already."""
        with self.db.session() as s:
            return ProgressionRepo(s).event_id(dedupe_key) is not None

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
        with self.db.session() as s:
            # The write lock first: progression reads state that no other writer may change
            # before this transaction writes it back.
            ProgressionRepo(s).lock_for_write()
            for event in events:
                persona, created = self._resolve_identity(s, event)
                facts = compact(event.event_name, event.payload)
                event_id = self._store(s, event, facts)
                if event_id is None:  # a duplicate: stored before, applied before
                    staged.append((event, None, False))
                    continue
                staged.append((event, persona, created))
                stored.append(StoredEvent(event, persona, event_id, facts))
            writers = self._writers if stored else []
            after = [done for writer in writers if (done := writer(s, stored)) is not None]
        results = []
        for event, known, created in staged:
            if known is None:
                self.duplicates += 1
                results.append(IngestResult(False, None))
                continue
            self.accepted += 1
            self.tracker.apply_status(event)
            pane = self._fuse(event, known)
            result = IngestResult(True, known, created, pane)
            self._publish(event, result)
            results.append(result)
        for done in after:
            try:
                done()
            except Exception:  # a broken writer's follow-up must not lose the others
                log.exception("batch writer follow-up failed")
        return results

    def _resolve_identity(self, s: Session, event: IncomingEvent) -> tuple[PersonaInfo, bool]:
        """The event's persona (and whether it was made now), with its pane bound to it."""
        persona, created = self._persona(s, event)
        self.tracker.record_binding(s, event, persona)
        return persona, created

    @staticmethod
    def _store(s: Session, event: IncomingEvent, facts: EventFacts) -> int | None:
        """Append the compact row; its id, or None when the dedupe key is known."""
        return EventRepo(s).append_values_id(
            {
                "dedupe_key": event.dedupe_key,
                "event_name": event.event_name,
                "session_id": event.session_id,
                "pane_id": event.pane_id,
                "claude_pid": event.claude_pid,
                "stamp": event.stamp,
                "tool_name": facts.tool_name or None,
                "cwd": facts.cwd or None,
                "record": facts.record_json(),
            }
        )

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

    def _fuse(self, event: IncomingEvent, persona: PersonaInfo) -> PaneState | None:
        """Show the session's fused status on the event's pane (None: no pane known yet)."""
        pane = self.tracker.show_event(event, persona)
        if pane is None and event.pane_id and self.on_unknown_pane is not None:
            self.on_unknown_pane()
        return pane

    def _publish(self, event: IncomingEvent, result: IngestResult) -> None:
        for listener in self._listeners:
            try:
                listener(event, result)
            except Exception:  # a broken listener must not lose the event for the others
                log.exception("event listener failed")
