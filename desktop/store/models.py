"""SQLModel tables: personas, their session ids, pane bindings, the event log, challenges."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the store uses."""
    return datetime.now(UTC)


class Persona(SQLModel, table=True):
    """A character that belongs to one Claude session (and the sessions /clear links to it)."""

    __tablename__ = "persona"

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(unique=True, index=True)
    name: str
    avatar_seed: str
    created_at: datetime = Field(default_factory=utcnow)
    xp: int = 0
    level: int = 1


class PersonaSession(SQLModel, table=True):
    """Every Claude session id that leads to a persona (its own, plus ids linked by /clear)."""

    __tablename__ = "persona_session"

    session_id: str = Field(primary_key=True)
    persona_id: int = Field(foreign_key="persona.id", index=True)
    linked_at: datetime = Field(default_factory=utcnow)
    reason: str = "created"


class PaneBinding(SQLModel, table=True):
    """Which Claude process in which tmux pane runs which session, kept across restarts."""

    __tablename__ = "pane_binding"

    pane_id: str = Field(primary_key=True)
    session_id: str = Field(index=True)
    persona_id: int = Field(foreign_key="persona.id")
    pane_pid: int | None = None
    claude_pid: int | None = None
    claude_start_ticks: int | None = None
    bound_at: datetime = Field(default_factory=utcnow)
    event_name: str = ""


class HookEvent(SQLModel, table=True):
    """One accepted hook call, compact: the event log everything can be rebuilt from.

    Only the facts the app uses are kept (desktop/core/history/record.py says which);
    prompts and tool output never reach the store.
    """

    __tablename__ = "hook_event"

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True)
    event_name: str = Field(index=True)
    session_id: str = Field(index=True)
    pane_id: str | None = None
    claude_pid: int | None = None
    stamp: float = Field(index=True)
    received_at: datetime = Field(default_factory=utcnow)
    tool_name: str | None = None
    cwd: str | None = None
    record: str = "{}"


class Challenge(SQLModel, table=True):
    """A goal a persona works towards; progress moves with events."""

    __tablename__ = "challenge"

    id: int | None = Field(default=None, primary_key=True)
    persona_id: int = Field(foreign_key="persona.id", index=True)
    kind: str
    title: str
    description: str
    target: int
    progress: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None


class XpAward(SQLModel, table=True):
    """One line of the XP ledger: which event earned a persona how much XP, and why."""

    __tablename__ = "xp_award"
    # One award per rule per event: replaying an event can never pay twice.
    __table_args__ = (UniqueConstraint("event_id", "rule"),)

    id: int | None = Field(default=None, primary_key=True)
    persona_id: int = Field(foreign_key="persona.id", index=True)
    event_id: int = Field(foreign_key="hook_event.id")
    rule: str
    amount: int
    reason: str
    awarded_at: datetime


class Badge(SQLModel, table=True):
    """An achievement a persona has earned, and the event that earned it."""

    __tablename__ = "badge"
    __table_args__ = (UniqueConstraint("persona_id", "badge_key"),)

    id: int | None = Field(default=None, primary_key=True)
    persona_id: int = Field(foreign_key="persona.id")
    badge_key: str
    event_id: int = Field(foreign_key="hook_event.id")
    earned_at: datetime


class ProgressionState(SQLModel, table=True):
    """A persona's progression counters, and the last event they include."""

    __tablename__ = "progression_state"

    persona_id: int = Field(foreign_key="persona.id", primary_key=True)
    last_event_id: int = 0
    memo: str = "{}"
    updated_at: datetime = Field(default_factory=utcnow)
