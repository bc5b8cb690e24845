"""The plan's limits (constructed: the fake API is no plan): strip, tray line, one notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pytestqt.qtbot import QtBot

from desktop.core.usage.status_reader import PlanLimits, RateLimit
from desktop.ui.notify import Notice
from desktop.ui.plan_limits import OK_COLORS, WARN_COLORS, PlanLimitAlert, limits_text
from desktop.ui.shell import DesktopShell
from desktop.ui.window import MainWindow
from tests.ui.fakes import FakeBridge, FakeTrayIcon, RecordingNotifications

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
NEXT_WEEK = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)


def limits(five: float, seven: float, five_resets: datetime = SOON) -> PlanLimits:
    return PlanLimits(RateLimit(five, five_resets), RateLimit(seven, NEXT_WEEK), 1.0)


def test_the_strip_shows_each_window_and_warns_past_the_threshold(
    qtbot: QtBot, window: MainWindow, bridge: FakeBridge
) -> None:
    strip = window.plan_limits
    assert not strip.isVisible()  # no plan reported: nothing over the cards
    bridge.set_limits(limits(42, 91))
    assert strip.isVisible()
    five_label, five_bar = strip.meters["five_hour"]
    seven_label, seven_bar = strip.meters["seven_day"]
    soon = SOON.astimezone().strftime("%H:%M")
    assert five_label.text() == f"5-hour 42% · resets {soon}"
    assert seven_label.text().startswith("7-day 91% · resets ")
    assert (five_bar.fraction, five_bar.colors) == (0.42, OK_COLORS)
    assert (seven_bar.fraction, seven_bar.colors) == (0.91, WARN_COLORS)  # 90 % by default
    bridge.set_limits(None)
    assert not strip.isVisible()


def test_the_tray_tooltip_names_the_plans_windows(qtbot: QtBot, bridge: FakeBridge) -> None:
    icon = FakeTrayIcon()
    shell = DesktopShell(bridge, icon, [RecordingNotifications()])
    qtbot.addWidget(shell.window)
    try:
        assert "Plan:" not in icon.tooltip
        bridge.set_limits(limits(42, 12))
        soon = SOON.astimezone().strftime("%H:%M")
        assert f"Plan: 5-hour 42% (resets {soon}) · 7-day 12% (resets " in icon.tooltip
    finally:
        shell.close()
    assert limits_text(None) == ""


def test_one_notice_per_window_until_it_resets(qtbot: QtBot, bridge: FakeBridge) -> None:
    shown: list[Notice] = []
    alert = PlanLimitAlert(bridge, lambda: 80, lambda n: shown.append(n) or True)
    bridge.set_limits(limits(50, 20))
    assert shown == []
    bridge.set_limits(limits(85, 20))
    [notice] = shown
    assert notice.title == "Claude plan: 5-hour limit at 85%"
    assert notice.body.startswith("Your 5-hour window is 85% used, resets ")
    bridge.set_limits(limits(95, 20))  # the same window: no second notice
    assert len(shown) == 1
    bridge.set_limits(limits(88, 20, five_resets=SOON + timedelta(hours=5)))  # a new window
    assert len(shown) == 2
    off = PlanLimitAlert(bridge, lambda: 0, lambda n: shown.append(n) or True)
    assert off.check() == [] and alert.notified
