"""Notifications: needs input (PermissionRequest), done (Stop), failed (StopFailure).

Busy sessions finish turns and ask for permission many times a minute, and under load the app
sees hundreds of Stops a second: a notification for each would bury the desktop (and each is
a D-Bus round trip on the loop that serves the hooks). So a pane's notice of a kind is not
repeated within PANE_QUIET_S, and at most one notice of a kind shows every KIND_QUIET_S; a
notice held back shows when that time is over if it is still true then (the pane still idle,
still asking, still failed), and several held back at once show as one summary.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from desktop.config import NOTIFICATION_KINDS, Settings
from desktop.core.model import PaneState, Status
from desktop.ui.bridge import Bridge, SessionEvent

log = logging.getLogger(__name__)

BODY_LIMIT = 160
PANE_QUIET_S = 10.0  # as long as a notice stays up (services.EXPIRE_MS); the next replaces it
KIND_QUIET_S = 2.0


class Kind(StrEnum):
    """The kinds of notification, each one switchable (the keys of config.NOTIFICATION_KINDS)."""

    NEEDS_INPUT = "needs_input"
    FINISHED = "finished"
    FAILED = "failed"
    COST = "cost"  # today's estimated cost crossed the threshold in Settings (0: never)


# PermissionRequest, not the Notification(permission_prompt) that comes ~6 s later.
KIND_OF_EVENT: dict[str, Kind] = {
    "PermissionRequest": Kind.NEEDS_INPUT,
    "Stop": Kind.FINISHED,
    "StopFailure": Kind.FAILED,  # no Stop follows a failed turn
}

# The pane's status while a notice of that kind is still true.
STATUS_OF_KIND: dict[Kind, Status] = {
    Kind.NEEDS_INPUT: Status.NEEDS_INPUT,
    Kind.FINISHED: Status.IDLE,
    Kind.FAILED: Status.ERROR,
}


@dataclass
class NotificationSettings:
    """Which kinds are on; the settings dialog flips these attributes while the app runs."""

    needs_input: bool = True
    finished: bool = True
    failed: bool = True
    cost: bool = True  # switched by its threshold (Settings: daily cost alert)

    def enabled(self, kind: Kind) -> bool:
        return bool(getattr(self, kind.value))

    @classmethod
    def from_settings(cls, settings: Settings) -> NotificationSettings:
        return cls(
            **{
                kind.value: settings.notification_enabled(kind.value)
                for kind in Kind
                if kind.value in NOTIFICATION_KINDS
            }
        )


@dataclass(frozen=True)
class Notice:
    """One notification to show: what it is about and which pane a click opens."""

    kind: Kind
    pane_id: str | None
    title: str
    body: str
    who: str = ""  # the persona (or pane) and its target, for a summary of several notices


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
    return Notice(kind, event.pane_id, title, _elide(body), who=f"{event.who}{where}")


def summary_of(notices: list[Notice]) -> Notice:
    """One notice for several of a kind; a click on it opens the first one's pane."""
    kind, count = notices[0].kind, len(notices)
    names = ", ".join(n.who or n.title for n in notices)
    if kind is Kind.NEEDS_INPUT:
        title, body = f"{count} sessions need input", f"Waiting for your answer: {names}."
    elif kind is Kind.FINISHED:
        title, body = f"{count} sessions are done", f"{names}."
    else:
        title = f"{count} sessions: the turn failed"
        body = f"{names}: look at the panes and send the prompts again."
    return Notice(kind, notices[0].pane_id, title, _elide(body), who=names)


_NEVER = float("-inf")


