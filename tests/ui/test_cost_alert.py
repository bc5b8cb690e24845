"""Today's estimated cost: the tray tooltip, one notice when it crosses the threshold, Settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from PySide6.QtWidgets import QDoubleSpinBox
from pytestqt.qtbot import QtBot

from desktop.config import Settings, SettingsStore, from_toml, load_settings, to_toml
from desktop.ui.cost_alert import CostAlert, cost_text
from desktop.ui.notify import Kind, Notice
from desktop.ui.settings_dialog import SettingsDialog
from desktop.ui.shell import DesktopShell
from desktop.ui.tray import tooltip_text
from tests.ui.fakes import FakeBridge, FakeTrayIcon, RecordingNotifications


class Clock:
    def __init__(self) -> None:
        self.day = date(2026, 12, 4)

    def __call__(self) -> date:
        return self.day


@pytest.fixture
def shown() -> list[Notice]:
    return []


def alert(bridge: FakeBridge, shown: list[Notice], limit: float, clock: Clock) -> CostAlert:
    def notify(notice: Notice) -> bool:
        shown.append(notice)
        return True

    return CostAlert(bridge, lambda: limit, notify, today=clock)


def test_one_notice_when_the_cost_crosses_the_threshold(
    qtbot: QtBot, bridge: FakeBridge, shown: list[Notice]
) -> None:
    clock = Clock()
    bridge.cost = 1.0
    watching = alert(bridge, shown, 5.0, clock)
    bridge.set_cost(4.99)
    assert shown == []
    bridge.set_cost(5.20)
    [notice] = shown
    assert notice.kind is Kind.COST and notice.pane_id is None
    assert notice.title == "Today's Claude cost passed $5.00"
    assert "About $5.20 so far today (an estimate" in notice.body
    bridge.set_cost(7.0)  # still over: no second notice today
    assert len(shown) == 1
    clock.day += timedelta(days=1)  # a new day starts under the threshold again
    bridge.set_cost(0.5)
    bridge.set_cost(6.0)
    assert len(shown) == 2
    assert watching.notified_on == clock.day


def test_no_notice_when_already_over_at_start_or_switched_off(
    qtbot: QtBot, bridge: FakeBridge, shown: list[Notice]
) -> None:
    clock = Clock()
    bridge.cost = 9.0
    restarted = alert(bridge, shown, 5.0, clock)  # the app restarted after the day's notice
    bridge.set_cost(9.5)
    assert shown == [] and restarted.notified_on == clock.day
    off = FakeBridge()
    off.cost = 0.0
    switched_off = alert(off, shown, 0.0, clock)
    off.set_cost(1_000.0)
    assert shown == [] and switched_off.notified_on is None


def test_the_tray_tooltip_says_todays_estimated_cost(qtbot: QtBot, bridge: FakeBridge) -> None:
    assert tooltip_text([], 1.234) == (
        "claude-rpg: no Claude sessions in tmux\nToday: about $1.23 (estimate)"
    )
    assert tooltip_text([], None) == "claude-rpg: no Claude sessions in tmux"
    assert cost_text(0.001) == "<$0.01" and cost_text(1234.5) == "$1,234.50"
    icon = FakeTrayIcon()
    bridge.cost = 0.25
    shell = DesktopShell(bridge, icon, [RecordingNotifications()])
    qtbot.addWidget(shell.window)
    try:
        assert icon.tooltip.endswith("Today: about $0.25 (estimate)")
        bridge.set_cost(3.5)
        assert icon.tooltip.endswith("Today: about $3.50 (estimate)")
    finally:
        shell.close()


@pytest.fixture
def store(tmp_path: object) -> Iterator[SettingsStore]:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    yield SettingsStore(tmp_path / "settings.toml")


def test_settings_keep_the_threshold_and_price_overrides(
    qtbot: QtBot, store: SettingsStore
) -> None:
    dialog = SettingsDialog(store)
    qtbot.addWidget(dialog)
    spin = dialog.findChild(QDoubleSpinBox, "dailyCostAlert")
    assert spin is not None and spin.value() == 0 and spin.text() == "off"
    spin.setValue(12.5)
    dialog.accept()
    assert store.current.daily_cost_alert_usd == 12.5
    assert load_settings(store.path).daily_cost_alert_usd == 12.5
    priced = Settings(prices=(("claude-opus-4-8", 5.0, 25.0, 0.5, 6.25),))
    text = to_toml(priced)
    assert "[usage.prices.claude-opus-4-8]" in text
    assert from_toml(text) == priced
    assert from_toml(
        '[usage.prices."my-model"]\ninput = 1\noutput = 2\ncache_read = 0\ncache_write = 0\n'
    ).prices == (("my-model", 1.0, 2.0, 0.0, 0.0),)
    for bad in (
        "[usage]\ndaily_cost_alert_usd = -1\n",
        '[usage]\ndaily_cost_alert_usd = "ten"\n',
        '[usage.prices."m"]\ninput = 1\n',
        "[usage]\nprices = 3\n",
    ):
        with pytest.raises(Exception, match=r"cost alert|price"):
            from_toml(bad)
