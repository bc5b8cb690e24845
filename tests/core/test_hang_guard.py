"""The hang guard: an e2e test that hangs fails at its limit with a sentence and the stacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HANGING = """
import threading
import time

import pytest


@pytest.mark.e2e
@pytest.mark.hang_limit(1)
def test_waits_forever_on_an_event() -> None:
    threading.Event().wait()


@pytest.mark.e2e
@pytest.mark.hang_limit(1)
def test_sleeps_forever() -> None:
    time.sleep(3600)


@pytest.mark.e2e
def test_quick() -> None:
    assert True


def test_not_guarded_runs_as_long_as_it_takes() -> None:
    time.sleep(1.5)
"""


def test_a_hanging_e2e_test_fails_at_its_limit_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "test_hanging.py").write_text(HANGING)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.support.hang_guard",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            "-q",
            str(tmp_path / "test_hanging.py"),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,  # far below "forever": the guard, not this timeout, ends the run
    )
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "2 failed, 2 passed" in out, out
    assert "test_waits_forever_on_an_event ran longer than 1 s and was stopped" in out
    assert "test_sleeps_forever ran longer than 1 s and was stopped" in out
    assert "most recent call first" in out  # every thread's stack (faulthandler), in the report
