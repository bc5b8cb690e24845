"""Desktop notifications over a real private D-Bus session bus, to a recording server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtDBus import QDBusConnection
from pytestqt.qtbot import QtBot

from desktop.core.model import Status
from desktop.ui.notify import Kind, Notice
from desktop.ui.services import DbusNotifications
from tests.support.dbus import private_session_bus
from tests.ui.fakes import FakeBridge, FakeTrayIcon, RecordingNotifications, pane, persona

SERVER = Path(__file__).with_name("notification_server.py")


@pytest.fixture
def session_bus() -> Iterator[str]:
    """A private dbus-daemon; yields its address."""
    with private_session_bus() as address:
        if address is None:
            pytest.skip("needs dbus-daemon (apt install dbus-daemon)")
        yield address


class Server:
    """The recording notification server in its own process."""

    def __init__(self, address: str, capabilities: tuple[str, ...] = ()) -> None:
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address, "QT_QPA_PLATFORM": "offscreen"}
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER), *capabilities],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.next() == {"ready": True}

    def next(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "the notification server exited"
        return dict(json.loads(line))

    def click(self, nid: int) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{nid}\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(5)
        self.proc.stdout.close()


# Claude's and its tools' words, as a notification could carry them.
UNTRUSTED = (
    'Bash: echo "<b>hi</b>"',
    "<img src=file:///etc/passwd> look",
    "Tom &amp; Jerry & co",
)


def shown_by_markup_server(body: str) -> str:
    """What a server that reads the spec's body markup (an XML subset) shows for body.

    Text only: any element in it would be rendered (bold, an image), so there must be none.
    """
    root = ET.fromstring(f"<body>{body}</body>")
    assert list(root) == [], f"the body carries markup: {body!r}"
    return root.text or ""


@pytest.fixture
def bus(session_bus: str) -> Iterator[QDBusConnection]:
    connection = QDBusConnection.connectToBus(session_bus, f"test-{os.getpid()}-{id(session_bus)}")
    assert connection.isConnected()
    yield connection
    QDBusConnection.disconnectFromBus(connection.name())


def test_notices_reach_the_desktop_service_with_the_spec_signature(
    qtbot: QtBot, session_bus: str, bus: QDBusConnection
) -> None:
    server = Server(session_bus)
    try:
        service = DbusNotifications(bus)
        assert service.available()
        assert service.show(Notice(Kind.NEEDS_INPUT, "%3", "Brave Otter needs input", "Asks"))
        first = server.next()
        assert first["summary"] == "Brave Otter needs input"
        assert first["body"] == "Asks"
        assert first["app_name"] == "claude-rpg"
        assert first["replaces_id"] == 0
        assert first["actions"] == ["default", "Show"]
        # The daemon finds the app's name and icon through its desktop file's id.
        assert first["hints"]["desktop-entry"] == "io.github.clauderpg.ClaudeRpg"
        # The next notice about the same pane replaces the first instead of piling up.
        assert service.show(Notice(Kind.FINISHED, "%3", "Brave Otter is done", "ok"))
        second = server.next()
        assert second["replaces_id"] == first["id"]
        # A click on it (the server's ActionInvoked) names the pane.
        with qtbot.waitSignal(service.clicked, timeout=5000) as clicked:
            server.click(second["id"])
        assert clicked.args == ["%3"]
    finally:
        server.stop()


def test_without_a_notification_service_the_tray_balloon_is_used(
    qtbot: QtBot, bus: QDBusConnection
) -> None:
    from desktop.ui.shell import DesktopShell

    desktop = DbusNotifications(bus)
    assert not desktop.available()  # nobody owns org.freedesktop.Notifications on this bus
    balloon = RecordingNotifications()
    bridge = FakeBridge()
    shell = DesktopShell(bridge, FakeTrayIcon(), [desktop, balloon])
    qtbot.addWidget(shell.window)
    bridge.put(pane(1, Status.NEEDS_INPUT, persona("s1", "A")))
    bridge.hook_event("PermissionRequest", "%1", detail="Bash: touch x")
    assert [n.kind for n in balloon.notices] == [Kind.NEEDS_INPUT]
    shell.close()


@pytest.mark.parametrize("text", UNTRUSTED)
def test_a_body_is_escaped_for_a_server_that_reads_markup(
    session_bus: str, bus: QDBusConnection, text: str
) -> None:
    server = Server(session_bus, ("actions", "body", "body-markup"))
    try:
        service = DbusNotifications(bus)
        assert service.show(Notice(Kind.FINISHED, "%3", "Brave Otter is done", text))
        call = server.next()
        assert shown_by_markup_server(call["body"]) == text
        assert call["summary"] == "Brave Otter is done"  # the summary is plain text by the spec
    finally:
        server.stop()


@pytest.mark.parametrize("text", UNTRUSTED)
def test_a_body_goes_as_it_is_to_a_server_that_shows_plain_text(
    session_bus: str, bus: QDBusConnection, text: str
) -> None:
    server = Server(session_bus, ("actions", "body"))
    try:
        service = DbusNotifications(bus)
        assert service.show(Notice(Kind.FINISHED, "%3", "Brave Otter is done", text))
        assert server.next()["body"] == text  # escaped, it would show its entities
    finally:
        server.stop()
