"""Personas' progression states kept in memory between ingest batches, checked against SQLite."""

from __future__ import annotations

from sqlmodel import Session

from desktop.core.progression.persistence import load_state
from desktop.core.progression.state import ProgressState
from desktop.store.repos import ProgressionRepo


class StateCache:
    """The states the live path last wrote, valid while no other connection has committed.

    Reading a persona's state costs four queries; under load most events belong to a persona
    whose state this process wrote a moment ago. SQLite's `PRAGMA data_version` on the
    writing connection changes exactly when another connection commits (a `progression
    rebuild` in another process, say), so a batch that sees it unchanged can trust what it
    wrote itself. Use: open() inside the batch's write transaction (after its lock), get()
    states, committed() once that transaction has committed. A batch that never reaches
    committed() (it rolled back) leaves the cache invalid, and the next open() drops it.
    """

    def __init__(self) -> None:
        self._states: dict[int, ProgressState] = {}
        self._valid_for: tuple[object, int] | None = None  # (connection, data_version)
        self._opened: tuple[object, int] | None = None
        self._touched: set[int] = set()

    def __len__(self) -> int:
        return len(self._states)

    def open(self, s: Session) -> None:
        """Start a batch in `s`'s write transaction; forget everything if it may be stale."""
        seen = ProgressionRepo(s).writer_version()
        valid = self._valid_for
        if valid is None or valid[0] is not seen[0] or valid[1] != seen[1]:
            self._states.clear()
        self._opened = seen
        self._valid_for = None  # until this batch is known to have committed
        self._touched.clear()

    def get(self, s: Session, persona_id: int) -> ProgressState | None:
        """The persona's state, as this batch changes it; None when the persona is gone."""
        state = self._states.get(persona_id)
        if state is None:
            state = load_state(s, persona_id)
            if state is not None:
                self._states[persona_id] = state
        self._touched.add(persona_id)
        return state

    def committed(self) -> None:
        """The batch's transaction committed: what it wrote is what the store holds."""
        self._valid_for, self._opened = self._opened, None
        for persona_id in self._touched:
            state = self._states[persona_id]
            # As load_state would read it: active challenges only (completed ones are stored).
            if any(not c.active for c in state.challenges):
                state.challenges = state.active_challenges()
        self._touched.clear()

    def clear(self) -> None:
        """Forget every state (another writer in this process changed progression)."""
        self._states.clear()
        self._valid_for = self._opened = None
