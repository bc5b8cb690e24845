"""The card's model name and context bar: 0, 79, 80 and 100 %, compacting, on a real card."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.core.model import Status
from desktop.core.usage.context import ContextUse, SessionInsight
from desktop.ui.context_meter import (
    BAR_WIDTH,
    COMPACT_COLORS,
    CONTEXT_COLORS,
    WARN_COLORS,
    ContextMeter,
)
from desktop.ui.window import MainWindow
from tests.ui.fakes import FakeBridge, pane, persona

WINDOW = 200_000


def insight(percent: float, compacting: bool = False, sid: str = "s1") -> SessionInsight:
    used = int(WINDOW * percent / 100)
    return SessionInsight(sid, "claude-opus-4-8", ContextUse(used, WINDOW), compacting)


def rendered(meter: ContextMeter) -> QImage:
    image = QImage(meter.size(), QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    meter.render(image)
    return image


def colour_at(meter: ContextMeter, fraction: float) -> QColor:
    """The colour painted at `fraction` along the bar, on its middle line."""
    bar = meter.bar_rect()
    x = int(bar.left() + min(bar.width() - 2, max(1.0, bar.width() * fraction)))
    return rendered(meter).pixelColor(x, int(bar.center().y()))


def same(a: QColor, b: str) -> bool:
    c = QColor(b)
    return max(abs(a.red() - c.red()), abs(a.green() - c.green()), abs(a.blue() - c.blue())) < 8


@pytest.mark.parametrize(
    ("percent", "shown", "warns", "filled_to"),
    [
        (0, "0%", False, 0.0),
        (79.9, "79%", False, 0.79),
        (80, "80%", True, 0.80),
        (100, "100%", True, 1.0),
    ],
)
def test_the_bar_fills_to_the_percent_and_warns_from_80(
    qtbot: QtBot, percent: float, shown: str, warns: bool, filled_to: float
) -> None:
    meter = ContextMeter()
    qtbot.addWidget(meter)
    meter.set_insight(insight(percent))
    meter.show()
    assert (meter.model_text, meter.figure_text, meter.warns) == ("Opus 4.8", shown, warns)
    light = 0  # the test palette is light
    fill = (WARN_COLORS if warns else CONTEXT_COLORS)[light]
    assert meter.fill_color() == QColor(fill)
    if filled_to > 0.05:
        # Filled up to the percent, in the warning colour from 80 % on.
        assert same(colour_at(meter, filled_to - 0.04), fill)
    if filled_to < 0.95:
        # Past the percent the bar is the empty track.
        assert not same(colour_at(meter, filled_to + 0.05), fill)
        assert not same(colour_at(meter, filled_to + 0.05), CONTEXT_COLORS[light])
    tip = meter.toolTip()
    assert f"Context: {int(WINDOW * percent / 100):,} of 200,000 tokens ({shown})" in tip
    assert ("Close to the limit" in tip) is warns


def test_compacting_shows_stripes_and_says_so(qtbot: QtBot) -> None:
    meter = ContextMeter()
    qtbot.addWidget(meter)
    meter.set_insight(insight(85, compacting=True))
    meter.show()
    assert (meter.figure_text, meter.compacting) == ("compacting", True)
    assert meter.fill_color() == QColor(COMPACT_COLORS[0])
    image = rendered(meter)
    bar = meter.bar_rect()
    y = int(bar.center().y())
    row = [image.pixelColor(x, y) for x in range(int(bar.left()) + 2, int(bar.right()) - 2)]
    striped = [same(c, COMPACT_COLORS[0]) for c in row]
    # Stripes: the compaction colour comes and goes along the whole bar.
    assert any(striped[: BAR_WIDTH // 3]) and any(striped[-BAR_WIDTH // 3 :])
    assert not all(striped)
    assert "Compacting the conversation" in meter.toolTip()
    # After PostCompact and the next reply, a plain bar again.
    meter.set_insight(insight(3))
    assert (meter.figure_text, meter.compacting) == ("3%", False)


def test_a_card_shows_its_sessions_model_and_context(
    qtbot: QtBot, window: MainWindow, bridge: FakeBridge, qapp: QApplication
) -> None:
    who = persona("s1", "Brave Otter", xp=120, level=2)
    state = bridge.put(pane(1, Status.WORKING, who))
    card = window.grid.card_for("%1")
    assert card is not None
    assert card.context.insight is None and card.context.sizeHint().width() == 0
    bridge.put(dataclasses.replace(state, insight=insight(42)))
    qtbot.waitUntil(lambda: card.context.figure_text == "42%")
    assert card.context.isVisible() and card.context.model_text == "Opus 4.8"
    # An insight of another session (the pane moved on after /clear) is not shown.
    bridge.put(dataclasses.replace(state, insight=insight(42, sid="old")))
    qtbot.waitUntil(lambda: card.context.insight is None)
