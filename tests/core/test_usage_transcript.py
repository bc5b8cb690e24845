"""The incremental transcript reader: real 2.1.197 transcripts, appends, truncation, fuzz."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from desktop.core.usage import transcript
from desktop.core.usage.transcript import (
    CHUNK_BYTES,
    Cursor,
    ReadResult,
    config_dirs,
    inside,
    read_new,
    subagent_files,
)
from tests.support.transcripts import reply_line as transcript_reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MAIN = FIXTURES / "transcript-claude-code-2.1.197.jsonl"
SUBAGENT = FIXTURES / "transcript-claude-code-2.1.197-subagent.jsonl"


def expected_replies(path: Path) -> dict[str, tuple[int, int, int, int, bool]]:
    """The replies of a transcript, deduped by message id + request id, computed plainly."""
    found: dict[str, tuple[int, int, int, int, bool]] = {}
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if entry.get("type") != "assistant":
            continue
        m, u = entry["message"], entry["message"]["usage"]
        found[f"{m['id']}:{entry['requestId']}"] = (
            u["input_tokens"],
            u["output_tokens"],
            u["cache_read_input_tokens"],
            u["cache_creation_input_tokens"],
            entry["isSidechain"],
        )
    return found


def replies_of(results: list[ReadResult]) -> dict[str, tuple[int, int, int, int, bool]]:
    return {
        u.key: (
            u.input_tokens,
            u.output_tokens,
            u.cache_read_tokens,
            u.cache_creation_tokens,
            u.sidechain,
        )
        for r in results
        for u in r.replies
    }


def reply_line(n: int, pad: int = 0) -> bytes:
    return transcript_reply(n, pad=pad).encode()


def test_a_real_transcript_gives_each_reply_once_with_its_usage() -> None:
    result = read_new(Cursor(str(MAIN), "s"))
    assert result.malformed == 0 and not result.restarted and result.error is None
    want = expected_replies(MAIN)
    # The tool-calling replies are written twice (text block, tool block): 8 lines, 6 replies.
    assert len(result.replies) == 8 and len(want) == 6
    assert replies_of([result]) == want
    assert {u.model for u in result.replies} == {"claude-opus-4-8"}
    # Four prompts got an answer; /compact wrote a boundary, then a reply came after it.
    assert len(result.turns) == 4
    assert not result.compacted
    assert result.cursor.offset == MAIN.stat().st_size


def test_a_subagent_transcript_is_the_side_chain_with_its_agent_id() -> None:
    result = read_new(Cursor(str(SUBAGENT), "s", sidechain=True))
    assert replies_of([result]) == expected_replies(SUBAGENT)
    assert [(u.sidechain, u.agent_id) for u in result.replies] == [(True, "a4a57b89ab70d9c0c")]
    assert result.turns == []


def test_reads_only_what_was_appended(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(reply_line(1) + reply_line(2))
    first = read_new(Cursor(str(path), "s"))
    assert [u.input_tokens for u in first.replies] == [1, 2]
    again = read_new(first.cursor)
    assert again.replies == [] and again.cursor == first.cursor
    with path.open("ab") as f:
        f.write(reply_line(3))
    more = read_new(again.cursor)
    assert [u.input_tokens for u in more.replies] == [3]
    assert not more.restarted


def test_a_half_written_line_waits_for_its_end(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    line = reply_line(5)
    path.write_bytes(reply_line(4) + line[:30])
    first = read_new(Cursor(str(path), "s"))
    assert [u.input_tokens for u in first.replies] == [4]
    assert first.malformed == 0
    assert first.cursor.offset == len(reply_line(4))
    with path.open("ab") as f:
        f.write(line[30:])
    rest = read_new(first.cursor)
    assert [u.input_tokens for u in rest.replies] == [5] and rest.malformed == 0


def test_malformed_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(
        reply_line(1)
        + b'{"type": "assistant", "mess\n'
        + b"[1, 2]\n"
        + b"\xff\xfe\n"
        + reply_line(2)
    )
    result = read_new(Cursor(str(path), "s"))
    assert [u.input_tokens for u in result.replies] == [1, 2]
    assert result.malformed == 3


def test_a_missing_file_is_read_once_it_exists(tmp_path: Path) -> None:
    path = tmp_path / "later.jsonl"
    missing = read_new(Cursor(str(path), "s"))
    assert missing.missing and missing.cursor.offset == 0 and missing.error is None
    path.write_bytes(reply_line(7))
    found = read_new(missing.cursor)
    assert [u.input_tokens for u in found.replies] == [7]


def test_truncation_and_replacement_start_again(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(reply_line(1) + reply_line(2))
    cursor = read_new(Cursor(str(path), "s")).cursor
    # Truncated (shorter than the offset): read from the start.
    path.write_bytes(reply_line(9))
    shorter = read_new(cursor)
    assert shorter.restarted and [u.input_tokens for u in shorter.replies] == [9]
    # Replaced by another file (new inode) of the same size or longer.
    other = tmp_path / "other.jsonl"
    other.write_bytes(reply_line(9) + reply_line(8))
    os.replace(other, path)
    replaced = read_new(shorter.cursor)
    assert replaced.restarted and [u.input_tokens for u in replaced.replies] == [9, 8]
    # Rewritten in place with other bytes before the offset (same inode, longer).
    with path.open("r+b") as f:
        f.write(reply_line(6) + reply_line(5) + reply_line(4))
    rewritten = read_new(replaced.cursor)
    assert rewritten.restarted and [u.input_tokens for u in rewritten.replies] == [6, 5, 4]


def test_a_file_replaced_mid_read_never_crashes_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.jsonl"
    big = b"".join(reply_line(n, pad=2000) for n in range(1, 2001))
    assert len(big) > CHUNK_BYTES  # the read takes several chunks
    path.write_bytes(big)
    replacement = tmp_path / "new.jsonl"
    replacement.write_bytes(reply_line(5000))
    real_parse = transcript.parse_line
    replaced: list[bool] = []

    def parse_then_replace(*args: object, **kwargs: object) -> None:
        if not replaced:  # Claude (or a log rotation) swaps the file while we read it
            os.replace(replacement, path)
            replaced.append(True)
        real_parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(transcript, "parse_line", parse_then_replace)
    old = read_new(Cursor(str(path), "s"))
    assert replaced and old.error is None
    # The open file is read to its end: the 2,000 replies it held all count.
    assert [u.input_tokens for u in old.replies] == list(range(1, 2001))
    after = read_new(old.cursor)
    assert after.restarted and [u.input_tokens for u in after.replies] == [5000]


@pytest.mark.parametrize("seed", range(8))
def test_fuzz_random_appends_cuts_and_garbage_count_every_reply_once(
    tmp_path: Path, seed: int
) -> None:
    """Lines written in random pieces, garbage lines, truncations and replacements, read at
    random moments: every reply and garbage line that was in the file at a read is counted,
    exactly once, and only those that were truncated away unread are missing."""
    rng = random.Random(seed)
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"")
    cursor = Cursor(str(path), "s")
    in_file: set[str] = set()  # complete reply lines in the current file
    garbage_in_file = 0
    required: set[str] = set()  # replies some read must have seen
    required_garbage = 0
    seen: list[str] = []
    malformed = 0
    n = 0
    pending = b""
    pending_key = ""

    def read() -> None:
        nonlocal cursor, malformed, required_garbage, garbage_in_file
        result = read_new(cursor)
        assert result.error is None
        seen.extend(u.key for u in result.replies)
        malformed += result.malformed
        required.update(in_file)
        # A file read again from its start counts its garbage again: count what is new.
        required_garbage += garbage_in_file
        garbage_in_file = 0
        cursor = result.cursor

    for _ in range(300):
        action = rng.random()
        if action < 0.05:
            # A new file: truncated in place or replaced; a half-written line is lost.
            if rng.random() < 0.5:
                path.write_bytes(b"")
            else:
                fresh = tmp_path / "fresh.jsonl"
                fresh.write_bytes(b"")
                os.replace(fresh, path)
            pending, in_file, garbage_in_file = b"", set(), 0
        elif action < 0.12 and not pending:
            with path.open("ab") as f:
                f.write(b'{"broken": \n')
            garbage_in_file += 1
        else:
            if not pending:
                n += 1
                pending = reply_line(n, pad=rng.randrange(0, 300))
                pending_key = f"msg_{n}:req_{n}"
            cut = rng.randrange(1, len(pending) + 1)
            with path.open("ab") as f:
                f.write(pending[:cut])
            pending = pending[cut:]
            if not pending:
                in_file.add(pending_key)
        if rng.random() < 0.4:
            read()
    read()
    assert set(seen) == required
    assert len(seen) == len(set(seen)), "a reply was read twice without a restart"
    assert malformed == required_garbage


def test_only_transcripts_inside_the_claude_config_dir_are_read(tmp_path: Path) -> None:
    root = tmp_path / "home" / ".claude"
    (root / "projects" / "p").mkdir(parents=True)
    roots = config_dirs({"HOME": str(tmp_path / "home")})
    assert roots == (root.resolve(),)
    assert inside(str(root / "projects" / "p" / "s.jsonl"), roots)
    assert not inside(str(tmp_path / "elsewhere" / "s.jsonl"), roots)
    assert not inside(str(root / "projects" / ".." / ".." / "x.jsonl"), roots)
    assert not inside(str(root / "projects" / "p" / "s.txt"), roots)
    # A symlink inside that leads outside is outside.
    (tmp_path / "out").mkdir()
    (root / "projects" / "link").symlink_to(tmp_path / "out")
    assert not inside(str(root / "projects" / "link" / "s.jsonl"), roots)
    custom = config_dirs({"CLAUDE_CONFIG_DIR": str(tmp_path / "cfg"), "HOME": "/nowhere"})
    assert custom == ((tmp_path / "cfg").resolve(),)


def test_subagent_files_are_found_beside_the_session_transcript(tmp_path: Path) -> None:
    main = tmp_path / "s1.jsonl"
    main.write_bytes(b"")
    assert list(subagent_files(str(main))) == []
    agents = tmp_path / "s1" / "subagents"
    agents.mkdir(parents=True)
    (agents / "agent-b.jsonl").write_bytes(b"")
    (agents / "agent-a.jsonl").write_bytes(b"")
    (agents / "agent-a.meta.json").write_bytes(b"{}")
    assert list(subagent_files(str(main))) == [
        str(agents / "agent-a.jsonl"),
        str(agents / "agent-b.jsonl"),
    ]