class NoticeGate:
    """When notices show: at once, held back and shown later (alone or in a summary), or not.

    A notice shows at once unless its pane had one of its kind within pane_quiet_s, or any
    pane had one of its kind within kind_quiet_s. Otherwise it waits (a newer one for the same
    pane and kind takes its place); due() gives what may show once those times are over.
    Times are in seconds from any monotonic clock.
    """

    def __init__(self, pane_quiet_s: float = PANE_QUIET_S, kind_quiet_s: float = KIND_QUIET_S):
        self.pane_quiet_s = pane_quiet_s
        self.kind_quiet_s = kind_quiet_s
        self._kind_shown: dict[Kind, float] = {}
        self._pane_shown: dict[tuple[str, Kind], float] = {}
        self._waiting: dict[Kind, dict[str, Notice]] = {kind: {} for kind in Kind}

    def offer(self, notice: Notice, now: float) -> Notice | None:
        """The notice, to show now; or None: it waits for due()."""
        pane = notice.pane_id or ""
        if self._pane_free(pane, notice.kind, now) and self._kind_free(notice.kind, now):
            self._waiting[notice.kind].pop(pane, None)
            self._mark_shown(notice.kind, [pane], now)
            return notice
        self._waiting[notice.kind][pane] = notice
        return None

    def due(self, now: float, still_true: Callable[[Notice], bool]) -> list[Notice]:
        """Per kind, the waiting notices that may show now and are still true: one as
        itself, several as one summary. Those no longer true are dropped."""
        out = []
        for kind, waiting in self._waiting.items():
            if not waiting or not self._kind_free(kind, now):
                continue
            ready = [p for p in waiting if self._pane_free(p, kind, now)]
            notices = [n for n in (waiting.pop(p) for p in ready) if still_true(n)]
            if notices:
                self._mark_shown(kind, [n.pane_id or "" for n in notices], now)
                out.append(notices[0] if len(notices) == 1 else summary_of(notices))
        return out

    def next_due(self) -> float | None:
        """When the earliest waiting notice may show (None: nothing waits)."""
        times = [
            self._free_at(pane, kind) for kind, waiting in self._waiting.items() for pane in waiting
        ]
        return min(times, default=None)

    def free_at(self, notice: Notice) -> float:
        """When a notice like this one may show."""
        return self._free_at(notice.pane_id or "", notice.kind)

    def forget(self, pane_id: str) -> None:
        """The pane is gone: nothing waits for it any more."""
        for kind, waiting in self._waiting.items():
            waiting.pop(pane_id, None)
            self._pane_shown.pop((pane_id, kind), None)

    def _free_at(self, pane: str, kind: Kind) -> float:
        return max(
            self._kind_shown.get(kind, _NEVER) + self.kind_quiet_s,
            self._pane_shown.get((pane, kind), _NEVER) + self.pane_quiet_s,
        )

    def _pane_free(self, pane: str, kind: Kind, now: float) -> bool:
        return now >= self._pane_shown.get((pane, kind), _NEVER) + self.pane_quiet_s

    def _kind_free(self, kind: Kind, now: float) -> bool:
        return now >= self._kind_shown.get(kind, _NEVER) + self.kind_quiet_s

    def _mark_shown(self, kind: Kind, panes: list[str], now: float) -> None:
        self._kind_shown[kind] = now
        for pane in panes:
            self._pane_shown[(pane, kind)] = now


class Notifier(QObject):
    """Turns bridge events into notices (at the pace NoticeGate allows) through the first
    service that is available."""

    activated = Signal(str)  # pane id of a clicked notice
    shown = Signal(object)  # the Notice, after a service took it

    def __init__(
        self,
        bridge: Bridge,
        services: list[NotificationService],
        settings: NotificationSettings | None = None,
        parent: QObject | None = None,
        gate: NoticeGate | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.settings = settings or NotificationSettings()
        self.services = services
        self.gate = gate or NoticeGate()
        self.clock = clock
        # Each pane's latest status: a held-back notice shows only if it is still true.
        self._status: dict[str, Status] = {p.pane_id: p.status for p in bridge.panes()}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.show_due)
        for service in services:
            service.clicked.connect(self._on_clicked)
        bridge.event_received.connect(self.on_event)
        bridge.pane_changed.connect(self._on_pane)
        bridge.pane_removed.connect(self._on_removed)

    def on_event(self, event: SessionEvent) -> None:
        notice = notice_for(event)
        if notice is None or not self.settings.enabled(notice.kind):
            return
        now = self.clock()
        if self.gate.offer(notice, now) is not None:
            self.notify(notice)
        else:
            # Held back: the timer must fire by the time it may show (under load this runs
            # for hundreds of Stops a second, so only this notice's time is worked out).
            self._wake_at(self.gate.free_at(notice), now)

    def show_due(self) -> None:
        """Show the held-back notices whose time has come (the timer calls this)."""
        for notice in self.gate.due(self.clock(), self._still_true):
            self.notify(notice)
        self._schedule()

    def _schedule(self) -> None:
        due = self.gate.next_due()
        if due is None:
            self._timer.stop()
        else:
            self._wake_at(due, self.clock())

    def _wake_at(self, due: float, now: float) -> None:
        # A coarse timer may fire a little early: show_due then finds nothing free yet and
        # sets the timer again for what is left.
        wait_ms = max(0, math.ceil((due - now) * 1000))
        if not self._timer.isActive() or self._timer.remainingTime() > wait_ms:
            self._timer.start(wait_ms)

    def _still_true(self, notice: Notice) -> bool:
        if not self.settings.enabled(notice.kind):
            return False
        if notice.pane_id is None or notice.pane_id not in self._status:
            return True
        return self._status[notice.pane_id] is STATUS_OF_KIND[notice.kind]

    def _on_pane(self, pane: PaneState) -> None:
        self._status[pane.pane_id] = pane.status

    def _on_removed(self, pane_id: str) -> None:
        self._status.pop(pane_id, None)
        self.gate.forget(pane_id)

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
