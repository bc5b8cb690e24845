"""The card grid: one card per pane, grouped (by project, tmux session or flat) and
filtered by the search bar, kept in pane order within a group, updated in place, scrollable."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core.model import LOCAL_HOST, PaneState
from desktop.core.remote.heading import HostHeading
from desktop.ui.bridge import Bridge
from desktop.ui.card import PaneCard
from desktop.ui.empty import EmptyState
from desktop.ui.flow import FlowLayout
from desktop.ui.grouping import GroupKey, group_of, host_group, matches, pane_order, sort_key
from desktop.ui.i18n import tr
from desktop.ui.page_parts import page_scroll_area
from desktop.ui.safe_text import plain_label

FADE_OUT_MS = 600

__all__ = ["FADE_OUT_MS", "CardGrid", "GroupHeader", "pane_order"]


class GroupHeader(QLabel):
    """A group's heading: a row of its own in the flow (FlowLayout reads `full_row`)."""

    full_row = True

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        plain_label(self)  # a project or tmux session name is shown as written, never as markup
        font = QFont(self.font())
        font.setBold(True)
        self.setFont(font)
        self.setContentsMargins(2, 6, 0, 0)


class HostProblem(QLabel):
    """The line under a host's heading: the whole sentence of its problem (what to do)."""

    full_row = True

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        plain_label(self)  # ssh's own words may be in it: shown as written
        self.setWordWrap(True)
        self.setContentsMargins(2, 0, 0, 2)


