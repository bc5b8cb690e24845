"""What the app costs when nothing happens: CPU % of one core and peak RSS, whole process.

A private tmux server runs 20 panes of a stand-in process named `claude` (a copy of sleep:
found by name and process tree, never sends a hook, so every card waits for its identity).
These processes run side by side for the same 60 s, so machine load hits them alike:

  python idle     `python -c 'time.sleep()'`: the interpreter alone (baseline)
  bare Qt         a QApplication on the qasync loop with one shown window (baseline)
  app headless    `python -m desktop --headless`: core, listener and poller, no UI
  app, window     the whole app with its window open (and its tray icon)
  app, tray only  the whole app started --minimized: window hidden, icon in the tray

Each app polls at its default interval (1 s). The window is measured once past start-up (its
placeholders spin for their first 10 s). CPU is user + system time of the process and
of its reaped children (the tmux client calls), from /proc/<pid>/stat; peak RSS is VmHWM.
The UI runs on a private Xvfb with trayer as the tray (else offscreen, without a tray).
Targets (issue 8): at most 1 % of one core and 150 MB RSS. The script exits non-zero only
when an app did not see the panes it watches (then the numbers would mean nothing).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import (
    PrivateTmux,
    Result,
    claude_panes,
    cpu_seconds,
    isolated_env,
    memory_mb,
    print_machine,
    print_table,
    private_display,
    stand_in_claude,
)

from desktop.ui.widgets import SPIN_LIMIT_MS
from tests.support.app_process import AppProcess

CPU_TARGET = 1.0  # % of one core
RSS_TARGET = 150.0  # MiB

BARE_QT = """
import asyncio, qasync
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
window = QWidget()
window.setWindowTitle("bare Qt")
window.resize(1100, 720)
window.show()
async def forever():
    await asyncio.Event().wait()
with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
    runner.run(forever())
"""


@dataclass
class Watched:
    """One process under measurement."""

    name: str
    pid: int
    app: AppProcess | None = None
    cpu_start: float = 0.0


def panes_seen(app: AppProcess) -> int:
    return len(app.get("/api/panes"))  # with the secret, as every /api read needs


def wait_for_panes(app: AppProcess, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while panes_seen(app) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{app.url} saw fewer than {count} panes:\n{app.log()}")
        time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="measured window (60)")
    parser.add_argument("--panes", type=int, default=20, help="stand-in claude panes (20)")
    args = parser.parse_args()
    print_machine()
    with (
        tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp,
        PrivateTmux() as tmux,
        private_display() as display,
    ):
        root = Path(tmp)
        claude_panes(tmux, args.panes, stand_in_claude(root))
        env = isolated_env(root, display)
        platform = env["QT_QPA_PLATFORM"]
        print(
            f"{args.panes} stand-in claude panes, {args.seconds:.0f} s, UI on "
            + (f"a private Xvfb {display} with trayer" if display else "offscreen (no tray)")
        )
        procs = [
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1e6)"], env=env),
            subprocess.Popen([sys.executable, "-c", BARE_QT], env=env, cwd=root),
        ]
        watched = [Watched("python idle", procs[0].pid), Watched("bare Qt", procs[1].pid)]
        apps = {
            "app headless": AppProcess(root / "headless", tmux.socket_path, env=env),
            "app, window": AppProcess(
                root / "window", tmux.socket_path, env=env, headless=False, platform=platform
            ),
        }
        if display:
            apps["app, tray only"] = AppProcess(
                root / "tray",
                tmux.socket_path,
                env=env,
                headless=False,
                platform=platform,
                extra_args=["--minimized"],
            )
        for name, app in apps.items():
            app.poll_interval = 1.0
            app.start()
            assert app.proc is not None
            watched.append(Watched(name, app.proc.pid, app))
        try:
            for w in watched:
                if w.app is not None:
                    wait_for_panes(w.app, args.panes)
            # Past start-up: first paints and polls, and the placeholders' first spin (a
            # new pane's arc turns for SPIN_LIMIT_MS, then rests until the pane is seen again).
            time.sleep(SPIN_LIMIT_MS / 1000 + 2)
            for w in watched:
                w.cpu_start = cpu_seconds(w.pid)
            started = time.monotonic()
            time.sleep(args.seconds)
            elapsed = time.monotonic() - started
            cpu = {w.name: 100 * (cpu_seconds(w.pid) - w.cpu_start) / elapsed for w in watched}
            peak = {w.name: memory_mb(w.pid)[1] for w in watched}
            broken = [
                w.name for w in watched if w.app is not None and panes_seen(w.app) != args.panes
            ]
        finally:
            for app in apps.values():
                app.stop()
            for proc in procs:
                proc.terminate()
                proc.wait(10)
    results = []
    for w in watched:
        if w.app is None:
            continue
        base = "python idle" if w.name == "app headless" else "bare Qt"
        results.append(
            Result(
                f"CPU, {w.name}",
                cpu[w.name],
                "% core",
                f"<= {CPU_TARGET:g}",
                cpu[w.name] <= CPU_TARGET,
                cpu[base],
                base,
            )
        )
    for w in watched:
        if w.app is None:
            continue
        base = "python idle" if w.name == "app headless" else "bare Qt"
        results.append(
            Result(
                f"peak RSS, {w.name}",
                peak[w.name],
                "MiB",
                f"<= {RSS_TARGET:g}",
                peak[w.name] <= RSS_TARGET,
                peak[base],
                base,
            )
        )
    print_table("idle cost (CPU includes the process's tmux calls)", results)
    if broken:
        print(f"BROKEN: {', '.join(broken)} lost sight of the panes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
