"""Suite-wide fixtures: every standard directory points into a temp folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
