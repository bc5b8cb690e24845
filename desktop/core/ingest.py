"""The hook-event handler: store the event, find or create its persona, bind its pane."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop.core.hooks.payload import IncomingEvent
from desktop.core.model import PaneState, PersonaInfo
from desktop.core.personas import PersonaService
from desktop.core.sessions import SessionTracker
from desktop.store.db import Database
from desktop.store.repos import EventRepo, PersonaRepo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    """What happened to one event."""

    stored: bool  # False: a duplicate of an event already stored (same dedupe key)
    persona: PersonaInfo | None
    persona_created: bool = False
    pane: PaneState | None = None


EventListener = Callable[[IncomingEvent, IngestResult], None]


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
        self.accepted = 0
        self.duplicates = 0

    def subscribe(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    def ingest(self, event: IncomingEvent) -> IngestResult:
        """Store and apply one event, exactly once per dedupe key."""
        with self.db.session() as s:
            stored = EventRepo(s).append_values(
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
            if not stored:
                self.duplicates += 1
                return IngestResult(False, None)
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
                persona, created = continued, False
            else:
                persona, created = self.personas.get_or_create_persona(s, event.session_id, cause)
            self.tracker.record_binding(s, event, persona)
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
