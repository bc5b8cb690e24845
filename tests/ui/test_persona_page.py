"""The persona page: opened by a double click, showing the challenges, badges and sessions given."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.core.model import Status
from desktop.core.progression.views import BadgeInfo, PersonaPage, SessionLink, XpPoint
from desktop.ui.page_parts import BadgeChip, CheckMark
from desktop.ui.persona_page import PersonaPageDialog, missing_text
from desktop.ui.theme import XP_COLOR
from desktop.ui.window import MainWindow
from desktop.ui.xp_chart import EMPTY_TEXT, axis
from tests.ui.fakes import FakeBridge, challenge, leveled, page_for, pane, persona

OTTER = leveled(persona("s-otter", "Brave Otter"), 180)  # level 3: 150..300


def otter_page() -> PersonaPage:
    start = OTTER.created_at
    return page_for(
        OTTER,
        challenges=(
            challenge(1, "Finisher", "Finish 5 turns", 5, 5, start + timedelta(hours=1)),
            challenge(2, "Tester", "Run the tests 3 times", 2, 3),
            challenge(3, "Committer", "Make a git commit", 0, 1),
            challenge(4, "Finisher II", "Finish 10 turns", 4, 10),
        ),
        badges=(
            BadgeInfo("first_turn", "Hello, world", "Finish a first turn", start),
            BadgeInfo("challenge:finish_turns", "Finisher", "Complete it", start),
        ),
        sessions=(
            SessionLink("s-otter", "created", start),
            SessionLink("s-otter-after-clear", "continued", start + timedelta(hours=2)),
        ),
        counters={"tool_calls": 42, "edits": 7, "turns": 9, "commits": 0},
        history=(
            XpPoint(start + timedelta(minutes=1), 5),
            XpPoint(start + timedelta(minutes=30), 60),
            XpPoint(start + timedelta(hours=2), 180),
        ),
    )


def open_by_double_click(qtbot: QtBot, bridge: FakeBridge, window: MainWindow) -> PersonaPageDialog:
    bridge.put(pane(1, Status.IDLE, OTTER))
    bridge.put(pane(2, Status.WORKING, persona("s-other", "Quick Raven", xp=10)))
    card = window.grid.card_for("%1")
    assert card is not None
    with qtbot.waitSignal(window.grid.persona_activated) as activated:
        QTest.mouseDClick(card, Qt.MouseButton.LeftButton)
    assert activated.args == [OTTER.id]
    dialog = window.persona_pages[OTTER.id]
    qtbot.waitExposed(dialog)
    return dialog


def test_double_clicking_a_card_opens_its_personas_page(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    bridge.pages[OTTER.id] = otter_page()
    dialog = open_by_double_click(qtbot, bridge, window)
    assert dialog.isVisible() and not dialog.isModal()
    assert dialog.windowTitle().startswith("Brave Otter")
    view = dialog.view
    assert view is not None
    assert view.name.text() == "Brave Otter"
    assert view.avatar.seed == OTTER.avatar_seed
    assert view.level.text() == "Level 3 · 180 XP"
    assert view.xp_strip.fraction == (180 - 150) / (300 - 150)
    assert view.to_next.text() == "30 / 150 XP in this level · 120 to level 4"
    stats = {tile.label.text(): tile.value.text() for tile in view.stat_tiles}
    assert stats["Tool calls"] == "42" and stats["Edits"] == "7" and stats["Git commits"] == "0"
    assert stats["Best streak"] == "1 day" and stats["Longest session"] == "under a minute"
    # The same persona again: the same window, read afresh, not a second one.
    reads = bridge.page_reads
    assert window.open_persona_page(OTTER.id) is dialog
    assert bridge.page_reads == reads + 1 and len(window.persona_pages) == 1


def test_the_page_shows_the_challenges_it_was_given(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    bridge.pages[OTTER.id] = otter_page()
    view = open_by_double_click(qtbot, bridge, window).view
    assert view is not None
    held = [(r.title.text(), r.count.text(), r.bar.fraction) for r in view.challenge_rows]
    assert held == [
        ("Tester", "2 / 3", 2 / 3),
        ("Committer", "0 / 1", 0.0),
        ("Finisher II", "4 / 10", 0.4),
    ]
    for row in view.challenge_rows:
        assert not row.findChildren(CheckMark)
    (done,) = view.completed_rows
    assert done.title.text() == "Finisher" and done.count.text() == "5 / 5"
    assert done.bar.fraction == 1.0 and done.findChildren(CheckMark)
    assert done.when.text().startswith("Completed ")
    assert "completed" in done.accessibleName()


def test_the_page_shows_earned_badges_apart_from_those_to_earn(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    page = otter_page()
    bridge.pages[OTTER.id] = page
    view = open_by_double_click(qtbot, bridge, window).view
    assert view is not None
    assert [c.title for c in view.badge_chips] == ["Hello, world", "Finisher"]
    assert all(c.earned and "Earned" in c.toolTip() for c in view.badge_chips)
    assert [c.title for c in view.locked_chips] == [b.title for b in page.locked_badges]
    assert "Hello, world" not in [c.title for c in view.locked_chips]
    assert all(not c.earned and "Not earned yet" in c.toolTip() for c in view.locked_chips)
    assert len(view.findChildren(BadgeChip)) == len(view.badge_chips) + len(view.locked_chips)


def test_the_page_lists_sessions_linked_through_clear(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    bridge.pages[OTTER.id] = otter_page()
    view = open_by_double_click(qtbot, bridge, window).view
    assert view is not None
    assert [label.text() for label in view.session_labels] == ["s-otter", "s-otter-after-clear"]
    notes = [w.text() for w in view.findChildren(type(view.since)) if "/clear" in w.text()]
    assert len(notes) == 1 and notes[0].startswith("continued after /clear")
    own = [w.text() for w in view.findChildren(type(view.since)) if "started this" in w.text()]
    # Pane %1 runs the persona's own session id: the page says where.
    assert own and own[0].endswith("running in work:1.0")


def test_the_chart_draws_the_xp_history_it_was_given(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    page = otter_page()
    bridge.pages[OTTER.id] = page
    view = open_by_double_click(qtbot, bridge, window).view
    assert view is not None
    chart = view.chart
    assert chart.points == page.xp_history
    plot = chart.plot_rect()
    first, last = (chart.to_screen(p) for p in (page.xp_history[0], page.xp_history[-1]))
    assert abs(first.x() - plot.left()) < 1 and abs(last.x() - plot.right()) < 1
    assert plot.top() <= last.y() < first.y() <= plot.bottom()
    # The latest total is marked with a dot in the XP colour.
    dot = chart.grab().toImage().pixelColor(last.toPoint())
    xp = QColor(XP_COLOR)
    assert max(abs(dot.red() - xp.red()), abs(dot.green() - xp.green())) < 40
    assert chart.nearest(first.x() + 1) == page.xp_history[0]
    assert chart.nearest(plot.right()) == page.xp_history[-1]


def test_a_persona_without_xp_gets_a_sentence_instead_of_a_chart(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    fresh = persona("s-new", "Eager Newt")
    bridge.pages[fresh.id] = page_for(fresh)
    dialog = window.open_persona_page(fresh.id)
    qtbot.waitExposed(dialog)
    assert dialog.view is not None
    chart = dialog.view.chart
    assert chart.points == () and chart.accessibleDescription() == EMPTY_TEXT


def test_the_open_page_follows_progress_and_keeps_its_scroll(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    bridge.pages[OTTER.id] = otter_page()
    dialog = open_by_double_click(qtbot, bridge, window)
    dialog.resize(700, 400)
    bar = dialog.scroll_area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 200)
    bar.setValue(200)
    richer = leveled(OTTER, 320)
    bridge.progress(page_for(richer, challenges=otter_page().challenges), level_before=3)
    qtbot.waitUntil(lambda: dialog.view is not None and dialog.view.page.persona.xp == 320)
    assert dialog.view is not None and dialog.view.level.text() == "Level 4 · 320 XP"
    assert bar.value() == 200
    # Another persona's progress does not re-read this page.
    reads = bridge.page_reads
    bridge.progress(page_for(leveled(persona("s-other", "Quick Raven"), 30)))
    assert not dialog.refresher.timer.isActive() and bridge.page_reads == reads


def test_a_hidden_page_catches_up_when_shown_again(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    bridge.pages[OTTER.id] = otter_page()
    dialog = open_by_double_click(qtbot, bridge, window)
    dialog.close()
    reads = bridge.page_reads
    bridge.progress(page_for(leveled(OTTER, 200)))
    assert bridge.page_reads == reads  # closed pages read nothing
    dialog.show()
    assert dialog.view is not None and dialog.view.page.persona.xp == 200


def test_a_persona_that_is_gone_says_what_to_do(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    dialog = window.open_persona_page(424242)
    qtbot.waitExposed(dialog)
    assert dialog.view is None and dialog.problem.isVisible()
    assert dialog.problem.text() == missing_text(424242)
    assert "double-click a card" in dialog.problem.text()


def test_the_keyboard_opens_the_selected_cards_page(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    bridge.pages[OTTER.id] = otter_page()
    bridge.put(pane(1, Status.IDLE, OTTER))
    bridge.put(pane(2, Status.UNKNOWN))  # awaiting identity: no persona, no page
    assert not window.persona_page_action.isEnabled()
    window.grid.select("%2")
    assert not window.persona_page_action.isEnabled()
    window.grid.select("%1")
    assert window.persona_page_action.isEnabled()
    window.persona_page_action.trigger()
    assert window.persona_pages[OTTER.id].isVisible()


def test_the_xp_axis_is_round_with_headroom_above_the_total() -> None:
    assert axis(1240) == (1500, 3) and axis(108) == (125, 5) and axis(5) == (6, 3)
    for value in (1, 7, 49, 50, 333, 2250, 99_999):
        top, intervals = axis(value)
        step = top // intervals
        assert top >= value * 1.05 and 1 <= intervals <= 5 and step * intervals == top
        assert str(step).rstrip("0") in ("1", "2", "25", "5")


def test_a_long_lived_persona_shows_its_newest_completions(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    start = OTTER.created_at
    done = tuple(
        challenge(n, f"Done {n}", "Finish 5 turns", 5, 5, start + timedelta(hours=n))
        for n in range(1, 15)
    )
    held = (challenge(20, "Tester", "Run the tests 3 times", 1, 3),)
    bridge.pages[OTTER.id] = page_for(OTTER, challenges=done + held)
    dialog = window.open_persona_page(OTTER.id)
    qtbot.waitExposed(dialog)
    view = dialog.view
    assert view is not None
    assert [r.title.text() for r in view.challenge_rows] == ["Tester"]
    assert [r.title.text() for r in view.completed_rows] == [f"Done {n}" for n in range(14, 4, -1)]
    notes = [w.text() for w in view.findChildren(type(view.since))]
    assert "Completed (14, the 10 newest)" in notes
