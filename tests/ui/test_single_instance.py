"""Single instance: a second launch exits 0 with one line and the first is asked to raise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QLockFile
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from desktop.ui.single_instance import SingleInstance, instance_key, raise_main_windows, runtime_dir
from tests.support.app_process import REPO, AppProcess, free_port


def launch(data_dir: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_API": "pyside6"}
    argv = [sys.executable, "-m", "desktop", "--data-dir", str(data_dir)]
    argv += ["--port", str(free_port()), *extra]
    return subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_a_second_launch_exits_zero_and_the_first_raises_its_window(
    qtbot: QtBot, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    first = SingleInstance(data_dir)
    assert first.acquire()
    window = QMainWindow()
    qtbot.addWidget(window)
    window.showMinimized()
    first.raise_requested.connect(raise_main_windows)
    try:
        with qtbot.waitSignal(first.raise_requested, timeout=30_000):
            second = launch(data_dir)
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=30_000)
    finally:
        first.release()
    out, err = second.communicate()
    assert second.returncode == 0, err
    assert out.splitlines() == ["claude-rpg is already running; brought its window forward."]
    assert not window.isMinimized() and window.isVisible()
    # The second launch went no further: no database, no listener of its own.
    assert not (data_dir / "claude-rpg.sqlite3").exists()


def test_a_second_launch_next_to_a_headless_app(tmp_path: Path) -> None:
    app = AppProcess(tmp_path / "data").start()
    try:
        second = launch(app.data_dir, "--headless")
        out, err = second.communicate(timeout=30)
        assert second.returncode == 0, err
        assert out.splitlines() == [
            "claude-rpg is already running headless for this data dir; it has no window."
        ]
        assert app.get("/api/health")["status"] == "ok"
    finally:
        assert app.stop() == 0


def test_a_crashed_first_instance_does_not_block_the_next(tmp_path: Path) -> None:
    app = AppProcess(tmp_path / "data").start()
    app.stop(signal.SIGKILL)
    assert any(runtime_dir().glob(f"{instance_key(app.data_dir)}.*"))
    app.start()
    assert app.get("/api/health")["status"] == "ok"
    assert app.stop() == 0


def test_each_data_dir_has_its_own_instance(tmp_path: Path) -> None:
    one, two = SingleInstance(tmp_path / "one"), SingleInstance(tmp_path / "two")
    try:
        assert one.acquire() and two.acquire()
        assert not SingleInstance(tmp_path / "one").acquire()
    finally:
        one.release()
        two.release()
    again = SingleInstance(tmp_path / "one")
    assert again.acquire()
    again.release()


def test_a_holder_that_does_not_answer_is_reported(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    # The lock is taken but nobody listens: a first instance stuck before it could listen.
    lock = QLockFile(str(runtime_dir() / f"{instance_key(data_dir)}.lock"))
    lock.setStaleLockTime(0)
    assert lock.tryLock(0)
    try:
        second = launch(data_dir)
        out, err = second.communicate(timeout=60)
    finally:
        lock.unlock()
    assert second.returncode == 1
    assert out == ""
    assert "does not answer; wait a few seconds and try again" in err
