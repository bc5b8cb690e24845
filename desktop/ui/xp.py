"""XP on a card: progress within the level (the progression's own curve) and the count-up."""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QElapsedTimer, QObject, QVariantAnimation, Signal

from desktop.core.model import PersonaInfo
from desktop.core.progression.levels import level_for_xp, xp_for_level

XP_COUNT_MS = 700  # long enough to see the bar move, short enough not to lag the next event
LEVEL_UP_MS = 2200  # how long a card glows after a level-up


def level_progress(persona: PersonaInfo) -> tuple[int, int]:
    """(XP gained in this level, XP this level takes), never negative, span at least 1."""
    return xp_within_level(persona.xp, persona.level)


def xp_within_level(xp: int, level: int) -> tuple[int, int]:
    """(XP gained in `level`, XP that level takes) for a total of `xp`."""
    floor = xp_for_level(level)
    span = max(1, xp_for_level(level + 1) - floor)
    return min(span, max(0, xp - floor)), span


class XpCounter(QObject):
    """The XP total a card shows: counts up to a gain, jumps for anything else."""

    shown = Signal(int)  # the total to draw now
    level_reached = Signal(int)  # the count-up passed into this level
    settled = Signal(int)  # the count-up is over: the total is the target

    def __init__(self, parent: QObject | None = None, duration_ms: int = XP_COUNT_MS) -> None:
        super().__init__(parent)
        self.value = 0
        self.target = 0
        self._anim = QVariantAnimation(self)
        self._anim.setDuration(duration_ms)
        self._anim.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._anim.valueChanged.connect(self._on_value)
        self._anim.finished.connect(self._on_finished)
        self._duration_ms = duration_ms
        self._extended = False  # this count-up already took a second gain
        # Since the last gain that came faster than a count-up runs (invalid: none did).
        self._hurried = QElapsedTimer()

    @property
    def running(self) -> bool:
        return self._anim.state() == QVariantAnimation.State.Running

    def jump(self, xp: int) -> None:
        """Show `xp` at once (a new persona, a rebuild that lowered XP, a hidden card)."""
        self._anim.stop()
        self.value = self.target = xp
        self.shown.emit(xp)
        self.settled.emit(xp)

    def count_to(self, xp: int) -> None:
        """Count up from what is shown to `xp`; a gain during a count-up extends it."""
        if xp <= self.value:
            self.jump(xp)
            return
        if xp == self.target and self.running:
            return
        # Gains faster than a count-up runs (a busy session): show each total at once, or
        # every card would animate without end, costing frames the events need.
        rushing = self._hurried.isValid() and self._hurried.elapsed() < self._duration_ms
        if rushing or (self.running and self._extended):
            self._hurried.start()
            self._anim.stop()
            self.target = xp
            self._step_to(xp)
            self.settled.emit(xp)
            return
        self._extended = self.running
        self.target = xp
        self._anim.stop()
        self._anim.setStartValue(float(self.value))
        self._anim.setEndValue(float(xp))
        self._anim.start()

    def _on_value(self, value: object) -> None:
        # Changing a stopped animation's start or end re-emits a value at its old time: not
        # a step of any count-up, and it would move the total backwards.
        if not self.running:
            return
        assert isinstance(value, float)
        self._step_to(min(self.target, round(value)))

    def _step_to(self, xp: int) -> None:
        if xp == self.value:
            return
        before = level_for_xp(self.value)
        self.value = xp
        self.shown.emit(xp)
        after = level_for_xp(xp)
        if after > before:
            self.level_reached.emit(after)

    def _on_finished(self) -> None:
        if self.value != self.target:
            self._step_to(self.target)
        self.settled.emit(self.value)