class CardGrid(QWidget):
    """Cards for every pane the bridge reports; the empty state when there are none."""

    card_activated = Signal(str)  # pane id of a double-clicked card
    persona_activated = Signal(int)  # its persona, for the persona page (progression issue)
    remote_persona_activated = Signal(str, str)  # a remote pane's persona: host, session id
    project_activated = Signal(str)  # a card's project line was clicked: the project page
    selection_changed = Signal(str)
    filtered = Signal(int, int)  # cards shown, cards in all

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.cards: dict[str, PaneCard] = {}
        self.leaving: set[PaneCard] = set()
        self.selected_pane_id: str | None = None
        self.grouping = "project"
        self.query = ""
        self.headers: dict[GroupKey, GroupHeader] = {}
        # Remote hosts by name: their headings carry their problems, even with no card.
        self.hosts: dict[str, HostHeading] = {h.name: h for h in bridge.hosts()}
        self.host_problems: dict[str, HostProblem] = {}
        # Where each card stands and whether it shows: a change re-orders the flow.
        self._placed: dict[str, tuple[object, bool]] = {}
        self.no_match = GroupHeader()
        self.no_match.setFont(self.font())
        self.no_match.hide()

        self.canvas = QWidget()
        self.flow = FlowLayout(self.canvas)
        self.no_match.setParent(self.canvas)
        self.scroll_area = page_scroll_area()
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
        bridge.hosts_changed.connect(self._on_hosts)
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

    def visible_cards(self) -> list[PaneCard]:
        """The cards the filter lets through, in the order shown."""
        return [c for c in self.ordered_cards() if not c.isHidden()]

    def _placement(self, pane: PaneState) -> tuple[object, bool]:
        shown = not self.query or matches(pane, self.query)
        return sort_key(pane, self.grouping, bool(self.query)), shown

    def show_pane(self, pane: PaneState) -> None:
        """Update the pane's card in place, or add a card where its group and order say."""
        card = self.cards.get(pane.pane_id)
        if card is not None:
            card.set_state(pane)
            # Most updates move nothing (a status, XP): only a new group or match re-orders.
            if self._placed.get(pane.pane_id) != self._placement(pane):
                self.arrange()
            return
        card = PaneCard(pane, self.canvas)
        card.clicked.connect(self.select)
        card.activated.connect(self._activate)
        card.project_activated.connect(
            lambda project_id, c=card: (
                self.project_activated.emit(project_id) if c.pane.host == LOCAL_HOST else None
            )
        )
        self.cards[pane.pane_id] = card
        self.flow.insertWidget(self.flow.count(), card)
        self.arrange()
        self._update_stack()

    def set_grouping(self, mode: str) -> None:
        """Group the cards by "project", "session" (tmux) or "flat"."""
        if mode != self.grouping:
            self.grouping = mode
            self.arrange()

    def set_query(self, query: str) -> None:
        """Show only the cards whose name, project, branch, target or status has every word."""
        query = query.strip()
        if query != self.query:
            self.query = query
            self.arrange()

    def _on_hosts(self) -> None:
        self.hosts = {h.name: h for h in self.bridge.hosts()}
        self.arrange()
        self._update_stack()

    def _faulty_hosts(self) -> list[HostHeading]:
        """Hosts whose heading has a problem to say (shown even when they have no card)."""
        return [h for h in self.hosts.values() if h.words]

    def _heading(self, key: GroupKey, title: str, host: str | None) -> list[QWidget]:
        """A group's heading; a remote host's says its problem in a few words, with the
        whole sentence on a line under it (and as the tooltip of both)."""
        header = self.headers.get(key)
        if header is None:
            header = self.headers[key] = GroupHeader(self.canvas)
        heading = self.hosts.get(host) if host is not None else None
        if heading is not None and heading.words:
            header.setText(f"{title} — {tr(heading.words)}")
        else:
            header.setText(tr(title) if key[0] == 1 else title)
        header.setToolTip(heading.sentence if heading is not None else "")
        if heading is None or not heading.sentence or host is None:
            return [header]
        line = self.host_problems.get(host)
        if line is None:
            line = self.host_problems[host] = HostProblem(self.canvas)
        line.setText(heading.sentence)
        line.setToolTip(heading.sentence)
        return [header, line]

    def arrange(self) -> None:
        """Order the flow: each group's heading, then its cards; hide what the filter hides.

        The cards stay the same widgets (and the selection stays): only their places move.
        A remote host with a problem keeps its heading when it has no card (never reached,
        say): the window must say why a host shows nothing.
        """
        placed = {pid: self._placement(card.pane) for pid, card in self.cards.items()}
        self._placed = placed
        order = sorted(self.cards.values(), key=lambda c: placed[c.pane_id][0])  # type: ignore[arg-type, return-value]
        widgets: list[QWidget] = []
        used: set[GroupKey] = set()
        lonely: list[tuple[GroupKey, str]] = []
        if self.grouping != "flat" and not self.query:
            lonely = sorted((host_group(h.name), h.name) for h in self._faulty_hosts())
        for card in order:
            shown = placed[card.pane_id][1]
            if self.grouping != "flat" and shown:
                key, title = group_of(card.pane, self.grouping)
                if key not in used:
                    # Hosts without cards whose heading sorts before this group come first.
                    while lonely and lonely[0][0] < key:
                        other, name = lonely.pop(0)
                        used.add(other)
                        widgets += self._heading(other, f"on {name}", name)
                    used.add(key)
                    host = card.pane.host if card.pane.host != LOCAL_HOST else None
                    widgets += self._heading(key, title, host)
                    lonely = [(k, n) for k, n in lonely if k != key]
            widgets.append(card)
        for key, name in lonely:
            used.add(key)
            widgets += self._heading(key, f"on {name}", name)
        for key, header in list(self.headers.items()):
            if key not in used:
                self.flow.removeWidget(header)
                header.hide()  # deleted on the next loop turn: gone from view now
                header.deleteLater()
                del self.headers[key]
        lines = {line for line in widgets if isinstance(line, HostProblem)}
        for host, line in list(self.host_problems.items()):
            if line not in lines:
                self.flow.removeWidget(line)
                line.hide()
                line.deleteLater()
                del self.host_problems[host]
        shown_count = sum(1 for shown in placed.values() if shown[1])
        self.no_match.setText(tr("No pane matches “{query}”.").format(query=self.query))
        self.no_match.setVisible(bool(self.query) and shown_count == 0 and bool(self.cards))
        self.flow.reorder([self.no_match, *widgets])
        for header in self.headers.values():
            header.show()
        for line in self.host_problems.values():
            line.show()
        for card in order:
            card.setVisible(placed[card.pane_id][1])
        self.filtered.emit(shown_count, len(self.cards))

    def remove_pane(self, pane_id: str) -> None:
        """Fade the card out, then drop it; a pane that comes back gets a new card."""
        card = self.cards.pop(pane_id, None)
        self._placed.pop(pane_id, None)
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
        self.arrange()
        self._update_stack()

    def _update_stack(self) -> None:
        # A host in trouble shows its heading even with no card anywhere: it says why.
        busy = self.cards or self.leaving or self._faulty_hosts()
        self.stack.setCurrentWidget(self.scroll_area if busy else self.empty)

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
        if card is None or card.pane.persona is None:
            return
        if card.pane.host == LOCAL_HOST:
            self.persona_activated.emit(card.pane.persona.id)
        else:  # the page of what this desktop keeps of it (its host keeps the rest)
            self.remote_persona_activated.emit(card.pane.host, card.pane.persona.session_id)

    def tick(self) -> None:
        for card in self.cards.values():
            card.tick()
