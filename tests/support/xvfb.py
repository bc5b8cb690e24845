"""A private X display (Xvfb) for tests that run the real windowed app and act as a user."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_display(low: int = 400, high: int = 600) -> int:
    """A display number no X server uses (above the ranges the tray tests and bench take)."""
    for n in range(low, high):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError(f"no free X display number between :{low} and :{high - 1}")


def need_tools(*tools: str) -> None:
    """Skip (fail under CI, which must install them: see .ci/run) when a tool is missing."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must install {', '.join(missing)} (see .ci/run)")
    pytest.skip(f"needs {', '.join(missing)} (Debian: xvfb xdotool imagemagick)")


@contextmanager
def private_display(size: str = "1280x900x24") -> Iterator[dict[str, str]]:
    """An Xvfb of its own; yields the environment for a process to run on it (xcb)."""
    need_tools("Xvfb")
    n = free_display()
    xvfb = subprocess.Popen(
        ["Xvfb", f":{n}", "-screen", "0", size, "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{n}").exists():
            assert xvfb.poll() is None, f"Xvfb :{n} exited at start"
            assert time.monotonic() < deadline, f"Xvfb :{n} did not start within 10 s"
            time.sleep(0.05)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DBUS_SESSION_BUS_ADDRESS", "WAYLAND_DISPLAY")
        }
        env.update(DISPLAY=f":{n}", QT_QPA_PLATFORM="xcb")
        yield env
    finally:
        xvfb.terminate()
        xvfb.wait(5)


def x_run(env: dict[str, str], *args: str, timeout: float = 20.0) -> str:
    """Run an X client (xdotool, import) on the display; its stdout."""
    done = subprocess.run(
        list(args), env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(args)}: {done.stderr}"
    return done.stdout


def find_window(env: dict[str, str], title: str, timeout: float = 20.0) -> str | None:
    """The id of a mapped window whose title contains `title`, once there is one."""
    deadline = time.monotonic() + timeout
    while True:
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", title],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        ids = found.stdout.split()
        if ids:
            return ids[0]
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


def geometry(env: dict[str, str], window: str) -> dict[str, int]:
    """A window's X, Y, WIDTH and HEIGHT on the screen."""
    out = x_run(env, "xdotool", "getwindowgeometry", "--shell", window)
    return {k: int(v) for k, v in (line.split("=", 1) for line in out.split()) if k != "SCREEN"}


def screenshot(env: dict[str, str], path: Path) -> Path:
    """The whole screen as a PNG (ImageMagick's `import`), for a person to look at."""
    x_run(env, "import", "-window", "root", str(path))
    return path
