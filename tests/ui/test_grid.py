"""The card grid fed by a fake bridge: placeholders, in-place updates, order, removal."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.core.model import Status
from desktop.ui.card import PLACEHOLDER_NAME, PaneCard
from desktop.ui.grid import FADE_OUT_MS
from desktop.ui.window import MainWindow
from tests.ui.fakes import FakeBridge, dark_palette, pane, persona


def cards_in_layout(window: MainWindow) -> list[PaneCard]:
    return window.grid.ordered_cards()


def test_placeholder_card_turns_into_persona_card_in_the_same_slot(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    # Enough panes that the grid scrolls, the awaiting one in the middle.
    for n in range(1, 31):
        who = None if n == 17 else persona(f"s{n}", f"Persona {n}", xp=10 * n, level=1 + n % 4)
        bridge.put(pane(n, Status.IDLE if who else Status.UNKNOWN, who))
    window.resize(760, 420)
    qtbot.waitUntil(lambda: window.grid.scroll_area.verticalScrollBar().maximum() > 0)
    placeholder = window.grid.card_for("%17")
    assert placeholder is not None
    assert placeholder.awaiting_identity
    assert placeholder.name.text() == PLACEHOLDER_NAME
    assert placeholder.busy.isVisible() and placeholder.busy.spinning
    assert placeholder.target.text() == "work:17.0"
    window.grid.highlight("%17")
    scroll = window.grid.scroll_area.verticalScrollBar()
    scroll_before = scroll.value()
    assert scroll_before > 0
    before = cards_in_layout(window)
    geometry_before = placeholder.geometry()
    all_cards_before = set(window.findChildren(PaneCard))

    who = persona("s17", "Brave Otter", xp=120, level=2)
    bridge.update(
        "%17", persona=who, session_id="s17", status=Status.IDLE, last_event="SessionStart"
    )

    after = cards_in_layout(window)
    assert after == before  # the very same widgets, in the same slots
    assert set(window.findChildren(PaneCard)) == all_cards_before  # nothing rebuilt
    card = window.grid.card_for("%17")
    assert card is placeholder
    assert card.geometry() == geometry_before
    assert scroll.value() == scroll_before
    assert window.grid.selected_pane_id == "%17" and card.selected
    assert not card.awaiting_identity
    assert card.name.text() == "Brave Otter"
    assert card.level.text() == "Lv 2"
    assert card.xp_text.text() == "120 XP"
    assert card.avatar_stack.currentWidget() is card.avatar
    assert card.avatar.seed == who.avatar_seed
    assert not card.busy.spinning
    assert card.chip.text() == "idle"


def test_status_chip_and_activity_follow_events(bridge: FakeBridge, window: MainWindow) -> None:
    who = persona("s1", "Keen Owl")
    bridge.put(pane(1, Status.IDLE, who, last_event="SessionStart"))
    card = window.grid.card_for("%1")
    assert card is not None
    steps = [
        (
            dict(
                status=Status.WORKING, status_detail="fix the tests", last_event="UserPromptSubmit"
            ),
            "working",
            "› fix the tests",
        ),
        (
            dict(status=Status.WORKING, status_detail="Bash: pytest -q", last_event="PreToolUse"),
            "working",
            "Bash: pytest -q",
        ),
        (
            dict(
                status=Status.NEEDS_INPUT,
                status_detail="permission: Bash: rm -rf build",
                last_event="PermissionRequest",
            ),
            "needs input",
            "permission: Bash: rm -rf build",
        ),
        (
            dict(status=Status.WORKING, status_detail="", last_event="PostToolUse"),
            "working",
            "› fix the tests",
        ),
        (
            dict(status=Status.IDLE, status_detail="All green.", last_event="Stop"),
            "idle",
            "last prompt: fix the tests",
        ),
        (
            dict(status=Status.ERROR, status_detail="rate_limit", last_event="StopFailure"),
            "error",
            "rate_limit",
        ),
        (
            dict(status=Status.ENDED, status_detail="other", last_event="SessionEnd"),
            "ended",
            "other",
        ),
    ]
    for changes, word, activity in steps:
        bridge.update("%1", **changes)
        assert card.chip.status is changes["status"]
        assert card.chip.text() == word
        assert word in card.chip.accessibleName()
        assert card.activity.text() == activity
    assert card.graphicsEffect() is not None  # an ended pane is dimmed


def test_time_in_state_is_shown_and_ticks(bridge: FakeBridge, window: MainWindow) -> None:
    bridge.put(pane(1, Status.WORKING, persona("s1", "A"), age=timedelta(seconds=125)))
    card = window.grid.card_for("%1")
    assert card is not None
    assert card.elapsed.text().startswith("for 2m 0")
    card.tick(card.pane.status_since + timedelta(hours=2, minutes=13))
    assert card.elapsed.text() == "for 2h 13m"


def test_cards_keep_pane_order_whatever_the_arrival_order(
    bridge: FakeBridge, window: MainWindow
) -> None:
    for n in (5, 2, 9, 1, 7):
        bridge.put(pane(n, Status.UNKNOWN))
    bridge.put(pane(3, Status.UNKNOWN, session="alpha"))
    order = [c.pane_id for c in cards_in_layout(window)]
    assert order == ["%3", "%1", "%2", "%5", "%7", "%9"]


def test_removed_pane_fades_out_and_the_empty_state_returns(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    assert window.grid.stack.currentWidget() is window.grid.empty
    bridge.put(pane(1, Status.IDLE, persona("s1", "A")))
    assert window.grid.stack.currentWidget() is window.grid.scroll_area
    card = window.grid.card_for("%1")
    assert card is not None
    bridge.update("%1", status=Status.ENDED, alive=False)
    assert card.graphicsEffect() is not None
    bridge.remove("%1")
    assert window.grid.card_for("%1") is None
    assert card in window.grid.leaving  # still on screen while it fades
    qtbot.waitUntil(lambda: not window.grid.leaving, timeout=FADE_OUT_MS * 10)
    assert cards_in_layout(window) == []
    assert window.grid.stack.currentWidget() is window.grid.empty


def test_empty_grid_explains_what_to_do_and_why(bridge: FakeBridge, window: MainWindow) -> None:
    text = window.grid.empty.steps.text()
    assert "claude-rpg hooks install" in text
    assert "claude" in text and "tmux" in text
    problem = "no tmux server is running (default socket): start tmux and run claude in it."
    bridge.set_problem(problem)
    assert window.banner.isVisible() and window.banner.text() == problem
    bridge.set_problem("")
    assert not window.banner.isVisible()


def test_double_click_asks_for_the_persona_page(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    who = persona("s1", "A")
    bridge.put(pane(1, Status.IDLE, who))
    card = window.grid.card_for("%1")
    assert card is not None
    with qtbot.waitSignal(window.grid.persona_activated) as blocker:
        qtbot.mouseDClick(card, Qt.MouseButton.LeftButton)
    assert blocker.args == [who.id]
    assert window.grid.selected_pane_id == "%1"


def test_a_click_selects_one_card(qtbot: QtBot, bridge: FakeBridge, window: MainWindow) -> None:
    for n in (1, 2):
        bridge.put(pane(n, Status.IDLE, persona(f"s{n}", f"P{n}")))
    first, second = cards_in_layout(window)
    qtbot.mouseClick(first, Qt.MouseButton.LeftButton)
    assert first.selected and not second.selected
    qtbot.mouseClick(second, Qt.MouseButton.LeftButton)
    assert second.selected and not first.selected


def test_cards_follow_the_light_or_dark_palette(
    qapp: QApplication, bridge: FakeBridge, window: MainWindow
) -> None:
    bridge.put(pane(1, Status.WORKING, persona("s1", "A")))
    card = window.grid.card_for("%1")
    assert card is not None
    spot = (card.width() // 2, card.height() - 4)  # card background, below the status row
    light = card.grab().toImage().pixelColor(*spot)
    before = qapp.palette()
    try:
        qapp.setPalette(dark_palette())
        qapp.processEvents()  # the palette reaches widgets through posted change events
        dark = card.grab().toImage().pixelColor(*spot)
    finally:
        qapp.setPalette(before)
    assert light.lightnessF() > 0.8 and dark.lightnessF() < 0.25


def test_xp_and_level_changes_show_on_the_card(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    who = persona("s1", "A", xp=40, level=1)
    bridge.put(pane(1, Status.IDLE, who))
    card = window.grid.card_for("%1")
    assert card is not None
    fraction = card.xp_bar.fraction
    # A gain counts up (tests/ui/test_xp_animation.py): the card gets there, not at once.
    bridge.update("%1", persona=dataclasses.replace(who, xp=45))
    qtbot.waitUntil(lambda: card.xp_text.text() == "45 XP")
    assert card.xp_bar.fraction > fraction
    bridge.update("%1", persona=dataclasses.replace(who, xp=60, level=2))
    qtbot.waitUntil(lambda: card.level.text() == "Lv 2" and card.xp_text.text() == "60 XP")
