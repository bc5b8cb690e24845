"""The hook payload model: strict about identity, lenient about everything else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr


class HookPayload(BaseModel):
    """A Claude Code hook payload. Only session_id and hook_event_name are required.

    Every other field comes and goes between Claude Code releases, so unknown fields and
    unknown event names are kept verbatim, never rejected.
    """

    model_config = ConfigDict(extra="allow")

    session_id: StrictStr = Field(min_length=1, max_length=200)
    hook_event_name: StrictStr = Field(min_length=1, max_length=200)


@dataclass(frozen=True)
class IncomingEvent:
    """A validated hook event plus what the hook command saw around it."""

    payload: dict[str, Any]
    event_name: str
    session_id: str
    dedupe_key: str
    stamp: float
    pane_id: str | None = None
    claude_pid: int | None = None

    def text(self, key: str) -> str:
        """A payload field as text, or '' when missing or not a string."""
        value = self.payload.get(key)
        return value if isinstance(value, str) else ""
