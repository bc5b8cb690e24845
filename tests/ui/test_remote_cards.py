"""Remote panes in the window: under their host's heading, the host on the card."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.core.model import PaneState, Status
from desktop.core.remote.heading import HostHeading
from desktop.ui.tray import pane_label
from desktop.ui.window import MainWindow
from tests.ui.fakes import FakeBridge, pane, persona
from tests.ui.test_grid_groups import layout


def on_host(state: PaneState, host: str) -> PaneState:
    return dataclasses.replace(state, pane_id=f"{host}:{state.pane_id}", host=host)


def test_remote_cards_group_by_host_after_the_local_ones(
    bridge: FakeBridge, window: MainWindow
) -> None:
    bridge.put(pane(1, Status.IDLE, persona("s1", "Brave Otter")))
    bridge.put(on_host(pane(1, Status.WORKING, persona("r1", "Keen Owl")), "devbox"))
    bridge.put(on_host(pane(2, Status.IDLE, persona("r2", "Calm Heron")), "cloud-vm"))

    window.set_grouping("session")
    assert layout(window) == [
        "# tmux session work", "%1",
        "# on cloud-vm", "cloud-vm:%2",
        "# on devbox", "devbox:%1",
    ]  # fmt: skip
    cards = {c.pane_id: c for c in window.grid.ordered_cards()}
    # The same tmux target on two machines: the card says which machine.
    assert cards["%1"].target.text() == "work:1.0"
    assert cards["devbox:%1"].target.text() == "devbox · work:1.0"
    assert "devbox · work:1.0" in pane_label(cards["devbox:%1"].pane)

    # A host that stopped answering says so on its heading (and its cards: the core sets
    # their status detail), with the whole sentence on the line under it.
    gone = dataclasses.replace(
        next(p for p in bridge.panes() if p.host == "cloud-vm"),
        status=Status.UNKNOWN,
        status_detail="host unreachable since 14:05",
    )
    bridge.put(gone)
    lost = "cloud-vm: the connection to vm was lost; trying again"
    bridge.set_hosts(HostHeading("cloud-vm", "host unreachable since 14:05", lost))
    assert layout(window) == [
        "# tmux session work", "%1",
        "# on cloud-vm — host unreachable since 14:05", f"- {lost}", "cloud-vm:%2",
        "# on devbox", "devbox:%1",
    ]  # fmt: skip

    window.set_grouping("flat")
    assert layout(window) == ["%1", "cloud-vm:%2", "devbox:%1"]


def test_a_remote_card_opens_its_hosts_persona_not_a_local_one(
    qtbot: QtBot, bridge: FakeBridge, window: MainWindow
) -> None:
    # The remote persona's id means nothing in this machine's store (it may even name
    # another persona here): double-click opens the remote persona's page, by (host, id).
    who = persona("r1", "Keen Owl")
    bridge.put(on_host(pane(1, Status.IDLE, who), "devbox"))
    card = window.grid.card_for("devbox:%1")
    assert card is not None
    with (
        qtbot.assertNotEmitted(window.grid.persona_activated),
        qtbot.waitSignal(window.grid.remote_persona_activated) as opened,
    ):
        qtbot.mouseDClick(card, Qt.MouseButton.LeftButton)
    assert opened.args == ["devbox", who.session_id]
    assert window.grid.selected_pane_id == "devbox:%1"
    assert window._selected_persona() == ("devbox", who)
    assert window._selected_project() is None  # a remote project's page stays on its host
    assert not window.persona_pages
    page = window.remote_persona_pages[("devbox", who.session_id)]
    # The fake bridge has no stored remote persona: the page says so in words.
    assert page.view is None and "has not reached this desktop" in page.problem.text()


def test_a_host_in_trouble_has_its_heading_and_sentence_even_without_cards(
    bridge: FakeBridge, window: MainWindow
) -> None:
    key = "devbox: the host key of devbox.example changed since you last connected; ..."
    # No card anywhere: the window shows the host's heading rather than the empty state.
    bridge.set_hosts(HostHeading("devbox", "host key changed", key), HostHeading("fine"))
    assert window.grid.stack.currentWidget() is window.grid.scroll_area
    assert layout(window) == ["# on devbox — host key changed", f"- {key}"]
    [header] = window.grid.headers.values()
    assert header.toolTip() == key

    # Local groups come first, hosts by name, a host with cards in its place among them.
    bridge.put(pane(1, Status.IDLE, persona("s1", "Brave Otter")))
    bridge.put(on_host(pane(2, Status.IDLE, persona("r2", "Calm Heron")), "cloud-vm"))
    auth = "a-vm: ssh could not log in to a-vm (authentication failed); ..."
    bridge.set_hosts(
        HostHeading("a-vm", "authentication failed", auth),
        HostHeading("cloud-vm"),
        HostHeading("devbox", "host key changed", key),
    )
    window.set_grouping("session")
    assert layout(window) == [
        "# tmux session work", "%1",
        "# on a-vm — authentication failed", f"- {auth}",
        "# on cloud-vm", "cloud-vm:%2",
        "# on devbox — host key changed", f"- {key}",
    ]  # fmt: skip

    # Fixed: the heading goes with its problem; a search or flat shows only cards.
    bridge.set_hosts(HostHeading("cloud-vm"), HostHeading("devbox", "host key changed", key))
    window.set_grouping("flat")
    assert layout(window) == ["%1", "cloud-vm:%2"]
    window.set_grouping("project")
    assert layout(window)[-2:] == ["# on devbox — host key changed", f"- {key}"]
    bridge.set_hosts()
    assert "# on devbox — host key changed" not in layout(window)
    assert not window.grid.host_problems
