"""Persona avatars: a mirrored pixel sprite drawn locally from the persona's seed."""

from __future__ import annotations

import functools
import hashlib

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPixmap

GRID = 7  # sprite cells per side; the left half is mirrored so it reads as a creature


def _seed_bytes(seed: str) -> bytes:
    # Seeds are sha256 hex today; hashing again keeps any seed text usable and well spread.
    return hashlib.sha256(seed.encode("utf-8")).digest()


def sprite_cells(seed: str) -> frozenset[tuple[int, int]]:
    """The filled (column, row) cells of the seed's sprite, symmetric around the middle."""
    bits = int.from_bytes(_seed_bytes(seed)[4:12], "big")
    half = (GRID + 1) // 2
    cells = set()
    for row in range(1, GRID - 1):
        for col in range(1, half):
            if bits & 1:
                cells.add((col, row))
                cells.add((GRID - 1 - col, row))
            bits >>= 1
    # Eyes on row 2 make every sprite a face, whatever the bits said.
    cells |= {(2, 2), (GRID - 3, 2)}
    return frozenset(cells)


def avatar_colors(seed: str) -> tuple[QColor, QColor]:
    """Background and sprite colours: one hue per seed, light sprite on a saturated tile."""
    raw = _seed_bytes(seed)
    hue = int.from_bytes(raw[:2], "big") % 360
    background = QColor.fromHsl(hue, 150 + raw[2] % 60, 92 + raw[3] % 28)
    sprite = QColor.fromHsl((hue + 24) % 360, 90, 232)
    return background, sprite


def avatar_pixmap(seed: str, size: int, dpr: float = 1.0) -> QPixmap:
    """The avatar at size x size logical pixels; the same seed always draws the same image."""
    return _avatar(seed, size, round(dpr * 100))


@functools.lru_cache(maxsize=1024)
def _avatar(seed: str, size: int, dpr_percent: int) -> QPixmap:
    dpr = dpr_percent / 100
    side = max(1, round(size * dpr))
    image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    background, sprite = avatar_colors(seed)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    tile = QPainterPath()
    tile.addRoundedRect(QRectF(0, 0, side, side), side * 0.22, side * 0.22)
    painter.fillPath(tile, background)
    painter.setClipPath(tile)
    cell = side / GRID
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    for col, row in sprite_cells(seed):
        # Cells overlap by a pixel so no seams show between them at fractional scales.
        painter.fillRect(QRectF(col * cell, row * cell, cell + 1, cell + 1), sprite)
    pupil = QColor(background).darker(190)
    for col in (2, GRID - 3):
        painter.fillRect(QRectF((col + 0.25) * cell, 2.3 * cell, cell * 0.5, cell * 0.55), pupil)
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(dpr)
    return pixmap
