"""UI fixtures: a fake bridge, and the real window built on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.ui.window import MainWindow
from tests.ui.fakes import FakeBridge

# The offscreen platform says these when a window with size limits is shown or raised;
# it is about the platform plugin, not about our widgets (xcb has no such message).
OFFSCREEN_NOISE = r"This plugin does not support (propagateSizeHints|raise)\(\)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture
def bridge() -> FakeBridge:
    return FakeBridge()


@pytest.fixture
def window(qtbot: QtBot, bridge: FakeBridge) -> Iterator[MainWindow]:
    win = MainWindow(bridge, hide_on_close=False)
    qtbot.addWidget(win)
    win.resize(1100, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
