"""What one poll tick costs as panes are added: tmux processes, tmux commands, time and CPU.

A private tmux server with 1, 10 and 50 panes of a stand-in process named `claude` (a copy
of sleep), plus the server's first pane (`cat`, not Claude). Three pollers see the same
panes, interleaved tick by tick so machine load hits them alike:

  ours, session files  the app's detect(): one list-panes, a /proc scan, and each Claude
                       pane's sessions/<pid>.json (as Claude Code 2.1 writes it; here the
                       bench writes it for the stand-in)
  ours, screens        the same without session files: the app then reads each Claude
                       pane's screen, riding along in the same tmux invocation
  baseline             the original claude-rpg design: list-panes, then one capture-pane
                       per Claude pane per tick (the same /proc reading as ours)

tmux invocations and commands are counted by a `tmux` shim first on PATH that logs its
argv and execs the real tmux; time and CPU are measured in a second pass without the shim.
CPU counts this process, its tmux children and the tmux server. Target (issue 8): tmux
calls per tick stay constant as panes are added. Exits non-zero only when a poller did not
find every Claude pane.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import stat
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from _common import (
    PrivateTmux,
    Result,
    cpu_seconds,
    percentile,
    print_machine,
    print_table,
    stand_in_claude,
)

from desktop.core.tmux.client import TmuxClient
from desktop.core.tmux.detection import pane_runs_claude
from desktop.core.tmux.poller import DetectContext, detect
from desktop.core.tmux.procs import ProcessTable

PANE_COUNTS = (1, 10, 50)
Poller = Callable[[], int]  # one tick; returns how many Claude panes it found


def baseline_tick(client: TmuxClient) -> int:
    """The original design: list the panes, then capture each Claude pane on its own."""
    listing = client.list_panes()
    procs = ProcessTable.for_panes()
    found = 0
    for raw in listing.panes:
        runs, _proc = pane_runs_claude(raw, procs)
        if runs:
            client.capture(raw.pane_id)
            found += 1
    return found


def ours_tick(client: TmuxClient, context: DetectContext) -> int:
    return len(detect(client, context=context).panes)


def write_session_file(config: Path, pid: int) -> None:
    """What Claude Code 2.1 keeps in <config>/sessions/<pid>.json while it runs."""
    sessions = config / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    now_ms = int(time.time() * 1000)
    data = {"pid": pid, "sessionId": str(uuid.uuid4()), "status": "idle", "updatedAt": now_ms}
    (sessions / f"{pid}.json").write_text(json.dumps(data))


def install_shim(folder: Path, log: Path) -> Path:
    """A `tmux` that logs each invocation's argv (one line, fields split by \\x1f) and execs."""
    real = shutil.which("tmux")
    if real is None:
        raise SystemExit("tmux is not installed: install it (e.g. apt install tmux)")
    shim = folder / "tmux"
    shim.write_text(
        "#!/bin/sh\n"
        f"printf '%s\\037' \"$@\" >> '{log}'\n"
        f"printf '\\n' >> '{log}'\n"
        f'exec {real} "$@"\n'
    )
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return folder


def count_calls(log: Path) -> tuple[int, int]:
    """(tmux processes, tmux commands) logged so far; `;` separates commands in one call."""
    if not log.exists():
        return 0, 0
    lines = [line for line in log.read_text().splitlines() if line]
    commands = sum(line.split("\x1f").count(";") + 1 for line in lines)
    return len(lines), commands


def tmux_server_pid(tmux: PrivateTmux) -> int:
    return int(tmux.run("display-message", "-p", "#{pid}").strip())


