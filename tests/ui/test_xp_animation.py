"""A card's XP counts up to a gain and ends on the new total; a level-up glows, briefly."""

from __future__ import annotations

import dataclasses

from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.core.model import Status
from desktop.core.progression.levels import level_for_xp, xp_for_level
from desktop.ui.card import PaneCard
from desktop.ui.theme import LEVEL_UP_COLOR
from desktop.ui.window import MainWindow
from tests.ui.fakes import FakeBridge, pane, persona


def shown_card(bridge: FakeBridge, window: MainWindow, xp: int) -> PaneCard:
    who = persona("s1", "Brave Otter", xp=xp, level=level_for_xp(xp))
    bridge.put(pane(1, Status.IDLE, who))
    card = window.grid.card_for("%1")
    assert card is not None and card.isVisible()
    return card


def visible_windows() -> list[str]:
    return sorted(w.title() for w in QGuiApplication.topLevelWindows() if w.isVisible())


def gain(bridge: FakeBridge, xp: int) -> None:
    pane_now = bridge.panes()[0]
    assert pane_now.persona is not None
    who = dataclasses.replace(pane_now.persona, xp=xp, level=level_for_xp(xp))
    bridge.update("%1", persona=who)


def test_a_gain_counts_up_and_ends_on_the_new_total(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    card = shown_card(bridge, window, 40)
    totals: list[int] = []
    card.xp_counter.shown.connect(totals.append)
    with qtbot.waitSignal(card.xp_counter.settled) as settled:
        gain(bridge, 120)
        assert card.xp_counter.running  # the gain is being counted, not shown at once
    assert settled.args == [120]
    assert totals[-1] == 120 and totals == sorted(set(totals))
    assert any(40 < t < 120 for t in totals)  # the bar went through the values in between
    assert card.xp_text.text() == "120 XP"
    assert card.level.text() == "Lv 2"
    # Level 2 runs from 50 to 150 XP: 70 of its 100 are done.
    assert card.xp_bar.fraction == (120 - xp_for_level(2)) / (xp_for_level(3) - xp_for_level(2))
    assert card.xp_bar.toolTip() == "70 / 100 XP to level 3"
    assert card.xp_text.styleSheet() == ""  # the count's colour is gone with the count


def test_a_second_gain_during_the_count_extends_it(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    card = shown_card(bridge, window, 10)
    totals: list[int] = []
    card.xp_counter.shown.connect(totals.append)
    gain(bridge, 40)
    qtbot.waitUntil(lambda: 10 < card.xp_counter.value < 40)
    gain(bridge, 44)  # mid-count: it goes on from where it is, never back
    assert card.xp_counter.running and card.xp_counter.target == 44
    qtbot.waitUntil(lambda: not card.xp_counter.running)
    assert totals[-1] == 44 and totals == sorted(set(totals))
    assert card.xp_text.text() == "44 XP" and card.level.text() == "Lv 1"


def test_a_level_up_glows_gold_then_fades_with_no_dialog(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    card = shown_card(bridge, window, 45)
    spot = (card.width() - 30, card.height() // 2)  # card background, away from any text
    plain = card.grab().toImage().pixelColor(*spot)
    windows_before = visible_windows()
    with qtbot.waitSignal(card.xp_counter.level_reached) as reached:
        gain(bridge, 160)  # level 1 -> 3 (150 XP starts level 3)
    assert reached.args == [2]
    assert card.celebrating and card.glow > 0
    glowing = card.grab().toImage().pixelColor(*spot)
    gold = QColor(LEVEL_UP_COLOR)
    # Tinted towards gold: warmer than the plain card (more red than blue, more than before).
    assert glowing != plain
    assert (glowing.red() - glowing.blue()) > (plain.red() - plain.blue())
    assert gold.name() in card.level.styleSheet()
    assert card.accessibleDescription().startswith("reached level")
    # Not noisy: no modal dialog, no new window.
    assert QApplication.activeModalWidget() is None
    assert visible_windows() == windows_before
    qtbot.waitUntil(lambda: not card.celebrating, timeout=10_000)
    assert card.glow == 0.0
    assert card.level.text() == "Lv 3" and card.xp_text.text() == "160 XP"
    assert card.level.styleSheet() == "" and card.accessibleDescription() == ""
    assert card.grab().toImage().pixelColor(*spot) == plain


def test_a_gain_within_the_level_does_not_glow(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    card = shown_card(bridge, window, 60)
    with qtbot.assertNotEmitted(card.xp_counter.level_reached, wait=0):
        gain(bridge, 90)
        qtbot.waitUntil(lambda: not card.xp_counter.running)
    assert not card.celebrating and card.glow == 0.0
    assert card.xp_text.text() == "90 XP"


def test_another_persona_or_less_xp_shows_at_once(bridge: FakeBridge, window: MainWindow) -> None:
    card = shown_card(bridge, window, 100)
    gain(bridge, 20)  # a rebuild can lower XP: no count down
    assert not card.xp_counter.running and card.xp_text.text() == "20 XP"
    other = persona("s2", "Clever Heron", xp=700, level=level_for_xp(700))
    bridge.update("%1", persona=other, session_id=other.session_id)  # another session bound
    assert not card.xp_counter.running
    assert card.xp_text.text() == "700 XP" and card.level.text() == f"Lv {other.level}"
    assert not card.celebrating


def test_a_hidden_window_shows_the_new_total_at_once(
    bridge: FakeBridge, window: MainWindow
) -> None:
    card = shown_card(bridge, window, 40)
    window.hide()
    gain(bridge, 400)
    assert not card.xp_counter.running and not card.celebrating
    assert card.xp_text.text() == "400 XP" and card.level.text() == "Lv 4"


def test_a_card_that_keeps_levelling_up_glows_once_per_half_minute(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    card = shown_card(bridge, window, 45)
    now = [1000.0]
    card.clock = lambda: now[0]
    glows: list[float] = []
    card._glow_anim.stateChanged.connect(
        lambda new, _old: glows.append(now[0]) if new == card._glow_anim.State.Running else None
    )
    for xp, moved_on in ((160, 0.0), (310, 5.0), (510, 29.0), (760, 30.5)):
        now[0] = 1000.0 + moved_on
        with qtbot.waitSignal(card.xp_counter.level_reached):
            gain(bridge, xp)
        qtbot.waitUntil(lambda: not card.xp_counter.running)
        assert card.level.text() == f"Lv {level_for_xp(xp)}"  # the level itself shows at once
    # Level-ups 5 s and 29 s after the first glow do not glow again; 30.5 s after, one does.
    assert glows == [1000.0, 1030.5]
