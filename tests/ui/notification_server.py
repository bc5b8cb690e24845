"""A stand-in org.freedesktop.Notifications server on a private session bus (for tests).

It answers Notify with the spec's signature (susssasa{sv}i -> u), writes each call as one
JSON line to stdout, lists the capabilities given as its arguments (default: actions, body),
and invokes the "default" action of a notification when told to on
stdin (a line with its id): what a person's click does.
"""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import ClassInfo, QCoreApplication, QObject, QSocketNotifier, Signal, Slot
from PySide6.QtDBus import QDBusConnection


@ClassInfo({"D-Bus Interface": "org.freedesktop.Notifications"})
class NotificationServer(QObject):
    """Records Notify calls; emits ActionInvoked on request."""

    ActionInvoked = Signal("uint", str)
    NotificationClosed = Signal("uint", "uint")

    def __init__(self, capabilities: list[str]) -> None:
        super().__init__()
        self.last_id = 0
        self.capabilities = capabilities

    @Slot(str, "uint", str, str, str, "QStringList", "QVariantMap", int, result="uint")
    def Notify(
        self,
        app_name: str,
        replaces_id: int,
        app_icon: str,
        summary: str,
        body: str,
        actions: list[str],
        hints: dict[str, object],
        expire_timeout: int,
    ) -> int:
        if replaces_id:
            nid = replaces_id
        else:
            self.last_id += 1
            nid = self.last_id
        call = {
            "id": nid,
            "app_name": app_name,
            "replaces_id": replaces_id,
            "app_icon": app_icon,
            "summary": summary,
            "body": body,
            "actions": list(actions),
            "hints": {k: str(v) for k, v in hints.items()},
            "expire_timeout": expire_timeout,
        }
        print(json.dumps(call), flush=True)
        return nid

    @Slot(result="QStringList")
    def GetCapabilities(self) -> list[str]:
        return self.capabilities

    def click(self, nid: int) -> None:
        self.ActionInvoked.emit(nid, "default")


def main() -> int:
    app = QCoreApplication(sys.argv[:1])
    bus = QDBusConnection.sessionBus()
    server = NotificationServer(sys.argv[1:] or ["actions", "body"])
    options = (
        QDBusConnection.RegisterOption.ExportAllSlots
        | QDBusConnection.RegisterOption.ExportAllSignals
    )
    if not bus.registerObject("/org/freedesktop/Notifications", server, options):
        print(json.dumps({"error": "registerObject failed"}), flush=True)
        return 1
    if not bus.registerService("org.freedesktop.Notifications"):
        print(json.dumps({"error": bus.lastError().message()}), flush=True)
        return 1
    print(json.dumps({"ready": True}), flush=True)

    def read_command() -> None:
        line = sys.stdin.readline()
        if not line:
            app.quit()
        elif line.strip().isdigit():
            server.click(int(line))

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(read_command)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
