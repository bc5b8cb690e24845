"""The persona page's tokens and cost: the summary line, one bar a day, each session's share."""

from __future__ import annotations

from datetime import date, timedelta

from pytestqt.qtbot import QtBot

from desktop.core.usage.views import PersonaUsage, SessionUsage, Tokens, UsageDay
from desktop.ui.persona_page import PersonaPageDialog
from desktop.ui.usage_chart import day_tip, tokens_text
from desktop.ui.window import MainWindow
from tests.ui.fakes import FakeBridge
from tests.ui.test_persona_page import OTTER, open_by_double_click, otter_page

TODAY = date(2026, 12, 4)


def tokens(n: int, cost: float) -> Tokens:
    return Tokens(n, 10 * n, 100 * n, 1000 * n, cost_usd=cost, replies=n)


def otter_usage(last_cost: float = 3.0) -> tuple[PersonaUsage, list[UsageDay]]:
    costs = [0.0, 1.5, 0.0, last_cost]
    days = [
        UsageDay(TODAY - timedelta(days=3 - i), tokens(100 * i, c), turns=i)
        for i, c in enumerate(costs)
    ]
    sessions = (
        SessionUsage("s-otter", ("claude-opus-4-8",), tokens(300, 4.0), tokens(20, 0.2)),
        SessionUsage("s-otter-after-clear", ("claude-opus-4-8",), tokens(20, 0.5), Tokens()),
    )
    total = tokens(320, 4.5)
    return PersonaUsage(total, tokens(20, 0.2), turns=9, subagents=1, sessions=sessions), days


def test_the_page_shows_tokens_cost_per_day_and_per_session(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    bridge.pages[OTTER.id] = otter_page()
    bridge.usage[OTTER.id] = otter_usage()
    dialog = open_by_double_click(qtbot, bridge, window)
    view = dialog.view
    assert view is not None
    line = view.usage_line.text()
    assert line.startswith("320 input · 3.2k output · 32.0k cache read · 320.0k cache write")
    assert "9 turns, 1 subagents (22.2k tokens); about $4.50 (prices as of " in line
    chart = view.usage_chart
    assert [d.cost_usd for d in chart.days] == [0.0, 1.5, 0.0, 3.0]
    heights = [chart.bar_rect(i).height() for i in range(4)]
    assert heights[0] == heights[2] == 0 and heights[3] == chart.plot_rect().height()
    assert abs(heights[1] * 2 - heights[3]) < 1.0  # bars in proportion to the cost
    assert [label.text() for label in view.session_usage] == [
        "333.3k tokens · about $4.00",
        "22.2k tokens · about $0.50",
    ]
    tip = day_tip(chart.days[3])
    assert "300 input · 3.0k output tokens" in tip and "3 turns · about $3.00 (estimate)" in tip
    assert tokens_text(999) == "999" and tokens_text(4_500_000) == "4.5M"


def test_the_open_page_follows_new_usage(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    bridge.pages[OTTER.id] = otter_page()
    bridge.usage[OTTER.id] = otter_usage()
    dialog: PersonaPageDialog = open_by_double_click(qtbot, bridge, window)
    bridge.usage[OTTER.id] = otter_usage(last_cost=6.0)
    bridge.set_cost(6.0)  # usage_changed: the page reads its usage again
    qtbot.waitUntil(
        lambda: dialog.view is not None and dialog.view.usage_chart.days[-1].cost_usd == 6.0
    )


def test_a_persona_without_usage_gets_a_sentence(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    bridge.pages[OTTER.id] = otter_page()
    dialog = open_by_double_click(qtbot, bridge, window)
    assert dialog.view is not None
    assert dialog.view.usage_line.text().startswith("No tokens counted yet")
    assert dialog.view.usage_chart.days == ()
