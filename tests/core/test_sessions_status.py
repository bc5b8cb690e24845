"""The tracker fuses hook events and poll readings into each pane's status, in stamp order."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from desktop.core.hooks.payload import IncomingEvent
from desktop.core.ingest import EventIngest
from desktop.core.model import PaneState, Status
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.core.sessions import SessionTracker
from desktop.core.tmux.detection import RawPane
from desktop.core.tmux.poller import DetectedPane, PollResult
from desktop.core.tmux.procs import read_proc
from desktop.core.tmux.sessionfile import SessionFile
from desktop.store.db import Database

PANE = "%7"


@contextmanager
def stand_in_claude() -> Iterator[subprocess.Popen[bytes]]:
    """A real process standing in for claude: its pid and start time are real /proc data."""
    proc = subprocess.Popen(["sleep", "120"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def claude() -> Iterator[subprocess.Popen[bytes]]:
    """The claude of the pane each test starts with."""
    with stand_in_claude() as proc:
        yield proc


def poll(
    proc: subprocess.Popen[bytes],
    at: float,
    title: str = "✳ Claude Code",
    session_file: SessionFile | None = None,
    pane_id: str = PANE,
) -> PollResult:
    info = read_proc(proc.pid)
    assert info is not None
    raw = RawPane(pane_id, "work", "1", "0", proc.pid, "claude", "/srv/p", title, False)
    return PollResult(
        (DetectedPane(raw, proc.pid, info.start_ticks, session_file),), observed_at=at
    )


def ev(
    name: str, stamp: float, sid: str, pid: int | None, pane: str = PANE, **payload: Any
) -> IncomingEvent:
    body = {"session_id": sid, "hook_event_name": name, **payload}
    return IncomingEvent(body, name, sid, f"{sid}-{name}-{stamp}", stamp, pane, pid)


def pane(registry: PaneRegistry) -> PaneState:
    found = registry.get(PANE)
    assert found is not None
    return found


def test_a_late_event_does_not_overwrite_a_newer_status(
    ingest: EventIngest,
    tracker: SessionTracker,
    registry: PaneRegistry,
    claude: subprocess.Popen[bytes],
) -> None:
    tracker.apply_poll(poll(claude, at=100.0))
    ingest.ingest(ev("UserPromptSubmit", 101.0, "s1", claude.pid, prompt="go"))
    ingest.ingest(ev("Stop", 103.0, "s1", claude.pid, last_assistant_message="done"))
    late = ingest.ingest(ev("PreToolUse", 102.0, "s1", claude.pid, tool_name="Bash"))
    assert late.stored
    now = pane(registry)
    assert (now.status, now.status_detail, now.last_event) == (Status.IDLE, "done", "Stop")


def test_clear_links_the_new_session_even_when_its_end_event_comes_late(
    ingest: EventIngest,
    tracker: SessionTracker,
    registry: PaneRegistry,
    personas: PersonaService,
    claude: subprocess.Popen[bytes],
) -> None:
    tracker.apply_poll(poll(claude, at=100.0))
    first = ingest.ingest(ev("SessionStart", 101.0, "old", claude.pid, source="startup"))
    # SessionEnd(clear) and SessionStart(clear) raced: the new session's start came first.
    ingest.ingest(ev("SessionStart", 110.2, "new", claude.pid, source="clear"))
    ingest.ingest(ev("SessionEnd", 110.1, "old", claude.pid, reason="clear"))
    now = pane(registry)
    assert now.session_id == "new" and now.status is Status.IDLE
    assert first.persona is not None and now.persona is not None
    assert now.persona.id == first.persona.id
    for sid in ("old", "new"):
        found = personas.find_persona_by_session_id(sid)
        assert found is not None and found.id == first.persona.id
    assert len(personas.all()) == 1


def test_a_fresh_claude_in_the_same_pane_is_a_new_persona(
    ingest: EventIngest,
    tracker: SessionTracker,
    registry: PaneRegistry,
    claude: subprocess.Popen[bytes],
) -> None:
    tracker.apply_poll(poll(claude, at=100.0))
    first = ingest.ingest(ev("SessionStart", 101.0, "one", claude.pid, source="startup"))
    ingest.ingest(ev("SessionEnd", 102.0, "one", claude.pid, reason="prompt_input_exit"))
    with stand_in_claude() as second_claude:
        tracker.apply_poll(poll(second_claude, at=103.0))
        second = ingest.ingest(
            ev("SessionStart", 104.0, "two", second_claude.pid, source="startup")
        )
        assert second.persona_created
        assert first.persona is not None and second.persona is not None
        assert second.persona.id != first.persona.id
        assert pane(registry).status is Status.IDLE


def test_the_session_file_repairs_what_no_hook_says(
    ingest: EventIngest,
    tracker: SessionTracker,
    registry: PaneRegistry,
    claude: subprocess.Popen[bytes],
) -> None:
    def file_says(status: str, since: float) -> SessionFile:
        return SessionFile(claude.pid, "s1", status, "", since)

    tracker.apply_poll(poll(claude, at=100.0, session_file=file_says("idle", 99.0)))
    ingest.ingest(ev("UserPromptSubmit", 101.0, "s1", claude.pid, prompt="long job"))
    # The file went busy after the hook: nothing to repair.
    tracker.apply_poll(poll(claude, at=102.0, session_file=file_says("busy", 101.05)))
    assert (pane(registry).status, pane(registry).status_detail) == (Status.WORKING, "long job")
    # Esc: no hook, the file goes idle.
    tracker.apply_poll(poll(claude, at=104.0, session_file=file_says("idle", 103.5)))
    assert (pane(registry).status, pane(registry).status_detail) == (Status.IDLE, "interrupted")
    # A permission dialog: the hook first, then the file agrees; then the person denies.
    ingest.ingest(ev("PermissionRequest", 105.0, "s1", claude.pid, tool_name="Bash"))
    tracker.apply_poll(poll(claude, at=105.5, session_file=file_says("waiting", 105.05)))
    assert pane(registry).status is Status.NEEDS_INPUT
    tracker.apply_poll(poll(claude, at=107.0, session_file=file_says("idle", 106.0)))
    assert pane(registry).status is Status.IDLE


def test_a_pane_running_before_the_app_started_finds_its_persona_through_its_file(
    db: Database,
    registry: PaneRegistry,
    personas: PersonaService,
    claude: subprocess.Popen[bytes],
) -> None:
    tracker = SessionTracker(db, registry, find_persona=personas.find_persona_by_session_id)
    ingest = EventIngest(db, personas, tracker)
    # The persona exists (an earlier run saw this session's events) but no binding does.
    known = ingest.ingest(ev("SessionStart", 1.0, "known", None, pane="%99", source="startup"))
    working = SessionFile(claude.pid, "known", "busy", "", 50.0)
    tracker.apply_poll(poll(claude, at=100.0, session_file=working))
    now = pane(registry)
    assert known.persona is not None and now.persona is not None
    assert now.persona.id == known.persona.id and now.session_id == "known"
    assert now.status is Status.WORKING


def test_a_file_naming_an_unknown_session_never_creates_a_persona(
    db: Database,
    registry: PaneRegistry,
    personas: PersonaService,
    claude: subprocess.Popen[bytes],
) -> None:
    tracker = SessionTracker(db, registry, find_persona=personas.find_persona_by_session_id)
    waiting = SessionFile(claude.pid, "untrusted", "waiting", "permission prompt", 50.0)
    tracker.apply_poll(poll(claude, at=100.0, session_file=waiting))
    now = pane(registry)
    assert now.awaiting_identity
    assert (now.status, now.status_detail) == (Status.NEEDS_INPUT, "permission prompt")
    assert personas.all() == []


def test_a_gone_process_stays_ended_whatever_arrives_later(
    ingest: EventIngest,
    tracker: SessionTracker,
    registry: PaneRegistry,
    claude: subprocess.Popen[bytes],
) -> None:
    tracker.apply_poll(poll(claude, at=100.0))
    ingest.ingest(ev("UserPromptSubmit", 101.0, "s1", claude.pid, prompt="go"))
    tracker.apply_poll(PollResult((), observed_at=102.0))
    assert (pane(registry).status, pane(registry).alive) == (Status.ENDED, False)
    ingest.ingest(ev("SessionEnd", 102.5, "s1", claude.pid, reason="other"))
    assert pane(registry).status is Status.ENDED and not pane(registry).alive


def test_the_title_repairs_a_missed_interrupt_once_two_polls_agree(
    ingest: EventIngest,
    tracker: SessionTracker,
    registry: PaneRegistry,
    claude: subprocess.Popen[bytes],
) -> None:
    tracker.apply_poll(poll(claude, at=100.0, title="✳ Claude Code"))
    ingest.ingest(ev("UserPromptSubmit", 101.0, "s1", claude.pid, prompt="go"))
    tracker.apply_poll(poll(claude, at=101.5, title="⠂ Claude Code"))
    tracker.apply_poll(poll(claude, at=102.0, title="⠐ Claude Code"))
    assert pane(registry).status is Status.WORKING
    tracker.apply_poll(poll(claude, at=103.0, title="✳ Claude Code"))
    assert pane(registry).status is Status.WORKING  # one poll is not enough
    tracker.apply_poll(poll(claude, at=104.0, title="✳ Claude Code"))
    assert (pane(registry).status, pane(registry).status_detail) == (Status.IDLE, "interrupted")


def test_a_late_event_of_the_claude_a_reused_pane_id_ran_before_never_names_the_new_one(
    ingest: EventIngest,
    tracker: SessionTracker,
    registry: PaneRegistry,
    claude: subprocess.Popen[bytes],
) -> None:
    # A tmux server killed and restarted gives the pane id to a new claude; the old claude's
    # SessionEnd (its hook ran as it died) is stored only after the new claude was found.
    tracker.apply_poll(poll(claude, at=100.0))
    old = ingest.ingest(ev("SessionStart", 101.0, "old", claude.pid, source="startup"))
    tracker.apply_poll(PollResult((), problem="no tmux server", observed_at=102.0))
    assert pane(registry).status is Status.ENDED
    with stand_in_claude() as second_claude:
        tracker.apply_poll(poll(second_claude, at=103.0))
        assert pane(registry).persona is None, "a new claude awaits identity at once"
        ingest.ingest(ev("SessionEnd", 104.0, "old", claude.pid, reason="other"))
        assert pane(registry).persona is None
        assert pane(registry).session_id is None
        new = ingest.ingest(ev("SessionStart", 105.0, "new", second_claude.pid, source="startup"))
        assert old.persona is not None and new.persona is not None
        assert pane(registry).persona == new.persona != old.persona
