"""What reading a transcript costs per new line, for a small and a very long transcript.

The app reads each session's transcript incrementally: after a hook event it reads only
the bytes appended since the last read. This measures that read (`read_new`, the code the
app runs on its reader thread) on two transcripts built from the real 2.1.197 transcript
in tests/fixtures, repeated: 1 MB and 50 MB. Each round appends a few new lines (one
reply, written twice as Claude does for a tool call, and a turn line) and reads them.
The cost per new line must not grow with the file's size: the 50 MB row's baseline is the
1 MB row of the same run, and its ratio should stay near 1 (target <= 1.5).

A first full read of each file is reported too (MB/s), for the catch-up after a restart.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import Result, percentile, print_machine, print_table  # noqa: E402
from desktop.core.usage.transcript import Cursor, read_new  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "transcript-claude-code-2.1.197.jsonl"
MB = 1024 * 1024


def grow(path: Path, size: int) -> None:
    """Write the real transcript over and over (fresh message ids) until `size` bytes."""
    lines = FIXTURE.read_text().splitlines()
    written = 0
    n = 0
    with path.open("w") as f:
        while written < size:
            n += 1
            for line in lines:
                text = line.replace("msg_fake", f"msg_{n:06d}_").replace("req_fake", f"r{n}")
                f.write(text + "\n")
                written += len(text) + 1


def new_lines(n: int) -> str:
    """What one tool-calling reply adds: the reply written twice, then the turn's end."""
    entry = {
        "type": "assistant",
        "isSidechain": False,
        "requestId": f"req_new_{n}",
        "timestamp": "2026-12-04T10:00:00.000Z",
        "message": {
            "id": f"msg_new_{n}",
            "model": "claude-opus-4-8",
            "content": [{"type": "text", "text": "done " * 40}],
            "usage": {
                "input_tokens": 12,
                "output_tokens": 50,
                "cache_read_input_tokens": 90_000,
                "cache_creation_input_tokens": 300,
            },
        },
    }
    turn = {"type": "system", "subtype": "turn_duration", "uuid": f"t{n}", "isSidechain": False}
    return json.dumps(entry) + "\n" + json.dumps(entry) + "\n" + json.dumps(turn) + "\n"


LINES_PER_ROUND = 3


class Transcript:
    """One growing transcript and the app's cursor into it."""

    def __init__(self, name: str, path: Path, size: int) -> None:
        self.name = name
        self.path = path
        grow(path, size)
        self.size = path.stat().st_size
        start = time.perf_counter()
        first = read_new(Cursor(str(path), "bench"))
        self.full_read_s = time.perf_counter() - start
        assert first.cursor.offset == self.size and first.malformed == 0
        self.cursor = first.cursor
        self.per_line_us: list[float] = []
        self.rounds = 0

    def round(self) -> None:
        self.rounds += 1
        with self.path.open("a") as f:
            f.write(new_lines(self.rounds))
        start = time.perf_counter()
        result = read_new(self.cursor)
        elapsed = time.perf_counter() - start
        assert len(result.replies) == 2 and len(result.turns) == 1 and not result.restarted
        self.cursor = result.cursor
        self.per_line_us.append(elapsed / LINES_PER_ROUND * 1e6)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000, help="appends+reads per file")
    parser.add_argument("--large-mb", type=int, default=50, help="size of the long transcript")
    args = parser.parse_args()
    print_machine()
    with tempfile.TemporaryDirectory(prefix="claude-rpg-bench-") as tmp:
        small = Transcript("1 MB", Path(tmp) / "small.jsonl", 1 * MB)
        large = Transcript(f"{args.large_mb} MB", Path(tmp) / "large.jsonl", args.large_mb * MB)
        rows = [small, large]
        for _ in range(args.rounds):
            random.shuffle(rows)  # machine load hits both alike
            for row in rows:
                row.round()
    results: list[Result] = []
    for q, label in ((0.5, "p50"), (0.95, "p95")):
        base = percentile(small.per_line_us, q)
        measured = percentile(large.per_line_us, q)
        for t, value in ((small, base), (large, measured)):
            results.append(
                Result(f"incremental read per new line, {label}, {t.name} transcript", value, "µs")
            )
        ratio = measured / base if base else float("nan")
        results.append(
            Result(
                f"{label} per new line, {large.name} over 1 MB",
                ratio,
                "x",
                target="<= 1.5",
                ok=ratio <= 1.5,
            )
        )
    for t in (small, large):
        results.append(
            Result(f"first full read, {t.name} transcript", t.size / MB / t.full_read_s, "MB/s")
        )
    print_table(
        f"transcript reading: {args.rounds} rounds of {LINES_PER_ROUND} new lines per file",
        results,
    )
    return 0 if all(r.ok is not False for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
