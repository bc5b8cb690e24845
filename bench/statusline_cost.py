"""What the status-line snippet adds to the user's own status line command.

Claude 2.1.197 runs the statusLine command with `/bin/sh -c`, piping the status JSON (the
recorded 2.1.197 input in tests/fixtures) on each change. Rows, interleaved in a shuffled
order so machine load hits all alike: the user's command alone (the baseline), the same
command through our snippet (`cat` keeps a copy of the input in a temp file, `mv` renames
it over the session's one file; theirs runs in the same shell on that copy), our snippet
with no command of theirs (a user without a status line), and, for scale, the program
start every hook call pays under /bin/sh (bench/hook_cost.py: the hook hands over to bash
with one exec). Target: the snippet adds no more than the hook costs Claude per event (a
few ms; bench/hook_cost.py). The folder must hold one file afterwards, however many runs.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import Result, percentile, print_machine, print_table  # noqa: E402
from desktop.core.usage import statusline  # noqa: E402
from desktop.paths import DataPaths  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "statusline-claude-code-2.1.197.json"
THEIRS = "printf 'main %s' \"$(head -c 40 | tr -d '\\n')\""  # a small user status line
ADDED_TARGET_MS = 3.0
BASH = shutil.which("bash") or "/bin/bash"


def timed(command: str, stdin: bytes, env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        ["/bin/sh", "-c", command], input=stdin, capture_output=True, env=env, cwd=cwd
    )
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    return elapsed * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400, help="runs of each row")
    args = parser.parse_args()
    print_machine()
    stdin = FIXTURE.read_bytes()
    with tempfile.TemporaryDirectory(prefix="claude-rpg-bench-") as tmp:
        paths = DataPaths(Path(tmp) / "data")
        paths.ensure()
        folder = statusline.status_dir(paths)
        folder.mkdir(mode=0o700)
        rows = {
            "their command alone": THEIRS,
            "their command through the snippet": statusline.command_for(folder, THEIRS),
            "the snippet, no command of theirs": statusline.command_for(folder, ""),
            "the hook's hand-over to bash (scale)": f"exec {shlex.quote(BASH)} -c :",
        }
        env = {"PATH": os.environ["PATH"], "CLAUDE_CODE_SESSION_ID": "bench-session"}
        expected = subprocess.run(
            ["/bin/sh", "-c", THEIRS], input=stdin, capture_output=True
        ).stdout
        wrapped = subprocess.run(
            ["/bin/sh", "-c", rows["their command through the snippet"]],
            input=stdin, capture_output=True, env=env, cwd=tmp,
        ).stdout  # fmt: skip
        assert wrapped == expected, (wrapped, expected)
        times: dict[str, list[float]] = {name: [] for name in rows}
        order = list(rows)
        for _ in range(args.runs):
            random.shuffle(order)
            for name in order:
                times[name].append(timed(rows[name], stdin, env, tmp))
        # No app runs here to clean anything: the snippet alone keeps the folder bounded.
        kept = len(list(statusline.status_dir(paths).iterdir()))
        assert kept == 1, kept
    base = percentile(times["their command alone"], 0.5)
    results: list[Result] = []
    for name, values in times.items():
        p50 = percentile(values, 0.5)
        results.append(
            Result(f"{name}, p50", p50, "ms", baseline=None if name.endswith("alone") else base,
                   baseline_name="theirs alone")
        )  # fmt: skip
        results.append(Result(f"{name}, p95", percentile(values, 0.95), "ms"))
    added = percentile(times["their command through the snippet"], 0.5) - base
    results.append(
        Result(
            "added by the snippet, p50",
            added,
            "ms",
            target=f"<= {ADDED_TARGET_MS}",
            ok=added <= ADDED_TARGET_MS,
        )
    )
    print_table(f"status line: {args.runs} runs of each row ({kept} file kept)", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
