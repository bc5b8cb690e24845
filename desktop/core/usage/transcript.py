"""Incremental reading of Claude Code transcript files (JSONL): the usage of each API reply.

A reader remembers where it stopped in each file (a Cursor: byte offset, file identity and a
checksum of the bytes just before the offset), so each call reads only what was appended.
A file that was truncated, replaced (new inode) or rewritten in place is read again from its
start; the store dedupes replies by message id plus request id, so nothing counts twice.
Runs on a worker thread: plain file reads and JSON parsing, no asyncio, no database.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

# The bytes before the offset that identify "the same file, as we left it".
TAIL_BYTES = 64
# A first read of a long transcript goes in pieces of this size: memory stays bounded.
CHUNK_BYTES = 4 * 1024 * 1024
# A single line longer than this (a runaway tool output) is skipped rather than held whole.
MAX_LINE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Cursor:
    """Where a transcript file was read up to."""

    path: str
    session_id: str
    sidechain: bool = False  # a subagent's own transcript
    device: int = 0
    inode: int = 0
    offset: int = 0
    tail_crc: int = 0  # crc32 of the TAIL_BYTES (or fewer) before offset


@dataclass(frozen=True)
class ReplyUsage:
    """The token usage of one assistant reply (one API response)."""

    key: str  # message id + request id: the same reply written twice has the same key
    model: str
    timestamp: float  # seconds since the epoch
    sidechain: bool
    agent_id: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_creation_tokens: int

    @property
    def context_tokens(self) -> int:
        """What the reply's prompt held: input + cache read + cache creation."""
        return self.input_tokens + self.cache_read_tokens + self.cache_creation_tokens


@dataclass(frozen=True)
class TurnMark:
    """The end of one main-thread turn (Claude writes a turn_duration line)."""

    uuid: str
    timestamp: float


@dataclass
class ReadResult:
    """What one read of a transcript found."""

    cursor: Cursor
    replies: list[ReplyUsage] = field(default_factory=list)
    turns: list[TurnMark] = field(default_factory=list)
    compacted: bool = False  # a compact boundary after the last main-thread reply
    malformed: int = 0
    restarted: bool = False  # truncated or replaced: read again from the start
    missing: bool = False
    error: str | None = None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _timestamp(raw: Any) -> float | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def parse_line(line: bytes, result: ReadResult, sidechain_file: bool, now: float) -> None:
    """Fold one complete transcript line into result (a bad line counts as malformed)."""
    if not line.strip():
        return
    try:
        entry = json.loads(line)
    except (ValueError, RecursionError):
        result.malformed += 1
        return
    if not isinstance(entry, dict):
        result.malformed += 1
        return
    kind = entry.get("type")
    sidechain = sidechain_file or entry.get("isSidechain") is True
    when = _timestamp(entry.get("timestamp")) or now
    if kind == "assistant":
        message = entry.get("message")
        if not isinstance(message, dict):
            return
        usage = message.get("usage")
        message_id = message.get("id")
        if not isinstance(usage, dict) or not isinstance(message_id, str):
            return
        request_id = entry.get("requestId")
        model = message.get("model")
        agent = entry.get("agentId")
        result.replies.append(
            ReplyUsage(
                key=f"{message_id}:{request_id if isinstance(request_id, str) else ''}",
                model=model if isinstance(model, str) else "",
                timestamp=when,
                sidechain=sidechain,
                agent_id=agent if isinstance(agent, str) and sidechain else "",
                input_tokens=_int(usage.get("input_tokens")),
                output_tokens=_int(usage.get("output_tokens")),
                cache_read_tokens=_int(usage.get("cache_read_input_tokens")),
                cache_creation_tokens=_int(usage.get("cache_creation_input_tokens")),
            )
        )
        if not sidechain:
            result.compacted = False
    elif kind == "system" and not sidechain:
        subtype = entry.get("subtype")
        if subtype == "turn_duration" and isinstance(entry.get("uuid"), str):
            result.turns.append(TurnMark(entry["uuid"], when))
        elif subtype == "compact_boundary":
            result.compacted = True


def _lines(data: bytes) -> tuple[list[bytes], int]:
    """The complete lines in data and how many bytes they take (a last partial line waits)."""
    end = data.rfind(b"\n")
    if end < 0:
        return [], 0
    return data[:end].split(b"\n"), end + 1


def _tail_crc(handle: Any, offset: int) -> int:
    start = max(0, offset - TAIL_BYTES)
    handle.seek(start)
    return zlib.crc32(handle.read(offset - start))


def read_new(cursor: Cursor, now: float | None = None) -> ReadResult:
    """Read what was appended to cursor's file since the cursor; the new cursor is in result."""
    now = time.time() if now is None else now
    result = ReadResult(cursor)
    try:
        handle = open(cursor.path, "rb")  # noqa: SIM115 - closed in the finally below
    except FileNotFoundError:
        result.missing = True
        return result
    except OSError as e:
        result.error = f"cannot read {cursor.path}: {e.strerror}"
        return result
    try:
        stat = os.fstat(handle.fileno())
        offset = cursor.offset
        same_file = (stat.st_dev, stat.st_ino) == (cursor.device, cursor.inode)
        if offset and (
            not same_file or stat.st_size < offset or _tail_crc(handle, offset) != cursor.tail_crc
        ):
            result.restarted = True
            offset = 0
        if stat.st_size == offset:
            result.cursor = replace(cursor, device=stat.st_dev, inode=stat.st_ino, offset=offset)
            return result
        handle.seek(offset)
        pending = b""  # a line begun in the last chunk; the file offset is where it starts
        while chunk := handle.read(CHUNK_BYTES):
            buffer = pending + chunk
            lines, used = _lines(buffer)
            for line in lines:
                parse_line(line, result, cursor.sidechain, now)
            offset += used
            pending = buffer[used:]
            if len(pending) > MAX_LINE_BYTES:
                # One line this long is no reply Claude wrote: skip it whole.
                offset += len(pending)
                pending = b""
                result.malformed += 1
        result.cursor = replace(
            cursor,
            device=stat.st_dev,
            inode=stat.st_ino,
            offset=offset,
            tail_crc=_tail_crc(handle, offset),
        )
    except OSError as e:
        result.error = f"cannot read {cursor.path}: {e.strerror}"
    finally:
        handle.close()
    return result


def config_dirs(environ: dict[str, str] | None = None) -> tuple[Path, ...]:
    """The user's Claude config dirs: $CLAUDE_CONFIG_DIR (may list several) or ~/.claude."""
    env = os.environ if environ is None else environ
    raw = env.get("CLAUDE_CONFIG_DIR", "").strip()
    found = [Path(part).expanduser() for part in raw.split(os.pathsep) if part.strip()]
    if not found:
        found = [Path(env.get("HOME") or Path.home()) / ".claude"]
    return tuple(p.resolve() for p in found)


def inside(path: str, roots: Iterable[Path]) -> bool:
    """Is path (a transcript a payload named) a .jsonl file under one of roots?"""
    if not path or "\0" in path or not path.endswith(".jsonl"):
        return False
    try:
        real = Path(path).expanduser().resolve()
    except (OSError, RuntimeError, ValueError):
        return False
    return any(real.is_relative_to(root) for root in roots)


def subagent_files(transcript: str) -> Iterator[str]:
    """The subagent transcripts Claude keeps beside a session's transcript."""
    folder = Path(transcript[: -len(".jsonl")]) / "subagents"
    try:
        yield from sorted(str(p) for p in folder.glob("*.jsonl"))
    except OSError:
        return
