"""The feed's wire format: JSON lines from a remote `claude-rpg remote feed` to the desktop.

{"type": "hello", "protocol": 1, "version": "...", "store": "..."|null}   first line, once
{"type": "events", "events": [{"id": N, ...}, ...]}          stored events, ids rising
{"type": "panes", "panes": [...], "problem": "..."|null}     the remote's /api/panes, on change
{"type": "personas", "personas": [{"id": N, ...}, ...]}      after an events line: the rows of
                                                             the personas its events touched
{"type": "restart", "reason": "..."}                         last line: connect again

`store` names the remote database the event ids belong to (null before it exists); a
desktop that finds another store than the one its cursor counts in asks again from that
store's cursor, and a feed whose database file was replaced says "restart" and ends.

A desktop skips a type or field it does not know, so a newer remote may add them (as
"personas", "store" and "restart" were).
"""

from __future__ import annotations

import json
from typing import Any

PROTOCOL = 1
# Events per "events" line: bounds a line (and one desktop transaction) during a catch-up.
BATCH = 500
# Fields of a stored event that travel (the remote keeps the rest; never payloads).
EVENT_FIELDS = ("id", "event_name", "session_id", "pane_id", "claude_pid", "stamp")
# Fields of a persona that travel: who it is and the XP its host gave it (never its ledger).
PERSONA_FIELDS = ("id", "session_id", "name", "avatar_seed", "created_at", "xp", "level")


class ProtocolError(ValueError):
    """A line that is not what the feed sends (an incompatible remote claude-rpg)."""


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except ValueError as e:
        raise ProtocolError(f"not a feed line: {line[:80]!r}") from e
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError(f"not a feed message: {line[:80]!r}")
    return message
