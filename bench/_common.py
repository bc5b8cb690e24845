"""Shared parts of the benchmarks: percentiles, the result table, the machine, process stats,
stand-in `claude` panes in a private tmux, the isolated environment the app runs in, and a
private X display with a tray host.

Every address is 127.0.0.1, every tmux server is private, and nothing here reads or writes
the user's settings, logs, D-Bus session or Claude files.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.private_tmux import PrivateTmux  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- the table every script prints ------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One measured figure, its target and the same figure for the same-run baseline."""

    metric: str
    measured: float
    unit: str
    target: str = ""  # e.g. "<= 1" (in unit); empty when the row only compares
    ok: bool | None = None  # None: no target for this row
    baseline: float | None = None
    baseline_name: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.measured / self.baseline


def _number(value: float) -> str:
    if value != value:  # nan
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def print_table(title: str, results: list[Result]) -> None:
    """Print rows of metric | target | measured | baseline | ratio | verdict."""
    rows = [("metric", "target", "measured", "baseline (same run)", "ratio", "verdict")]
    for r in results:
        base = (
            f"{_number(r.baseline)} {r.unit} ({r.baseline_name})" if r.baseline is not None else ""
        )
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else ""
        verdict = {None: "", True: "ok", False: "MISSED"}[r.ok]
        target = f"{r.target} {r.unit}" if r.target else ""
        rows.append((r.metric, target, f"{_number(r.measured)} {r.unit}", base, ratio, verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(f"\n{title}")
    for n, row in enumerate(rows):
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))
    print_load("at the end")


def print_machine() -> None:
    """One line that says where the numbers were measured, and how busy the machine is."""
    info = machine()
    print(
        f"machine: {info['cpu']} x{info['nproc']}, {info['ram']}, Python {info['python']}, "
        f"PySide6 {info['pyside6']}, {info['tmux']}, Linux {info['kernel']}"
    )
    print_load("at the start")


def print_load(when: str) -> None:
    """Other work on the machine moves the absolute numbers (the ratios less): say how much."""
    one, five, _ = os.getloadavg()
    print(f"load average {when}: {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs")


def machine() -> dict[str, str]:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.partition(":")[2].strip()
            break
    ram_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            ram_kb = int(line.split()[1])
    try:
        from PySide6 import __version__ as pyside6
    except ImportError:
        pyside6 = "not installed"
    tmux = subprocess.run(["tmux", "-V"], capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "ram": f"{ram_kb / 1024 / 1024:.1f} GiB RAM",
        "python": platform.python_version(),
        "pyside6": pyside6,
        "tmux": tmux or "tmux missing",
        "kernel": platform.release(),
    }


# --- a process as the OS accounts it ------------------------------------------------------


def cpu_seconds(pid: int, children: bool = True) -> float:
    """User + system CPU of a process, plus its reaped children's (its tmux calls) if asked."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    used = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        used += int(fields[13]) + int(fields[14])  # cutime, cstime
    return used / CLOCK_TICKS


def cpu_of(pids: list[int], children: bool = True) -> float:
    """CPU seconds of these processes together (one that has ended counts nothing)."""
    total = 0.0
    for pid in pids:
        with suppress(OSError):
            total += cpu_seconds(pid, children=children)
    return total


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a whole process in MiB: VmRSS and VmHWM."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


# --- what the app runs in -----------------------------------------------------------------


def isolated_env(root: Path, display: str | None = None) -> dict[str, str]:
    """The environment for the app: its settings, logs and Claude dir under root, no D-Bus.

    Without a session bus the app's notifier falls back to tray balloons, so no benchmark
    ever reaches the user's desktop; display picks a private X server (Qt's xcb platform),
    else Qt draws offscreen.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DBUS_SESSION_BUS_ADDRESS", "WAYLAND_DISPLAY", "DISPLAY", "TMUX", "TMUX_PANE")
    }
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        env[name] = str(root / name.lower())
    env["CLAUDE_CONFIG_DIR"] = str(root / "claude-config")
    env["QT_API"] = "pyside6"
    if display is not None:
        env["DISPLAY"] = display
    env["QT_QPA_PLATFORM"] = "xcb" if display is not None else "offscreen"
    return env


def stand_in_claude(folder: Path) -> Path:
    """A copy of sleep named `claude`: tmux and /proc see a Claude process that never hooks."""
    target = folder / "bin" / "claude"
    target.parent.mkdir(parents=True, exist_ok=True)
    sleep = shutil.which("sleep") or "/bin/sleep"
    shutil.copy(sleep, target)
    return target


def claude_panes(tmux: PrivateTmux, count: int, claude: Path) -> list[str]:
    """Open count windows that run the stand-in claude; return their pane ids."""
    return [tmux.new_window([str(claude), "86400"]) for _ in range(count)]


# --- a private X display with a tray host ---------------------------------------------------


def _free_display() -> int:
    for n in range(140, 400):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number between :140 and :399; close some Xvfb")


def x_tree(display: str) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DISPLAY": display}
    return subprocess.run(
        ["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True, timeout=10
    ).stdout


def have_x_tools() -> bool:
    return all(shutil.which(tool) for tool in ("Xvfb", "trayer", "xwininfo"))


@contextmanager
def private_display(timeout: float = 10.0) -> Iterator[str | None]:
    """A private Xvfb with trayer docked in it; yields its DISPLAY (None: tools missing).

    Without Xvfb, trayer and xwininfo (Debian: xvfb trayer x11-utils) the scripts fall back
    to the offscreen platform, which has no tray, and say so.
    """
    if not have_x_tools():
        yield None
        return
    display = f":{_free_display()}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    trayer: subprocess.Popen[bytes] | None = None
    try:
        socket = Path(f"/tmp/.X11-unix/X{display[1:]}")
        deadline = time.monotonic() + timeout
        while not socket.exists():
            if time.monotonic() > deadline or xvfb.poll() is not None:
                raise RuntimeError(f"Xvfb {display} did not start within {timeout} s")
            time.sleep(0.02)
        trayer = subprocess.Popen(
            [
                *("trayer", "--edge", "top", "--align", "right", "--height", "24"),
                *("--widthtype", "request", "--SetDockType", "true"),
            ],
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DISPLAY": display},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while '"panel"' not in x_tree(display):
            if time.monotonic() > deadline or trayer.poll() is not None:
                raise RuntimeError(f"trayer did not dock on {display} within {timeout} s")
            time.sleep(0.02)
        yield display
    finally:
        for proc in (trayer, xvfb):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(5)
