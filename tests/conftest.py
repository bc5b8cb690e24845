"""Suite-wide fixtures: every standard directory points into a temp folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Every test that drives the real Claude CLI (marked e2e) fails at its time limit, never hangs.
pytest_plugins = ["tests.support.hang_guard"]

# Headless Qt unless a test starts its own X server; qasync must pick PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["QT_API"] = "pyside6"


@pytest.fixture(autouse=True)
def isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """No test reads or writes the real ~/.config, ~/.local or ~/.claude."""
    root = tmp_path_factory.mktemp("xdg")
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ):
        (root / sub).mkdir(mode=0o700)
        monkeypatch.setenv(var, str(root / sub))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(root / "claude"))
    yield root


# Fixtures that start the real Claude CLI: a test using one is an e2e test, marked or not
# (and so gets the hang guard).
REAL_CLI_FIXTURES = {"claude_pane", "fake_api"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if REAL_CLI_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
