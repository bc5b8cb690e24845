"""XP within the current level, for the card's bar."""

from __future__ import annotations

from desktop.core.model import PersonaInfo

# Until the progression issue publishes its curve, level n starts at 100·n·(n-1)/2 XP
# (0, 100, 300, 600, ...). The bar only needs the span of the current level.
XP_STEP = 100


def level_floor(level: int) -> int:
    """The XP at which `level` starts."""
    n = max(1, level)
    return XP_STEP * n * (n - 1) // 2


def level_progress(persona: PersonaInfo) -> tuple[int, int]:
    """(XP gained in this level, XP this level takes), never negative, span at least 1."""
    floor = level_floor(persona.level)
    span = max(1, level_floor(persona.level + 1) - floor)
    return min(span, max(0, persona.xp - floor)), span
