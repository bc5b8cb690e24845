"""One notification a day when today's estimated cost crosses the threshold in Settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QObject

from desktop.ui.bridge import Bridge
from desktop.ui.i18n import tr
from desktop.ui.notify import Kind, Notice


def cost_text(dollars: float) -> str:
    """`$1.23` (cents shown; a fraction of a cent as `<$0.01`)."""
    if 0 < dollars < 0.005:
        return "<$0.01"
    return f"${dollars:,.2f}"


class CostAlert(QObject):
    """Watches today's estimated cost after each usage change; notifies once when it crosses.

    A cost already over the threshold when the app starts (or when the threshold is lowered
    below it) counts as crossed: no notice for it, so a restart never repeats the day's."""

    def __init__(
        self,
        bridge: Bridge,
        threshold: Callable[[], float],
        notify: Callable[[Notice], bool],
        today: Callable[[], date] = date.today,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.threshold = threshold
        self.notify = notify
        self.today = today
        self.notified_on: date | None = None
        self._armed_for: tuple[date, float] | None = None
        bridge.usage_changed.connect(self.check)
        self.check(quiet=True)

    def check(self, quiet: bool = False) -> Notice | None:
        """Compare today's cost with the threshold; the notice shown, if any."""
        limit = self.threshold()
        cost = self.bridge.today_cost()
        if limit <= 0 or cost is None:
            return None
        day = self.today()
        if self._armed_for != (day, limit):
            # A new day or a new threshold: a cost already over it was crossed before.
            self._armed_for = (day, limit)
            if cost >= limit and (quiet or self.notified_on == day):
                self.notified_on = day
        if cost < limit or self.notified_on == day:
            return None
        self.notified_on = day
        notice = Notice(
            Kind.COST,
            None,
            tr("Today's Claude cost passed {}").format(cost_text(limit)),
            tr("About {} so far today (an estimate from token counts).").format(cost_text(cost)),
        )
        self.notify(notice)
        return notice
