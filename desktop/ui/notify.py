"""Notifications: needs input (PermissionRequest), done (Stop), failed (StopFailure)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from PySide6.QtCore import QObject, Signal, SignalInstance

from desktop.config import Settings
from desktop.ui.bridge import Bridge, SessionEvent

log = logging.getLogger(__name__)

BODY_LIMIT = 160


class Kind(StrEnum):
    """The kinds of notification, each one switchable (the keys of config.NOTIFICATION_KINDS)."""

    NEEDS_INPUT = "needs_input"
    FINISHED = "finished"
    FAILED = "failed"


# PermissionRequest, not the Notification(permission_prompt) that comes ~6 s later.
KIND_OF_EVENT: dict[str, Kind] = {
    "PermissionRequest": Kind.NEEDS_INPUT,
    "Stop": Kind.FINISHED,
    "StopFailure": Kind.FAILED,  # no Stop follows a failed turn
}


@dataclass
class NotificationSettings:
    """Which kinds are on; the settings dialog flips these attributes while the app runs."""

    needs_input: bool = True
    finished: bool = True
    failed: bool = True

    def enabled(self, kind: Kind) -> bool:
        return bool(getattr(self, kind.value))

    @classmethod
    def from_settings(cls, settings: Settings) -> NotificationSettings:
        return cls(**{kind.value: settings.notification_enabled(kind.value) for kind in Kind})


@dataclass(frozen=True)
class Notice:
    """One notification to show: what it is about and which pane a click opens."""

    kind: Kind
    pane_id: str | None
    title: str
    body: str


class NotificationService(Protocol):
    """A way to show notices (the desktop service, the tray balloon, a test's recorder)."""

    @property
    def clicked(self) -> SignalInstance: ...  # the pane id of a clicked notice, or ""

    def available(self) -> bool: ...
    def show(self, notice: Notice) -> bool: ...


def _elide(text: str, limit: int = BODY_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notice_for(event: SessionEvent) -> Notice | None:
    """The notice an event deserves, or None for ordinary events."""
    kind = KIND_OF_EVENT.get(event.name)
    if kind is None:
        return None
    where = f" ({event.pane.target})" if event.pane is not None else ""
    if kind is Kind.NEEDS_INPUT:
        title = f"{event.who} needs input{where}"
        body = f"Asks to use {event.detail}" if event.detail else "Waiting for your answer."
    elif kind is Kind.FINISHED:
        title = f"{event.who} is done{where}"
        body = event.detail or "The turn finished."
    else:
        title = f"{event.who}: the turn failed{where}"
        reason = event.detail or "unknown error"
        body = f"The API answered {reason}; look at the pane and send the prompt again."
    return Notice(kind, event.pane_id, title, _elide(body))


class Notifier(QObject):
    """Turns bridge events into notices through the first service that is available."""

    activated = Signal(str)  # pane id of a clicked notice
    shown = Signal(object)  # the Notice, after a service took it

    def __init__(
        self,
        bridge: Bridge,
        services: list[NotificationService],
        settings: NotificationSettings | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings or NotificationSettings()
        self.services = services
        for service in services:
            service.clicked.connect(self._on_clicked)
        bridge.event_received.connect(self.on_event)

    def on_event(self, event: SessionEvent) -> None:
        notice = notice_for(event)
        if notice is None or not self.settings.enabled(notice.kind):
            return
        self.notify(notice)

    def notify(self, notice: Notice) -> bool:
        for service in self.services:
            if service.available() and service.show(notice):
                self.shown.emit(notice)
                return True
        log.info("no notification service could show %r", notice.title)
        return False

    def _on_clicked(self, pane_id: str) -> None:
        if pane_id:
            self.activated.emit(pane_id)
