"""Status words, icons and colours, picked for the current light or dark palette."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

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
        return QColor(self.color_for(is_dark(palette)))

    def color_for(self, dark: bool) -> QColor:
        """The theme's colour, parsed once (cards paint it many times a second): keep it as is."""
        return self._colors[1] if dark else self._colors[0]

    @cached_property
    def _colors(self) -> tuple[QColor, QColor]:
        return QColor(self.light), QColor(self.dark)


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
    return palette_colors(palette).dark


def _is_dark(palette: QPalette) -> bool:
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
    return QColor(palette_colors(palette).card_background)


def card_border(palette: QPalette) -> QColor:
    return QColor(palette_colors(palette).card_border)


def muted_text(palette: QPalette) -> QColor:
    return QColor(palette_colors(palette).muted)


@dataclass(frozen=True)
class PaletteColors:
    """The colours derived from one palette; shared between paints, so never change them."""

    dark: bool
    text: QColor
    muted: QColor
    card_background: QColor
    card_border: QColor
    track: QColor  # the empty part of a progress strip


# Every card paints with these, many times a second under load: mixing them afresh on each
# paint was a few percent of the app's CPU. A palette's cacheKey changes whenever any of its
# colours does (a theme switch), so a changed palette is simply a new entry.
_PALETTE_COLORS: dict[int, PaletteColors] = {}
_PALETTE_COLORS_LIMIT = 64


def palette_colors(palette: QPalette) -> PaletteColors:
    """The colours the cards paint with under `palette`, worked out once per palette."""
    key = palette.cacheKey()
    found = _PALETTE_COLORS.get(key)
    if found is None:
        if len(_PALETTE_COLORS) >= _PALETTE_COLORS_LIMIT:
            _PALETTE_COLORS.clear()
        found = _PALETTE_COLORS[key] = _palette_colors(palette)
    return found


def _palette_colors(palette: QPalette) -> PaletteColors:
    base = palette.color(QPalette.ColorRole.Base)
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.Text)
    dark = _is_dark(palette)
    muted = mix(base, text, 0.62)
    return PaletteColors(
        dark=dark,
        text=text,
        muted=muted,
        card_background=mix(window, base, 0.7) if dark else base,
        card_border=mix(window, text, 0.18),
        track=mix(base, muted, 0.3),
    )