def process_cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure(pane_count: int, ticks: int, root: Path) -> dict[str, dict[str, float]]:
    """Per poller: processes/tick, commands/tick, wall ms/tick (p50, p95), CPU ms/tick."""
    claude = stand_in_claude(root)
    config = root / f"claude-config-{pane_count}"
    out: dict[str, dict[str, float]] = {}
    with PrivateTmux() as tmux:
        for _ in range(pane_count):
            pane = tmux.new_window([str(claude), "86400"], env={"CLAUDE_CONFIG_DIR": str(config)})
            write_session_file(config, int(tmux.pane_info(pane)["pane_pid"]))
        client = TmuxClient(str(tmux.socket_path))
        with_files = DetectContext()
        without_files = DetectContext()
        hide_session_files(without_files, root / "no-claude-config")
        pollers: dict[str, Poller] = {
            "ours, session files": lambda: ours_tick(client, with_files),
            "ours, screens": lambda: ours_tick(client, without_files),
            "baseline": lambda: baseline_tick(client),
        }
        for poll in pollers.values():
            poll()  # warm: the first tick learns which screens to read
        server = tmux_server_pid(tmux)
        shim_dir = root / "shim"
        shim_dir.mkdir(exist_ok=True)
        path = os.environ["PATH"]
        for name, poll in pollers.items():
            log = shim_dir / f"{name}-{pane_count}.log"
            os.environ["PATH"] = f"{install_shim(shim_dir, log)}:{path}"
            try:
                seen = [poll() for _ in range(ticks)]
            finally:
                os.environ["PATH"] = path
            if set(seen) != {pane_count}:
                raise SystemExit(f"BROKEN: {name} found {sorted(set(seen))} of {pane_count} panes")
            processes, commands = count_calls(log)
            out[name] = {"processes": processes / ticks, "commands": commands / ticks}
        walls: dict[str, list[float]] = {name: [] for name in pollers}
        cpus: dict[str, float] = dict.fromkeys(pollers, 0.0)
        for _ in range(ticks):
            for name, poll in pollers.items():
                cpu0, server0, t0 = process_cpu(), cpu_seconds(server), time.perf_counter()
                poll()
                walls[name].append((time.perf_counter() - t0) * 1e3)
                cpus[name] += process_cpu() - cpu0 + cpu_seconds(server) - server0
        for name in pollers:
            out[name]["wall_p50"] = percentile(walls[name], 0.5)
            out[name]["wall_p95"] = percentile(walls[name], 0.95)
            out[name]["cpu"] = cpus[name] * 1e3 / ticks
    return out


def hide_session_files(context: DetectContext, empty_config: Path) -> None:
    """Make a context look for session files where there are none (Claude without them)."""
    empty_config.mkdir(parents=True, exist_ok=True)

    def nowhere(pid: int, start_ticks: int | None) -> Path:
        return empty_config

    context.claude_dir = nowhere  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=30, help="ticks per poller and pane count")
    args = parser.parse_args()
    print_machine()
    print(f"processes on this machine: {sum(1 for p in os.listdir('/proc') if p.isdigit())}")
    runs: dict[int, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        for count in PANE_COUNTS:
            runs[count] = measure(count, args.ticks, Path(tmp))
    first, last = PANE_COUNTS[0], PANE_COUNTS[-1]
    results: list[Result] = []
    for count in PANE_COUNTS:
        base = runs[count]["baseline"]
        where = f"{count:>2} pane{'s' if count != 1 else ' '}"
        for name in ("ours, session files", "ours, screens"):
            ours = runs[count][name]
            constant = ours["processes"] == runs[first][name]["processes"]
            results += [
                Result(
                    f"{where}, {name}: tmux processes/tick",
                    ours["processes"],
                    "",
                    f"== {runs[first][name]['processes']:g} (as at {first} pane)",
                    constant,
                    base["processes"],
                    "baseline",
                ),
                Result(
                    f"{where}, {name}: tmux commands/tick",
                    ours["commands"],
                    "",
                    baseline=base["commands"],
                    baseline_name="baseline",
                ),
                Result(
                    f"{where}, {name}: ms/tick p50",
                    ours["wall_p50"],
                    "ms",
                    baseline=base["wall_p50"],
                    baseline_name="baseline",
                ),
                Result(
                    f"{where}, {name}: CPU ms/tick",
                    ours["cpu"],
                    "ms",
                    baseline=base["cpu"],
                    baseline_name="baseline",
                ),
            ]
    print_table(
        f"poll cost per tick, {args.ticks} ticks each (CPU: this process, its tmux calls and "
        "the tmux server)",
        results,
    )
    growth = runs[last]["ours, session files"]["cpu"] / runs[first]["ours, session files"]["cpu"]
    print(f"\nCPU per tick from {first} to {last} panes, ours with session files: x{growth:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
