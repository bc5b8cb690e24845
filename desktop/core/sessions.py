"""Pane <-> session <-> persona binding: the poller finds panes, hook events name them."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from desktop.core.committed import CommittedMap
from desktop.core.fusion import PaneSignals, fuse
from desktop.core.hooks.payload import IncomingEvent
from desktop.core.model import PaneState, PersonaInfo, Status
from desktop.core.panes import PaneRegistry
from desktop.core.status import HookState, apply_hook
from desktop.core.tmux.poller import DetectedPane, PollResult
from desktop.core.tmux.procs import read_proc
from desktop.store.db import Database
from desktop.store.models import PaneBinding
from desktop.store.repos import BindingRepo

log = logging.getLogger(__name__)

# An ended pane stays on the grid this long so the person sees that it ended.
ENDED_GRACE_SECONDS = 30.0


@dataclass(frozen=True)
class Binding:
    """A stored pane binding, as the tracker remembers it between polls."""

    pane_id: str
    session_id: str
    persona: PersonaInfo
    pane_pid: int | None
    claude_pid: int | None
    claude_start_ticks: int | None
    fresh: bool = False  # made by a hook event in this run, not loaded from the store
    stamp: float = 0.0  # stamp of the event that made it (0: loaded from the store)

    def matches(self, pane: DetectedPane) -> bool:
        """Is the pane still running the very Claude process this binding was made for?"""
        if self.claude_pid is not None and pane.claude_pid is not None:
            return (
                self.claude_pid == pane.claude_pid
                and self.claude_start_ticks == pane.claude_start_ticks
            )
        if self.pane_pid is not None:
            # Without /proc we only know the pane's root process; it is the best we have.
            return self.pane_pid == pane.raw.pane_pid
        # A hook named this pane before the poller saw it, and sent no pid: trust it in this
        # run only (tmux reuses pane ids after a server restart).
        return self.fresh


PersonaLookup = Callable[[str], PersonaInfo | None]


class SessionTracker:
    """Keeps the pane registry in step with tmux polls and hook events, and fuses the status."""

    def __init__(
        self,
        db: Database,
        registry: PaneRegistry,
        proc_root: str = "/proc",
        ended_grace: float = ENDED_GRACE_SECONDS,
        find_persona: PersonaLookup | None = None,
    ) -> None:
        self.db = db
        self.registry = registry
        self.proc_root = proc_root
        self.ended_grace = ended_grace
        self.find_persona = find_persona
        self.tmux_problem: str | None = None
        # Bindings stored in the open transaction are remembered once it commits and dropped
        # if it rolls back (the tracker must not know a binding the database never got).
        self._bound: CommittedMap[str, Binding] = CommittedMap("pane bindings")
        self._bindings = self._bound.committed
        self._ended_at: dict[str, float] = {}
        # Hook state per session, so a pane the poller finds after its first events shows it.
        self._hooks: dict[str, HookState] = {}
        # Live readings per pane (title, session file, screen), reset with each new process.
        self._signals: dict[str, PaneSignals] = {}
        self._unknown_sessions: set[str] = set()

    def load_bindings(self, personas: dict[int, PersonaInfo]) -> None:
        """Read stored bindings so panes still running their Claude get their persona back."""
        with self.db.session() as s:
            for row in BindingRepo(s).all():
                persona = personas.get(row.persona_id)
                if persona is None:
                    continue
                self._bindings[row.pane_id] = Binding(
                    row.pane_id,
                    row.session_id,
                    persona,
                    row.pane_pid,
                    row.claude_pid,
                    row.claude_start_ticks,
                )
        log.info("loaded %d stored pane bindings", len(self._bindings))

    # --- tmux side -------------------------------------------------------------------------

    def apply_poll(self, result: PollResult) -> None:
        """Add new Claude panes (awaiting identity unless a binding matches), mark gone ones."""
        self.tmux_problem = result.problem
        seen: set[str] = set()
        for det in result.panes:
            seen.add(det.raw.pane_id)
            self._apply_detected(det)
            self._observe(det, result.observed_at)
        now = time.monotonic()
        for pane in self.registry.all():
            if pane.pane_id in seen:
                continue
            if pane.alive:
                self._ended_at[pane.pane_id] = now
                self.registry.update(
                    pane.pane_id, alive=False, status=Status.ENDED, status_detail="Claude exited"
                )
                log.info("pane %s: Claude is gone", pane.pane_id)
            elif now - self._ended_at.get(pane.pane_id, now) >= self.ended_grace:
                self._ended_at.pop(pane.pane_id, None)
                self._signals.pop(pane.pane_id, None)
                self.registry.remove(pane.pane_id)

    def _apply_detected(self, det: DetectedPane) -> None:
        raw = det.raw
        current = self.registry.get(raw.pane_id)
        fields = dict(
            target=raw.target, cwd=raw.current_path, title=raw.title, pane_pid=raw.pane_pid
        )
        if current is not None and current.alive and self._same_process(current, det):
            self.registry.update(raw.pane_id, **fields)
            return
        # A new pane, or a new Claude process in a known pane: its identity comes from
        # a stored binding for this very process, or else from the next hook event.
        binding = self._bindings.get(raw.pane_id)
        if binding is not None and not binding.matches(det):
            binding = None
        self._ended_at.pop(raw.pane_id, None)
        self._signals[raw.pane_id] = PaneSignals()
        hook = self._hooks.get(binding.session_id, HookState()) if binding else HookState()
        self.registry.put(
            PaneState(
                pane_id=raw.pane_id,
                claude_pid=det.claude_pid,
                claude_start_ticks=det.claude_start_ticks,
                status=hook.status,
                status_detail=hook.detail,
                last_event=hook.event_name or None,
                session_id=binding.session_id if binding else None,
                persona=binding.persona if binding else None,
                **fields,  # type: ignore[arg-type]
            )
        )
        if binding is not None:
            log.info(
                "pane %s: restored persona %s (session %s) from its stored binding",
                raw.pane_id,
                binding.persona.id,
                binding.session_id,
            )
        else:
            log.info("pane %s (%s): Claude found, awaiting identity", raw.pane_id, raw.target)

    def _observe(self, det: DetectedPane, observed_at: float) -> None:
        """Fold this tick's title, session file and screen into the pane's status."""
        pane_id = det.raw.pane_id
        signals = self._signals.setdefault(pane_id, PaneSignals())
        reading = signals.observe(det.glyph, det.session_file, det.screen, observed_at)
        pane = self.registry.get(pane_id)
        if pane is not None and pane.persona is None and reading and reading.session_id:
            self._adopt(pane, reading.session_id, det)
        self._refresh(pane_id, observed_at)

    def _adopt(self, pane: PaneState, session_id: str, det: DetectedPane) -> None:
        """A pane no hook has named yet, whose session file names a session we know."""
        if self.find_persona is None or session_id in self._unknown_sessions:
            return
        persona = self.find_persona(session_id)
        if persona is None:
            # Only hook events create personas; until one comes, do not ask again every tick.
            self._unknown_sessions.add(session_id)
            return
        self._bindings[pane.pane_id] = Binding(
            pane.pane_id,
            session_id,
            persona,
            pane.pane_pid,
            det.claude_pid,
            det.claude_start_ticks,
            fresh=True,
        )
        self.registry.update(pane.pane_id, persona=persona, session_id=session_id)
        log.info(
            "pane %s: persona %s found through its session file (session %s)",
            pane.pane_id,
            persona.id,
            session_id,
        )

    def _fused(self, pane: PaneState, session_id: str | None, now: float) -> dict[str, object]:
        """The status fields to show: hooks first, repaired by newer live readings."""
        if not pane.alive:
            return {}  # a gone process stays ended whatever late events say
        hook = self._hooks.get(session_id, HookState()) if session_id else HookState()
        signals = self._signals.get(pane.pane_id)
        change = fuse(hook, signals.reading if signals else None, now)
        return {"status": change.status, "status_detail": change.detail}

    def _refresh(self, pane_id: str, now: float | None = None) -> None:
        pane = self.registry.get(pane_id)
        if pane is None:
            return
        fused = self._fused(pane, pane.session_id, now or time.time())
        if fused and (fused["status"], fused["status_detail"]) != (
            pane.status,
            pane.status_detail,
        ):
            self.registry.update(pane_id, **fused)

    @staticmethod
    def _same_process(pane: PaneState, det: DetectedPane) -> bool:
        if pane.claude_pid is None or det.claude_pid is None:
            return pane.pane_pid == det.raw.pane_pid
        return (pane.claude_pid, pane.claude_start_ticks) == (
            det.claude_pid,
            det.claude_start_ticks,
        )

    # --- hook side -------------------------------------------------------------------------

    def pane_for(self, event: IncomingEvent) -> PaneState | None:
        """The pane an event comes from: its $TMUX_PANE, else the pane running its claude pid.

        None when the pane id now runs another claude: a restarted tmux server reuses pane
        ids, and a late event of the claude that ran there before must not name the new one.
        """
        if event.pane_id:
            pane = self.registry.get(event.pane_id)
            if (
                pane is not None
                and event.claude_pid is not None
                and pane.claude_pid is not None
                and pane.claude_pid != event.claude_pid
            ):
                return None
            return pane
        if event.claude_pid is not None:
            for pane in self.registry.all():
                if pane.claude_pid == event.claude_pid and pane.alive:
                    return pane
        return None

    def continues_in_pane(self, event: IncomingEvent) -> PersonaInfo | None:
        """The persona a new session id continues: same Claude process, same pane (/clear)."""
        pane = self.pane_for(event)
        if pane is None or pane.persona is None or pane.session_id == event.session_id:
            return None
        same_process = (event.claude_pid is not None and pane.claude_pid == event.claude_pid) or (
            event.event_name == "SessionStart" and event.text("source") == "clear"
        )
        return pane.persona if same_process and pane.alive else None

    def record_binding(self, s: Session, event: IncomingEvent, persona: PersonaInfo) -> bool:
        """Store the pane binding an event implies (inside the ingest transaction)."""
        pane_id = event.pane_id or (p.pane_id if (p := self.pane_for(event)) else None)
        if pane_id is None:
            return False
        known = self._bound.get(pane_id, s)
        if known is not None and known.session_id == event.session_id:
            return False
        if known is not None and event.stamp < known.stamp:
            # A late event of the session this pane ran before (/clear's SessionEnd, say).
            return False
        pane = self.registry.get(pane_id)
        claude_pid = event.claude_pid or (pane.claude_pid if pane else None)
        proc = read_proc(claude_pid, self.proc_root) if claude_pid else None
        binding = Binding(
            pane_id=pane_id,
            session_id=event.session_id,
            persona=persona,
            pane_pid=pane.pane_pid if pane else None,
            claude_pid=claude_pid,
            claude_start_ticks=proc.start_ticks if proc else None,
            fresh=True,
            stamp=event.stamp,
        )
        BindingRepo(s).upsert(
            PaneBinding(
                pane_id=pane_id,
                session_id=event.session_id,
                persona_id=persona.id,
                pane_pid=binding.pane_pid,
                claude_pid=binding.claude_pid,
                claude_start_ticks=binding.claude_start_ticks,
                event_name=event.event_name,
            )
        )
        self._bound.put(s, pane_id, binding)
        log.info(
            "pane %s bound to persona %s (session %s) by %s",
            pane_id,
            persona.id,
            event.session_id,
            event.event_name,
        )
        return True

    def binding(self, pane_id: str) -> Binding | None:
        """The committed binding the tracker knows for a pane, if any."""
        return self._bindings.get(pane_id)

    def apply_status(self, event: IncomingEvent) -> None:
        """Apply what an event says to its session's hook status (in stamp order)."""
        state = self._hooks.get(event.session_id, HookState())
        newer = apply_hook(state, event)
        if newer is not None:
            self._hooks[event.session_id] = newer

    def show_event(self, event: IncomingEvent, persona: PersonaInfo) -> PaneState | None:
        """Show an applied event on its pane: its persona and the fused status."""
        pane = self.pane_for(event)
        if pane is None:
            return None
        binding = self._bindings.get(pane.pane_id)
        if (
            pane.session_id not in (None, event.session_id)
            and binding is not None
            and event.stamp < binding.stamp
        ):
            return pane  # the pane has moved on to a newer session
        changes: dict[str, object] = {"persona": persona, "session_id": event.session_id}
        if event.stamp >= self.hook_state(event.session_id).stamp:
            changes["last_event"] = event.event_name
        # One update: listeners never see the new session with the old status.
        changes.update(self._fused(pane, event.session_id, time.time()))
        return self.registry.update(pane.pane_id, **changes)

    def session_status(self, session_id: str) -> Status | None:
        """The last status hook events gave a session, pane or not."""
        known = self._hooks.get(session_id)
        return known.status if known else None

    def hook_state(self, session_id: str) -> HookState:
        """What hook events said about a session (UNKNOWN when none came)."""
        return self._hooks.get(session_id, HookState())

    def refresh_persona(self, persona: PersonaInfo) -> None:
        """A persona changed (XP, level): show it on every pane it is bound to."""
        for pane in self.registry.by_persona(persona.id):
            self.registry.update(pane.pane_id, persona=persona)
        for pane_id, binding in list(self._bindings.items()):
            if binding.persona.id == persona.id:
                self._bindings[pane_id] = dataclasses.replace(binding, persona=persona)
