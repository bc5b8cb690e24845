"""The in-memory registry of Claude panes, with observers for every change."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from desktop.core.clock import SYSTEM_CLOCK, Clock
from desktop.core.model import PaneState, Status

PaneListener = Callable[[PaneState], None]
# Fills in what another service knows of a pane before it is stored (e.g. its session insight).
PaneEnricher = Callable[[PaneState], PaneState]
RemovedListener = Callable[[str], None]


class PaneRegistry:
    """Holds the current PaneState of every Claude pane and tells listeners what changed."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self._panes: dict[str, PaneState] = {}
        self._changed: list[PaneListener] = []
        self._removed: list[RemovedListener] = []
        self._enrichers: list[PaneEnricher] = []

    def subscribe(self, changed: PaneListener, removed: RemovedListener | None = None) -> None:
        self._changed.append(changed)
        if removed is not None:
            self._removed.append(removed)

    def add_enricher(self, enricher: PaneEnricher) -> None:
        """Have `enricher` complete every pane before it is stored and announced."""
        self._enrichers.append(enricher)

    def get(self, pane_id: str) -> PaneState | None:
        return self._panes.get(pane_id)

    def all(self) -> list[PaneState]:
        return sorted(self._panes.values(), key=_pane_sort_key)

    def by_persona(self, persona_id: int) -> list[PaneState]:
        """The panes showing a persona, in no particular order."""
        return [p for p in self._panes.values() if p.persona and p.persona.id == persona_id]

    def by_session(self, session_id: str) -> list[PaneState]:
        return [p for p in self._panes.values() if p.session_id == session_id]

    def put(self, pane: PaneState) -> PaneState:
        """Insert or replace a pane; listeners hear of it only when something changed."""
        for enrich in self._enrichers:
            pane = enrich(pane)
        if pane.status_elapsed is None:
            pane = dataclasses.replace(pane, status_elapsed=self._elapsed_at(pane))
        if self._panes.get(pane.pane_id) == pane:
            return pane
        self._panes[pane.pane_id] = pane
        for listener in self._changed:
            listener(pane)
        return pane

    def _elapsed_at(self, pane: PaneState) -> float:
        """Where a pane's status began on the elapsed clock: kept from the stored pane when
        the status is the same one, else its wall-clock age counted back from now."""
        known = self._panes.get(pane.pane_id)
        if (
            known is not None
            and known.status_elapsed is not None
            and (known.status, known.status_since) == (pane.status, pane.status_since)
        ):
            return known.status_elapsed
        age = (self.clock.wall() - pane.status_since).total_seconds()
        return self.clock.elapsed() - max(0.0, age)

    def update(self, pane_id: str, **changes: Any) -> PaneState | None:
        """Change some fields of a pane; a new status also restarts its clock."""
        pane = self._panes.get(pane_id)
        if pane is None:
            return None
        if "status" in changes and changes["status"] != pane.status:
            changes.setdefault("status_since", self.clock.wall())
            changes.setdefault("status_elapsed", self.clock.elapsed())
        return self.put(dataclasses.replace(pane, **changes))

    def remove(self, pane_id: str) -> None:
        if self._panes.pop(pane_id, None) is not None:
            for listener in self._removed:
                listener(pane_id)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {s.value: 0 for s in Status}
        for pane in self._panes.values():
            out[pane.status.value] += 1
        return out


def _pane_sort_key(pane: PaneState) -> tuple[str, int]:
    # tmux pane ids are %<n>: order numerically so the grid keeps creation order.
    digits = pane.pane_id.lstrip("%")
    return (pane.target.split(":")[0], int(digits) if digits.isdigit() else 0)
