"""The plan's 5-hour and 7-day limits (Pro/Max, from Claude's status line): a strip over
the cards, a tray tooltip line, and one notification per window when it passes a threshold."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from desktop.core.usage.status_reader import PlanLimits, RateLimit
from desktop.ui.bridge import Bridge
from desktop.ui.i18n import tr
from desktop.ui.notify import Kind, Notice
from desktop.ui.safe_text import plain_label
from desktop.ui.widgets import ProgressStrip

WARN_COLORS = ("#c2410c", "#fb923c")
DEFAULT_PLAN_WARN = 90  # until the settings say otherwise (config.plan_limit_alert_percent)
OK_COLORS = ("#0e7490", "#22d3ee")


def reset_text(when: datetime | None, now: datetime | None = None) -> str:
    """`resets 17:00` today, `resets Mon 09:00` later; '' when unknown."""
    if when is None:
        return ""
    local = when.astimezone()
    today = (now or datetime.now(UTC)).astimezone().date()
    if local.date() == today:
        return tr("resets {}").format(local.strftime("%H:%M"))
    return tr("resets {}").format(local.strftime("%a %H:%M"))


def windows(limits: PlanLimits | None) -> list[tuple[str, str, RateLimit]]:
    """(key, label, limit) for each window the status line reported."""
    if limits is None:
        return []
    found = [("five_hour", tr("5-hour"), limits.five_hour)]
    found.append(("seven_day", tr("7-day"), limits.seven_day))
    return [(key, label, limit) for key, label, limit in found if limit is not None]


def limits_text(limits: PlanLimits | None, now: datetime | None = None) -> str:
    """`Plan: 5-hour 42% (resets 17:00) · 7-day 91% (resets Mon 09:00)`; '' without a plan."""
    parts = []
    for _key, label, limit in windows(limits):
        when = reset_text(limit.resets_at, now)
        parts.append(f"{label} {limit.used_percent:.0f}%" + (f" ({when})" if when else ""))
    return tr("Plan: {}").format(" · ".join(parts)) if parts else ""


class PlanLimitsStrip(QWidget):
    """Over the cards: a meter per plan window; hidden when Claude reported none."""

    def __init__(
        self, bridge: Bridge, warn_at: Callable[[], int], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.warn_at = warn_at
        self.setObjectName("planLimits")
        self.box = QHBoxLayout(self)
        self.box.setContentsMargins(18, 6, 18, 2)
        self.box.setSpacing(10)
        self.meters: dict[str, tuple[QLabel, ProgressStrip]] = {}
        self.box.addStretch(1)
        bridge.usage_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        limits = self.bridge.plan_limits()
        shown = windows(limits)
        self.setVisible(bool(shown))
        for key, label, limit in shown:
            if key not in self.meters:
                text = plain_label(QLabel())
                bar = ProgressStrip(height=6, colors=OK_COLORS)
                bar.setFixedWidth(120)
                at = self.box.count() - 1  # before the stretch
                self.box.insertWidget(at, text)
                self.box.insertWidget(at + 1, bar, 0, Qt.AlignmentFlag.AlignVCenter)
                self.meters[key] = (text, bar)
            text, bar = self.meters[key]
            warn = 0 < self.warn_at() <= limit.used_percent
            when = reset_text(limit.resets_at)
            text.setText(f"{label} {limit.used_percent:.0f}%" + (f" · {when}" if when else ""))
            bar.set_colors(WARN_COLORS if warn else OK_COLORS)
            bar.set_fraction(limit.used_percent / 100)


class PlanLimitAlert(QObject):
    """One notification per plan window (until it resets) when its use passes the threshold."""

    def __init__(
        self,
        bridge: Bridge,
        threshold: Callable[[], int],
        notify: Callable[[Notice], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.threshold = threshold
        self.notify = notify
        self.notified: set[tuple[str, datetime | None]] = set()
        bridge.usage_changed.connect(self.check)
        self.check()

    def check(self) -> list[Notice]:
        limit_at = self.threshold()
        shown: list[Notice] = []
        if limit_at <= 0:
            return shown
        for key, label, limit in windows(self.bridge.plan_limits()):
            mark = (key, limit.resets_at)
            if limit.used_percent < limit_at or mark in self.notified:
                continue
            self.notified.add(mark)
            when = reset_text(limit.resets_at)
            notice = Notice(
                Kind.COST,
                None,
                tr("Claude plan: {} limit at {:.0f}%").format(label, limit.used_percent),
                tr("Your {} window is {:.0f}% used{}.").format(
                    label, limit.used_percent, f", {when}" if when else ""
                ),
            )
            self.notify(notice)
            shown.append(notice)
        return shown
