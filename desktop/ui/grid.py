"""The card grid: one card per pane, kept in pane order, updated in place, scrollable."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFrame, QScrollArea, QStackedWidget, QVBoxLayout, QWidget

from desktop.core.model import PaneState
from desktop.ui.bridge import Bridge
from desktop.ui.card import PaneCard
from desktop.ui.empty import EmptyState
from desktop.ui.flow import FlowLayout
from desktop.ui.text import BranchCache

FADE_OUT_MS = 600


def pane_order(pane: PaneState) -> tuple[str, int, str]:
    """tmux session, then pane number: the order panes were created in."""
    digits = pane.pane_id.lstrip("%")
    return (pane.target.split(":")[0], int(digits) if digits.isdigit() else 0, pane.pane_id)


class CardGrid(QWidget):
    """Cards for every pane the bridge reports; the empty state when there are none."""

    card_activated = Signal(str)  # pane id of a double-clicked card
    persona_activated = Signal(int)  # its persona, for the persona page (progression issue)
    selection_changed = Signal(str)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.branches = BranchCache()
        self.cards: dict[str, PaneCard] = {}
        self.leaving: set[PaneCard] = set()
        self.selected_pane_id: str | None = None

        self.canvas = QWidget()
        self.flow = FlowLayout(self.canvas)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(self.canvas)
        self.empty = EmptyState()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.scroll_area)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.stack)

        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self.tick)
        self.clock.start()

        bridge.pane_changed.connect(self.show_pane)
        bridge.pane_removed.connect(self.remove_pane)
        for pane in bridge.panes():
            self.show_pane(pane)
        self._update_stack()

    def card_for(self, pane_id: str) -> PaneCard | None:
        return self.cards.get(pane_id)

    def ordered_cards(self) -> list[PaneCard]:
        """Cards in the order the layout shows them."""
        out = []
        for i in range(self.flow.count()):
            item = self.flow.itemAt(i)
            widget = item.widget() if item is not None else None
            if isinstance(widget, PaneCard):
                out.append(widget)
        return out

    def show_pane(self, pane: PaneState) -> None:
        """Update the pane's card in place, or add a card in pane order."""
        card = self.cards.get(pane.pane_id)
        if card is not None:
            card.set_state(pane)
            return
        card = PaneCard(pane, self.branches, self.canvas)
        card.clicked.connect(self.select)
        card.activated.connect(self._activate)
        key = pane_order(pane)
        index = sum(1 for c in self.ordered_cards() if pane_order(c.pane) < key)
        self.cards[pane.pane_id] = card
        self.flow.insertWidget(index, card)
        card.show()
        self._update_stack()

    def remove_pane(self, pane_id: str) -> None:
        """Fade the card out, then drop it; a pane that comes back gets a new card."""
        card = self.cards.pop(pane_id, None)
        if card is None:
            return
        if self.selected_pane_id == pane_id:
            self.selected_pane_id = None
        self.leaving.add(card)
        anim = card.fade_out(FADE_OUT_MS)
        anim.finished.connect(lambda: self._drop(card))

    def _drop(self, card: PaneCard) -> None:
        self.leaving.discard(card)
        self.flow.removeWidget(card)
        card.hide()
        card.deleteLater()
        self._update_stack()

    def _update_stack(self) -> None:
        self.stack.setCurrentWidget(self.scroll_area if self.cards or self.leaving else self.empty)

    def select(self, pane_id: str) -> None:
        if pane_id not in self.cards:
            return
        self.selected_pane_id = pane_id
        for card in self.cards.values():
            card.set_selected(card.pane_id == pane_id)
        self.selection_changed.emit(pane_id)

    def highlight(self, pane_id: str) -> bool:
        """Select the pane's card, scroll it into view and pulse it; False if it is gone."""
        card = self.cards.get(pane_id)
        if card is None:
            return False
        self.select(pane_id)
        self.scroll_area.ensureWidgetVisible(card, 24, 24)
        card.pulse()
        return True

    def _activate(self, pane_id: str) -> None:
        self.select(pane_id)
        self.card_activated.emit(pane_id)
        card = self.cards.get(pane_id)
        if card is not None and card.pane.persona is not None:
            self.persona_activated.emit(card.pane.persona.id)

    def tick(self) -> None:
        now = datetime.now(UTC)
        for card in self.cards.values():
            card.tick(now)
