"""SVG icons from resources/, rendered crisp at any size and device pixel ratio."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

RESOURCES_ENV = "CLAUDE_RPG_RESOURCES"
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]


class MissingResourceError(FileNotFoundError):
    """An icon the UI needs is not installed; the message says where it was looked for."""


def resource_dirs() -> list[Path]:
    """Where icons are looked for: $CLAUDE_RPG_RESOURCES, the package, then the source tree."""
    dirs = []
    if override := os.environ.get(RESOURCES_ENV):
        dirs.append(Path(override))
    dirs += [_PACKAGE_ROOT / "resources", _PACKAGE_ROOT.parent / "resources"]
    return dirs


@functools.cache
def svg_source(name: str) -> str:
    """The text of resources/icons/<name>.svg."""
    for folder in resource_dirs():
        path = folder / "icons" / f"{name}.svg"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    looked = ", ".join(str(d / "icons") for d in resource_dirs())
    raise MissingResourceError(
        f"icon {name}.svg is missing (looked in {looked}); reinstall claude-rpg "
        f"or point ${RESOURCES_ENV} at its resources folder"
    )


@functools.cache
def _renderer(name: str, color: str) -> QSvgRenderer:
    # Monochrome icons say currentColor, so one file serves every status colour and theme.
    text = svg_source(name).replace("currentColor", color)
    return QSvgRenderer(QByteArray(text.encode("utf-8")))


def svg_pixmap(name: str, size: int, dpr: float = 1.0, color: QColor | None = None) -> QPixmap:
    """The icon drawn at size x size logical pixels for a screen of device pixel ratio dpr."""
    return _cached_pixmap(name, size, round(dpr * 100), color.name() if color else "#000000")


@functools.lru_cache(maxsize=512)
def _cached_pixmap(name: str, size: int, dpr_percent: int, color: str) -> QPixmap:
    dpr = dpr_percent / 100
    side = max(1, round(size * dpr))
    image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    _renderer(name, color).render(painter, QRectF(0, 0, side, side))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(dpr)
    return pixmap


def svg_icon(name: str, color: QColor | None = None) -> QIcon:
    """A QIcon with the usual tray and menu sizes, each drawn from the SVG (no scaling blur)."""
    icon = QIcon()
    for size in (16, 22, 24, 32, 48, 64, 128):
        icon.addPixmap(svg_pixmap(name, size, 1.0, color))
        icon.addPixmap(svg_pixmap(name, size, 2.0, color))
    return icon
