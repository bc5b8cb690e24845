"""XP within the current level, for the card's bar (the progression's own curve)."""

from __future__ import annotations

from desktop.core.model import PersonaInfo
from desktop.core.progression.levels import xp_for_level


def level_progress(persona: PersonaInfo) -> tuple[int, int]:
    """(XP gained in this level, XP this level takes), never negative, span at least 1."""
    floor = xp_for_level(persona.level)
    span = max(1, xp_for_level(persona.level + 1) - floor)
    return min(span, max(0, persona.xp - floor)), span
