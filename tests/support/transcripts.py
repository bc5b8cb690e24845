"""Transcript lines as Claude Code 2.1.197 writes them, for reader and service tests."""

from __future__ import annotations

import json
from typing import Any


def reply_line(
    n: int,
    *,
    sidechain: bool = False,
    agent: str = "",
    pad: int = 0,
    model: str = "claude-opus-4-8",
    timestamp: str = "2026-12-04T10:00:00.000Z",
) -> str:
    """One assistant reply line: message msg_<n>, request req_<n>, and usage n input,
    10n output, 100n cache read, 1000n cache creation tokens."""
    entry: dict[str, Any] = {
        "type": "assistant",
        "isSidechain": sidechain,
        "requestId": f"req_{n}",
        "timestamp": timestamp,
        "message": {
            "id": f"msg_{n}",
            "model": model,
            "role": "assistant",
            "content": [{"type": "text", "text": "x" * pad}],
            "usage": {
                "input_tokens": n,
                "output_tokens": 10 * n,
                "cache_read_input_tokens": 100 * n,
                "cache_creation_input_tokens": 1000 * n,
            },
        },
    }
    if agent:
        entry["agentId"] = agent
    return json.dumps(entry) + "\n"


def turn_line(uuid: str) -> str:
    """The line Claude writes when a main-thread turn ends."""
    return json.dumps({"type": "system", "subtype": "turn_duration", "uuid": uuid}) + "\n"


COMPACT_LINE = json.dumps({"type": "system", "subtype": "compact_boundary", "uuid": "c"}) + "\n"
