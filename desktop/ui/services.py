"""Notification services: org.freedesktop.Notifications over QtDBus, and the tray balloon."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import Q_ARG, Q_RETURN_ARG, SLOT, QMetaObject, QObject, Qt, Signal, Slot
from PySide6.QtDBus import QDBusConnection, QDBusInterface, QDBusMessage
from PySide6.QtWidgets import QSystemTrayIcon

from desktop.freedesktop import APP_ID
from desktop.ui.notify import Kind, Notice
from desktop.ui.resources import resource_dirs
from desktop.ui.safe_text import markup_body

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
CALL_TIMEOUT_MS = 1500
RETRY_SECONDS = 30.0
EXPIRE_MS = 10_000


def _app_icon() -> str:
    for folder in resource_dirs():
        path = folder / "icons" / "app.svg"
        if path.is_file():
            return path.resolve().as_uri()
    return ""


class DbusNotifications(QObject):
    """The desktop's notification service; a click on a notice reports its pane."""

    clicked = Signal(str)

    def __init__(self, bus: QDBusConnection | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bus = bus if bus is not None else QDBusConnection.sessionBus()
        self._iface: QDBusInterface | None = None
        self._next_try = 0.0
        self._pane_of: dict[int, str] = {}  # notification id -> pane id
        self._id_of: dict[str, int] = {}  # pane id -> its latest notification id (replaced)
        self._icon = _app_icon()
        # Does the server read the body as markup (capability "body-markup")? Then the body,
        # Claude's words and commands, goes as escaped text; else as it is (escaped, it
        # would show its entities).
        self._markup = True
        if self.bus.isConnected():
            for signal, slot in (
                ("ActionInvoked", "_on_action(uint,QString)"),
                ("NotificationClosed", "_on_closed(uint,uint)"),
            ):
                # The stubs say bytes; at run time PySide6 only accepts SLOT()'s str.
                self.bus.connect(SERVICE, PATH, INTERFACE, signal, self, SLOT(slot))  # type: ignore[call-overload]

    def available(self) -> bool:
        return self._interface() is not None

    def _interface(self) -> QDBusInterface | None:
        if self._iface is not None and self._iface.isValid():
            return self._iface
        # Looking the service up blocks for a moment: not again for every event.
        if not self.bus.isConnected() or time.monotonic() < self._next_try:
            return None
        self._next_try = time.monotonic() + RETRY_SECONDS
        iface = QDBusInterface(SERVICE, PATH, INTERFACE, self.bus, self)
        if not iface.isValid():
            log.info("no desktop notification service: %s", iface.lastError().message())
            return None
        iface.setTimeout(CALL_TIMEOUT_MS)
        self._markup = _reads_markup(iface)
        self._iface = iface
        return iface

    def show(self, notice: Notice) -> bool:
        iface = self._interface()
        if iface is None:
            return False
        replaces = self._id_of.get(notice.pane_id or "", 0)
        # QDBusInterface.call() would send Python ints as int32 and the spec's uint32
        # replaces_id would not match; a typed meta-call marshals the introspected signature.
        try:
            nid = QMetaObject.invokeMethod(
                iface,
                "Notify",
                Qt.ConnectionType.DirectConnection,
                Q_RETURN_ARG("uint"),
                Q_ARG(str, "claude-rpg"),
                Q_ARG("uint", replaces),
                Q_ARG(str, self._icon),
                Q_ARG(str, notice.title),
                Q_ARG(str, markup_body(notice.body) if self._markup else notice.body),
                Q_ARG("QStringList", ["default", "Show"]),
                Q_ARG("QVariantMap", {"desktop-entry": APP_ID, "category": _category(notice)}),
                Q_ARG(int, EXPIRE_MS),
            )
        except RuntimeError as e:
            log.warning("desktop notification failed: %s", e)
            return False
        error = iface.lastError()
        if error.isValid() or not isinstance(nid, int) or nid == 0:
            log.warning("desktop notification failed: %s", error.message() or "no id returned")
            self._iface = None
            return False
        if notice.pane_id:
            self._pane_of[nid] = notice.pane_id
            self._id_of[notice.pane_id] = nid
        return True

    @Slot("uint", str)
    def _on_action(self, nid: int, action: str) -> None:
        pane_id = self._pane_of.get(nid)
        if pane_id is not None and action in ("default", "Show"):
            self.clicked.emit(pane_id)

    @Slot("uint", "uint")
    def _on_closed(self, nid: int, _reason: int) -> None:
        pane_id = self._pane_of.pop(nid, None)
        if pane_id is not None and self._id_of.get(pane_id) == nid:
            del self._id_of[pane_id]


def _reads_markup(iface: QDBusInterface) -> bool:
    """Whether the server parses bodies as markup; when it cannot say, assume it does (the
    body is then escaped: shown with its entities at worst, never rendered as markup)."""
    reply = iface.call("GetCapabilities")
    arguments = reply.arguments() if reply.type() == QDBusMessage.MessageType.ReplyMessage else []
    if not arguments or not isinstance(arguments[0], list):
        log.info("the notification service did not list its capabilities; escaping bodies")
        return True
    return "body-markup" in arguments[0]


def _category(notice: Notice) -> str:
    return {
        Kind.NEEDS_INPUT: "im.received",
        Kind.FINISHED: "transfer.complete",
        Kind.FAILED: "transfer.error",
        Kind.COST: "x-claude-rpg.cost",
    }[notice.kind]


class TrayBalloonNotifications(QObject):
    """The tray icon's balloon, for desktops without a notification service."""

    clicked = Signal(str)

    def __init__(self, tray: QSystemTrayIcon | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tray = tray
        self._last_pane = ""
        if tray is not None:
            tray.messageClicked.connect(lambda: self.clicked.emit(self._last_pane))

    def available(self) -> bool:
        return (
            self.tray is not None and self.tray.isVisible() and QSystemTrayIcon.supportsMessages()
        )

    def show(self, notice: Notice) -> bool:
        if self.tray is None:
            return False
        self._last_pane = notice.pane_id or ""
        icon = {
            Kind.NEEDS_INPUT: QSystemTrayIcon.MessageIcon.Warning,
            Kind.FINISHED: QSystemTrayIcon.MessageIcon.Information,
            Kind.FAILED: QSystemTrayIcon.MessageIcon.Critical,
            Kind.COST: QSystemTrayIcon.MessageIcon.Warning,
        }[notice.kind]
        self.tray.showMessage(notice.title, notice.body, icon, EXPIRE_MS)
        return True
