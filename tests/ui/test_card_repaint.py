"""A card update repaints only the parts that changed (under load every card updates each frame)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import pytest
from PySide6.QtCore import QEvent, QObject, QRect
from PySide6.QtGui import QColor, QImage, QPaintEvent, QRegion
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop.core.model import PaneState, Status
from desktop.ui.card import PaneCard
from desktop.ui.widgets import ElidedLabel, StatusChip, XpBar
from desktop.ui.window import MainWindow
from tests.ui.fakes import FakeBridge, dark_palette, pane, persona


class PaintCounter(QObject):
    """Counts the paint events of the widgets it watches, with the areas they repainted."""

    def __init__(self, widgets: list[QWidget]) -> None:
        super().__init__()
        self.areas: dict[QObject, list[QRegion]] = defaultdict(list)
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            assert isinstance(event, QPaintEvent)
            self.areas[watched].append(QRegion(event.region()))
        return False

    def count(self, widget: QWidget) -> int:
        return len(self.areas[widget])

    def reset(self) -> None:
        self.areas.clear()


def settled_card(
    qtbot: QtBot, window: MainWindow, bridge: FakeBridge
) -> tuple[PaneCard, PaneState, PaintCounter]:
    window.grid.clock.stop()  # the elapsed line ticks once a second: not part of these tests
    state = bridge.put(
        pane(
            1,
            Status.WORKING,
            persona("s1", "Brave Otter", xp=120, level=2),
            detail="make the tests pass",
            last_event="UserPromptSubmit",
        )
    )
    card = window.grid.card_for("%1")
    assert card is not None
    parts: list[QWidget] = [card, *card.findChildren(QWidget)]
    counter = PaintCounter(parts)
    qtbot.waitUntil(lambda: counter.count(card.name) > 0)
    QApplication.processEvents()
    counter.reset()
    return card, state, counter


def inside(area: QRegion, parts: list[QWidget], *rects: QRect) -> bool:
    """Whether the repainted area lies within those parts (and the extra rects)."""
    allowed = QRegion()
    for rect in [*rects, *(part.geometry() for part in parts)]:
        allowed = allowed.united(rect)
    return area.subtracted(allowed).isEmpty()


def test_a_new_activity_repaints_the_activity_line_and_nothing_else(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    card, state, counter = settled_card(qtbot, window, bridge)
    bridge.put(dataclasses.replace(state, status_detail="Bash: pytest -q", last_event="PreToolUse"))
    qtbot.waitUntil(lambda: counter.count(card.activity) > 0)
    QApplication.processEvents()
    assert card.activity.text() == "Bash: pytest -q"
    unchanged = [card.name, card.target, card.project, card.avatar, card.chip, card.xp_bar]
    assert [counter.count(w) for w in unchanged] == [0] * len(unchanged)
    # The card paints only behind its transparent activity line, never as a whole.
    assert all(inside(area, [card.activity]) for area in counter.areas[card])


def test_an_equal_state_repaints_nothing(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    card, state, counter = settled_card(qtbot, window, bridge)
    tip = card.project.toolTip()
    bridge.put(dataclasses.replace(state))
    bridge.put(dataclasses.replace(state, title="a new pane title the card does not show"))
    QApplication.processEvents()
    QApplication.processEvents()
    assert dict(counter.areas) == {}
    assert card.project.toolTip() == tip


def test_a_status_change_repaints_the_chip_and_the_status_bar_not_the_identity(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    card, state, counter = settled_card(qtbot, window, bridge)
    # "idle" is shorter than "working": the chip narrows and the elapsed line moves left.
    before = [card.chip.geometry(), card.elapsed.geometry()]
    bridge.put(dataclasses.replace(state, status=Status.IDLE, status_detail="", last_event="Stop"))
    qtbot.waitUntil(lambda: counter.count(card.chip) > 0)
    QApplication.processEvents()
    assert card.chip.text() == "idle"
    unchanged = [card.name, card.target, card.project, card.avatar, card.xp_bar]
    assert [counter.count(w) for w in unchanged] == [0] * len(unchanged)
    bar = card._status_bar_area()
    painted = counter.areas[card]
    assert any(area.intersects(bar) for area in painted)
    parts = [card.chip, card.elapsed, card.activity]
    assert all(inside(area, parts, bar, *before) for area in painted)


def test_the_parts_skip_equal_values(qtbot: QtBot) -> None:
    label, chip, bar = ElidedLabel("same"), StatusChip(), XpBar()
    for widget in (label, chip, bar):
        qtbot.addWidget(widget)
        widget.show()
        qtbot.waitExposed(widget)
    chip.set_status(Status.WORKING)
    bar.set_fraction(0.5)
    QApplication.processEvents()
    counter = PaintCounter([label, chip, bar])
    label.setText("same")
    label.setText("  same ")  # the label shows text with runs of white space as one space
    chip.set_status(Status.WORKING)
    bar.set_fraction(0.5)
    QApplication.processEvents()
    assert dict(counter.areas) == {}
    chip.set_status(Status.IDLE)
    qtbot.waitUntil(lambda: counter.count(chip) > 0)
    assert chip.toolTip() == "status: idle" and chip.accessibleName() == "status: idle"


def rendered(card: PaneCard, area: QRegion | None = None) -> QImage:
    """The card drawn as Qt draws it on screen: whole, or only within area (as an update)."""
    image = QImage(card.size(), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("#808080"))
    if area is None:
        card.render(image)
    else:
        card.render(image, area.boundingRect().topLeft(), area)
    return image


@pytest.mark.parametrize("look", ["light", "dark", "selected", "glowing", "flashing"])
def test_a_card_repainted_in_parts_looks_the_same_as_one_painted_whole(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow, look: str
) -> None:
    card, _state, _counter = settled_card(qtbot, window, bridge)
    if look == "dark":
        card.setPalette(dark_palette())
    card.set_selected(look == "selected")
    card.glow = 0.6 if look == "glowing" else 0.0
    card.flash = 0.4 if look == "flashing" else 0.0
    whole = rendered(card)
    # Each part a state change repaints, alone, as the update after that change paints it.
    for part in (card.activity, card.chip, card.elapsed, card.sub_stack, card.name, card.project):
        area = part.geometry()
        alone = rendered(card, QRegion(area))
        assert alone.copy(area) == whole.copy(area), type(part).__name__
