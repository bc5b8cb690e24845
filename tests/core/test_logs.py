"""The log: terminal plus a rotating file in the XDG state dir (or the --data-dir's logs/)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop import __version__, logs
from desktop.logs import (
    KEPT_LOG_FILES,
    LOG_FILE_NAME,
    MAX_LOG_BYTES,
    current_log_file,
    default_log_dir,
    log_dir_for,
    setup_logging,
)
from tests.support.app_process import AppProcess

log = logging.getLogger("tests.logs")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    yield
    setup_logging(False)  # closes the file handler a test opened


def test_the_log_lives_in_the_xdg_state_dir(isolated_dirs: Path, tmp_path: Path) -> None:
    assert default_log_dir() == isolated_dirs / "state" / "claude-rpg" / "log"
    assert log_dir_for(None) == default_log_dir()
    assert log_dir_for(tmp_path / "d") == tmp_path / "d" / "logs"


def test_info_goes_to_the_file_and_debug_only_when_verbose(tmp_path: Path) -> None:
    path = setup_logging(False, tmp_path / "logs")
    assert path == tmp_path / "logs" / LOG_FILE_NAME == current_log_file()
    log.info("an info line")
    log.debug("a debug line")
    setup_logging(True, tmp_path / "logs")
    log.debug("a verbose debug line")
    text = path.read_text()
    assert "INFO tests.logs: an info line" in text
    assert "a debug line" not in text
    assert "DEBUG tests.logs: a verbose debug line" in text


def test_setting_up_twice_does_not_double_lines(tmp_path: Path) -> None:
    setup_logging(False, tmp_path)
    path = setup_logging(False, tmp_path)
    assert path is not None
    log.info("once")
    assert path.read_text().count("once") == 1
    ours = [h for h in logging.getLogger().handlers if isinstance(h, logs._OurHandler)]
    assert len(ours) == 2  # the terminal and the file


def test_the_file_rotates_and_keeps_a_bounded_number(tmp_path: Path) -> None:
    path = setup_logging(False, tmp_path)
    assert path is not None
    line = "x" * 1000
    for _ in range((KEPT_LOG_FILES + 2) * MAX_LOG_BYTES // 1000):
        log.info(line)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [LOG_FILE_NAME] + [f"{LOG_FILE_NAME}.{i}" for i in range(1, KEPT_LOG_FILES + 1)]
    assert all(p.stat().st_size <= MAX_LOG_BYTES for p in tmp_path.iterdir())


def test_an_unwritable_log_dir_falls_back_to_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert setup_logging(False, blocker / "logs") is None
    assert current_log_file() is None
    err = capsys.readouterr().err
    assert f"cannot write the log file {blocker / 'logs' / LOG_FILE_NAME}" in err
    assert "logging to the terminal only" in err
    log.warning("still heard")
    assert "still heard" in capsys.readouterr().err


def test_the_app_writes_its_log_under_its_data_dir(tmp_path: Path) -> None:
    app = AppProcess(tmp_path / "data").start()
    assert app.stop() == 0
    text = (tmp_path / "data" / "logs" / LOG_FILE_NAME).read_text()
    assert f"claude-rpg {__version__} started" in text and "claude-rpg stopped" in text


def test_every_log_file_is_readable_by_the_user_only(tmp_path: Path) -> None:
    """The log names folders and commands: 0600 from the first line and after each rollover,
    even under a umask that would make them world-readable."""
    old = os.umask(0o022)
    try:
        path = setup_logging(False, tmp_path)
        assert path is not None
        for _ in range(2 * MAX_LOG_BYTES // 1000 + 1):
            log.info("x" * 1000)
    finally:
        os.umask(old)
    files = sorted(tmp_path.iterdir())
    assert len(files) >= 3  # the file and at least two rolled over
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}
