"""The real tray under Xvfb with a tray host (trayer): the icon embeds and its menu opens."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

HELPER = Path(__file__).with_name("tray_host_app.py")
NEEDED = ("Xvfb", "trayer", "xwininfo")


def _missing() -> list[str]:
    return [tool for tool in NEEDED if shutil.which(tool) is None]


def free_display() -> int:
    for n in range(100, 400):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number between :100 and :399")


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s")
        time.sleep(0.05)


@pytest.fixture
def tray_display() -> Iterator[dict[str, str]]:
    """A private Xvfb display with trayer running on it; yields the environment to use."""
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must install {', '.join(missing)} (see .ci/run)")
        pytest.skip(f"needs {', '.join(missing)} (apt install xvfb trayer x11-utils)")
    n = free_display()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DBUS_SESSION_BUS_ADDRESS", "WAYLAND_DISPLAY")
    }
    env.update(DISPLAY=f":{n}", QT_QPA_PLATFORM="xcb")
    xvfb = subprocess.Popen(
        ["Xvfb", f":{n}", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    trayer = None
    try:
        _wait(lambda: Path(f"/tmp/.X11-unix/X{n}").exists(), 10, f"Xvfb :{n} did not start")
        trayer = subprocess.Popen(
            [
                "trayer",
                "--edge",
                "top",
                "--align",
                "right",
                "--height",
                "24",
                "--widthtype",
                "request",
                "--SetDockType",
                "true",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(
            lambda: (
                "trayer"
                in subprocess.run(
                    ["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True
                ).stdout.lower()
                or trayer.poll() is not None
            ),
            10,
            "trayer did not map its window",
        )
        assert trayer.poll() is None, "trayer exited at start"
        yield env
    finally:
        for proc in (trayer, xvfb):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(5)


def test_tray_icon_embeds_in_a_real_tray_host_and_its_menu_opens(
    tray_display: dict[str, str], tmp_path: Path
) -> None:
    shot = tmp_path / "tray.png"
    proc = subprocess.run(
        [sys.executable, str(HELPER), str(shot)],
        env=tray_display,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["platform"] == "xcb"
    assert report["tray_available"] is True
    assert report["icon_created"] is True
    assert report["embedded"] is True, report
    assert report["tray_widget"] is True
    assert report["x_parent_known"] is True and report["x_parent_is_root"] is False  # in trayer
    assert report["menu_opened"] is True
    assert report["menu_entries"] == [
        "Brave Otter — working (work:1.0)",
        "Claude (initializing…) — unknown (work:2.0)",
        "Leaderboard",
        "Show window",
        "Quit",
    ]
    assert report["menu_near_icon"] is True  # opened where the click was, by trayer's click
    assert report["window_visible_before_left_click"] is False
    assert report["left_click_shows_window"] is True
    assert report["tooltip"] == "claude-rpg: 1 working · 1 unknown"
    # The balloon (no notification service) shows Claude's words as written: plain text.
    assert report["balloon_available"] is True
    assert report["balloon_labels"] == [
        ["Brave Otter is done (work:1.0)", False],
        ['Bash: echo "<b>hi</b>" <img src=x> Tom &amp; Jerry', False],
    ]
