"""UI fixtures: a fake bridge, and the real window built on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.ui.window import MainWindow
from tests.support.claude_session import start_claude
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.private_tmux import PrivateTmux
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


@pytest.fixture
def claude_pane(tmp_path: Path) -> Iterator[tuple[PrivateTmux, str, int]]:
    """A real claude CLI (no hooks installed) in a private tmux server, against the fake API."""
    with PrivateTmux() as tmux, FakeAnthropic() as fake:
        pane = start_claude(tmux, fake, home=tmp_path / "home", cwd=tmp_path / "project")
        yield tmux, pane, int(tmux.pane_info(pane)["pane_pid"])
