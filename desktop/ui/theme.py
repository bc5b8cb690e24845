"""Status words, icons and colours, picked for the current light or dark palette."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette

from desktop.core.model import Status


@dataclass(frozen=True)
class StatusStyle:
    """How one status looks: a word, an icon shape and a colour per theme."""

    word: str
    icon: str
    light: str
    dark: str

    def color(self, palette: QPalette) -> QColor:
        return QColor(self.dark if is_dark(palette) else self.light)


# Each status has its own icon shape and word, so colour is never the only signal.
STATUS_STYLES: dict[Status, StatusStyle] = {
    Status.WORKING: StatusStyle("working", "status-working", "#1d4ed8", "#60a5fa"),
    Status.NEEDS_INPUT: StatusStyle("needs input", "status-needs-input", "#b45309", "#fbbf24"),
    Status.IDLE: StatusStyle("idle", "status-idle", "#15803d", "#4ade80"),
    Status.ERROR: StatusStyle("error", "status-error", "#b91c1c", "#f87171"),
    Status.ENDED: StatusStyle("ended", "status-ended", "#4b5563", "#9ca3af"),
    Status.UNKNOWN: StatusStyle("unknown", "status-unknown", "#6b7280", "#9ca3af"),
}


# XP is purple everywhere (bars, counts, the chart); a level-up is gold. Both read on light and
# dark backgrounds.
XP_COLOR = "#a855f7"
LEVEL_UP_COLOR = "#f59e0b"


def style_for(status: Status) -> StatusStyle:
    return STATUS_STYLES[status]


def is_dark(palette: QPalette) -> bool:
    """A dark theme is one whose window background is darker than its text."""
    window = palette.color(QPalette.ColorRole.Window).lightnessF()
    text = palette.color(QPalette.ColorRole.WindowText).lightnessF()
    return window < text


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    """a blended towards b by amount (0: a, 1: b)."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * amount,
        a.greenF() + (b.greenF() - a.greenF()) * amount,
        a.blueF() + (b.blueF() - a.blueF()) * amount,
        1.0,
    )


def card_background(palette: QPalette) -> QColor:
    """Cards sit a little apart from the window in both themes."""
    base = palette.color(QPalette.ColorRole.Base)
    window = palette.color(QPalette.ColorRole.Window)
    return mix(window, base, 0.7) if is_dark(palette) else base


def card_border(palette: QPalette) -> QColor:
    return mix(
        palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.Text), 0.18
    )


def muted_text(palette: QPalette) -> QColor:
    return mix(palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text), 0.62)
