"""Live session insight: reads transcripts after hook events, stores usage, shows context.

Hook events name each session's transcript (`transcript_path`, and `agent_transcript_path`
for subagents). After the events that follow an API reply, the session's transcripts are
read from where the last read stopped, on a worker thread; the replies found are stored on
the loop thread (the only SQLite writer), and the panes of the session get their model and
context. Bursts of events are coalesced into one read per session.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.core.hooks.payload import IncomingEvent
from desktop.core.ingest import IngestResult
from desktop.core.model import PaneState
from desktop.core.panes import PaneRegistry
from desktop.core.usage.context import ContextUse, SessionInsight, window_for
from desktop.core.usage.prices import Price
from desktop.core.usage.status_reader import PlanLimits, ScanState, StatusScan, scan
from desktop.core.usage.transcript import (
    Cursor,
    ReadResult,
    config_dirs,
    inside,
    read_new,
    subagent_files,
)
from desktop.core.usage.views import PersonaUsage, UsageDay, day_usage, persona_usage, since_days
from desktop.store.db import Database
from desktop.store.usage_repo import CursorRow, ReplyRow, SessionRow, UsageRepo

log = logging.getLogger(__name__)

# Events after which the transcript has new replies (or a compaction) worth reading.
READ_AFTER = frozenset(
    {
        "SessionStart",
        "UserPromptSubmit",
        "PostToolUse",
        "PostToolUseFailure",
        "PostToolBatch",
        "Stop",
        "StopFailure",
        "SubagentStop",
        "PreCompact",
        "PostCompact",
        "SessionEnd",
    }
)
# Events that come in bursts wait this long, so one read serves the whole burst.
READ_DELAY = 0.25
# Claude writes the end of a turn (its turn_duration line) just after the Stop hook: the
# events that end something are read once more a little later.
FOLLOW_UP = frozenset({"Stop", "StopFailure", "SubagentStop", "PostCompact", "SessionEnd"})
FOLLOW_UP_DELAY = 1.0

UsageListener = Callable[[frozenset[str]], None]


@dataclass
class _Session:
    """What the app holds in memory of one session."""

    session_model: str = ""  # as the hooks name it: `claude-opus-4-8[1m]`
    model: str = ""  # of the last main-thread reply
    context_tokens: int = 0
    context_ts: float = 0.0
    compacting: bool = False
    seen: bool = False  # a reply or a reading exists (else no context to show)
    status_window: int | None = None  # Claude's own context_window_size (status line)

    def row(self, session_id: str) -> SessionRow:
        return SessionRow(
            session_id, self.session_model, self.model, self.context_tokens, self.context_ts
        )


@dataclass
class ReadCounters:
    """What reading transcripts ran into, for /api/health."""

    reads: int = 0
    malformed_lines: int = 0
    restarts: int = 0
    malformed_status: int = 0
    errors: int = 0
    last_error: str | None = None
    ignored: set[str] = field(default_factory=set)

    def to_json(self, files: int) -> dict[str, Any]:
        return {
            "transcripts": files,
            "reads": self.reads,
            "malformed_lines": self.malformed_lines,
            "restarts": self.restarts,
            "malformed_status_files": self.malformed_status,
            "read_errors": self.errors,
            "last_error": self.last_error,
            "ignored_paths": len(self.ignored),
        }


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def read_all(cursors: Iterable[Cursor], known: frozenset[str]) -> list[ReadResult]:
    """Read each cursor's file from where it stopped; a main transcript brings its subagents.

    Runs on the reader thread."""
    results: list[ReadResult] = []
    for cursor in cursors:
        results.append(read_new(cursor))
        if cursor.sidechain:
            continue
        for path in subagent_files(cursor.path):
            if path not in known:
                results.append(read_new(Cursor(path, cursor.session_id, sidechain=True)))
    return results


class UsageService:
    """Transcript cursors, per-session model and context, and the usage reads for the API."""

    def __init__(
        self,
        db: Database,
        registry: PaneRegistry | None = None,
        roots: tuple[Path, ...] | None = None,
        delay: float = READ_DELAY,
        follow_up_delay: float = FOLLOW_UP_DELAY,
        status_folder: Path | None = None,
    ) -> None:
        self.db = db
        self.registry = registry
        self.roots = roots if roots is not None else config_dirs()
        self.delay = delay
        self.follow_up_delay = follow_up_delay
        self.prices: Mapping[str, Price] = {}
        self.counters = ReadCounters()
        # What the status-line snippet keeps (Claude's own figures, the plan limits).
        self.status_folder = status_folder
        self.limits: PlanLimits | None = None
        self._status_state = ScanState()
        self._cursors: dict[str, Cursor] = {}
        self._sessions: dict[str, _Session] = {}
        self._insights: dict[str, SessionInsight] = {}
        self._dirty: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._listeners: list[UsageListener] = []
        if registry is not None:
            registry.add_enricher(self._enrich)

    def subscribe(self, listener: UsageListener) -> None:
        """Call listener(session ids) after stored usage changed."""
        self._listeners.append(listener)

    # --- state ---------------------------------------------------------------------------

    def load(self) -> None:
        """Read the stored cursors and sessions (at start): reading goes on where it stopped."""
        with self.db.session() as s:
            repo = UsageRepo(s)
            for row in repo.cursors():
                self._cursors[row.path] = Cursor(*row)
            for srow in repo.sessions():
                self._sessions[srow.session_id] = _Session(
                    srow.session_model,
                    srow.model,
                    srow.context_tokens,
                    srow.context_ts,
                    seen=bool(srow.model),
                )
        for session_id in self._sessions:
            self._insights[session_id] = self._insight(session_id)

    def insight(self, session_id: str) -> SessionInsight | None:
        return self._insights.get(session_id)

    def _insight(self, session_id: str) -> SessionInsight:
        state = self._sessions.get(session_id) or _Session()
        model = state.model or state.session_model
        # Claude's own figure first (status line); else the hooks' model name carries the 1M
        # marker (the replies' model name never does).
        window = state.status_window or window_for(state.session_model or model)
        context = ContextUse(state.context_tokens, window) if state.seen else None
        return SessionInsight(session_id, model, context, state.compacting)

    def _enrich(self, pane: PaneState) -> PaneState:
        sid = pane.session_id
        insight = self._insights.get(sid) if sid is not None else None
        if insight is None or pane.insight is insight:
            return pane
        return dataclasses.replace(pane, insight=insight)

    def _publish(self, session_ids: Iterable[str], force: bool = False) -> None:
        changed: set[str] = set()
        for sid in session_ids:
            insight = self._insight(sid)
            if self._insights.get(sid) == insight:
                continue
            self._insights[sid] = insight
            changed.add(sid)
            if self.registry is not None:
                for pane in self.registry.by_session(sid):
                    self.registry.update(pane.pane_id, insight=insight)
        if not changed and not force:
            return
        for listener in self._listeners:
            try:
                listener(frozenset(changed))
            except Exception:  # one broken listener must not starve the others
                log.exception("usage listener failed")

    # --- events --------------------------------------------------------------------------

    def on_event(self, event: IncomingEvent, result: IngestResult) -> None:
        """The ingest listener: note the session's transcripts and read them soon."""
        if not result.stored:
            return
        sid = event.session_id
        payload = event.payload
        self._track(sid, payload.get("transcript_path"), sidechain=False)
        self._track(sid, payload.get("agent_transcript_path"), sidechain=True)
        name = event.event_name
        state = self._sessions.get(sid)
        if name == "SessionStart" and isinstance(payload.get("model"), str):
            state = self._sessions.setdefault(sid, _Session())
            state.session_model = payload["model"]
        if name in ("PreCompact", "PostCompact"):
            state = self._sessions.setdefault(sid, _Session())
            state.compacting = name == "PreCompact"
            self._publish([sid])
        if name in READ_AFTER:
            self.schedule(sid)
        if name in FOLLOW_UP and (loop := _running_loop()) is not None:
            loop.call_later(self.follow_up_delay, self.schedule, sid)

    def _track(self, session_id: str, path: Any, sidechain: bool) -> None:
        if not isinstance(path, str) or not path or path in self._cursors:
            return
        if path in self.counters.ignored:
            return
        if not inside(path, self.roots):
            self.counters.ignored.add(path)
            log.warning(
                "session %s names a transcript outside the Claude config dir (%s): %s;"
                " its usage is not read (set CLAUDE_CONFIG_DIR for the app if Claude uses"
                " another one)",
                session_id,
                ", ".join(str(r) for r in self.roots),
                path[:300],
            )
            return
        self._cursors[path] = Cursor(path, session_id, sidechain)

    def schedule(self, session_id: str) -> None:
        """Read the session's transcripts soon, with whatever else is due by then."""
        self._dirty.add(session_id)
        loop = _running_loop()
        # Without a running loop (events stored by a command-line tool) the reads wait for
        # the next schedule on the loop; nothing is lost, the cursors stay where they were.
        if self._task is None and loop is not None:
            self._task = loop.create_task(self._drain())

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._dirty:
                await asyncio.sleep(self.delay)
                due, self._dirty = self._dirty, set()
                cursors = [c for c in self._cursors.values() if c.session_id in due]
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(1, thread_name_prefix="transcripts")
                if self.status_folder is not None:
                    found = await loop.run_in_executor(
                        self._executor, scan, self.status_folder, self._status_state
                    )
                    self.apply_status(found)
                if cursors:
                    known = frozenset(self._cursors)
                    results = await loop.run_in_executor(self._executor, read_all, cursors, known)
                    self.apply(results)
        except Exception:
            log.exception("reading transcripts failed; the next event tries again")
        finally:
            self._task = None

    async def settle(self) -> None:
        """Wait until every scheduled read is stored (for shutdown and tests)."""
        while self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    # --- storing (the loop thread) -------------------------------------------------------

    def apply(self, results: Iterable[ReadResult]) -> None:
        """Store what reads found, in one transaction, then show it on the panes."""
        touched: set[str] = set()
        c = self.counters
        with self.db.session() as s:
            repo = UsageRepo(s)
            for r in results:
                cursor = r.cursor
                sid = cursor.session_id
                c.reads += 1
                c.malformed_lines += r.malformed
                c.restarts += r.restarted
                if r.error is not None:
                    c.errors += 1
                    c.last_error = r.error
                    log.warning("%s; trying again after the next event", r.error)
                if r.malformed:
                    log.info("%s: skipped %d malformed lines", cursor.path, r.malformed)
                self._cursors[cursor.path] = cursor
                repo.save_cursor(CursorRow(*dataclasses.astuple(cursor)))
                if r.replies:
                    repo.upsert_replies(
                        ReplyRow(
                            sid,
                            u.key,
                            u.timestamp,
                            u.model,
                            u.sidechain,
                            u.agent_id,
                            u.input_tokens,
                            u.output_tokens,
                            u.cache_read_tokens,
                            u.cache_creation_tokens,
                        )
                        for u in r.replies
                    )
                if r.turns:
                    repo.add_turns(sid, ((t.uuid, t.timestamp) for t in r.turns))
                main = [u for u in r.replies if not u.sidechain]
                if not main and not r.compacted:
                    if r.replies or r.turns:
                        touched.add(sid)
                    continue
                state = self._sessions.setdefault(sid, _Session())
                if main:
                    last = main[-1]
                    state.model = last.model or state.model
                    state.context_tokens = last.context_tokens
                    state.context_ts = last.timestamp
                if r.compacted:
                    # The summary replaced the conversation; the next reply tells its size.
                    state.context_tokens = 0
                state.seen = True
                repo.save_session(state.row(sid))
                touched.add(sid)
        self._publish(touched)

    def apply_status(self, found: StatusScan) -> None:
        """Take Claude's own figures from the status line: window size, model, plan limits."""
        self.counters.malformed_status += found.malformed
        touched: set[str] = set()
        limits_before = self.limits
        for reading in found.readings:
            if reading.limits is not None and (
                self.limits is None or reading.limits.seen_at >= self.limits.seen_at
            ):
                self.limits = reading.limits
            state = self._sessions.setdefault(reading.session_id, _Session())
            if reading.window_tokens and reading.window_tokens != state.status_window:
                state.status_window = reading.window_tokens
                touched.add(reading.session_id)
            if reading.model_id and reading.model_id != state.session_model:
                state.session_model = reading.model_id
                touched.add(reading.session_id)
        self._publish(touched, force=self.limits != limits_before)

    # --- reads for the API and the UI ----------------------------------------------------

    def persona_usage(self, persona_id: int) -> PersonaUsage:
        with self.db.session() as s:
            repo = UsageRepo(s)
            sums = repo.persona_sums(persona_id)
            turns, subagents = repo.persona_counts(persona_id)
        return persona_usage(sums, turns, subagents, self.prices)

    def days(self, count: int, persona_id: int | None = None) -> list[UsageDay]:
        """Usage per local day for the last `count` days (today last), days without use too."""
        since, names = since_days(count)
        with self.db.session() as s:
            repo = UsageRepo(s)
            sums = repo.days(since) if persona_id is None else repo.persona_days(persona_id, since)
            turns = repo.turn_days(since, persona_id)
        return day_usage(names, sums, turns, self.prices)

    def today_cost(self) -> float:
        return self.days(1)[0].cost_usd

    def health(self) -> dict[str, Any]:
        return self.counters.to_json(len(self._cursors))

    # --- rebuild -------------------------------------------------------------------------

    def rebuild(self) -> tuple[int, int]:
        """Forget every reading and read every known transcript again from its start.

        For `claude-rpg usage rebuild` (app stopped); returns how many files were read and
        how many named files do not exist."""
        self.load()
        with self.db.session() as s:
            UsageRepo(s).clear_readings()
        for state in self._sessions.values():
            state.model, state.context_tokens, state.context_ts, state.seen = "", 0, 0.0, False
        fresh = [Cursor(c.path, c.session_id, c.sidechain) for c in self._cursors.values()]
        results = read_all(fresh, frozenset(self._cursors))
        self.apply(results)
        missing = sum(r.missing for r in results)
        return len(results) - missing, missing
