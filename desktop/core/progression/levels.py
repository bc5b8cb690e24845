"""The level curve: level L needs 25·L·(L−1) XP in total, so each level costs 50 XP more."""

from __future__ import annotations

from dataclasses import dataclass
from math import isqrt

XP_STEP = 50  # level L -> L+1 costs XP_STEP * L


def xp_for_level(level: int) -> int:
    """Total XP a persona needs to reach `level` (level 1 needs none)."""
    level = max(level, 1)
    return XP_STEP * level * (level - 1) // 2


def level_for_xp(xp: int) -> int:
    """The level a persona with `xp` total XP is at."""
    if xp <= 0:
        return 1
    # Largest L with L(L-1) <= 2·xp/XP_STEP, from the quadratic formula in integers.
    level = (1 + isqrt(1 + 8 * xp // XP_STEP)) // 2
    while xp_for_level(level + 1) <= xp:
        level += 1
    while level > 1 and xp_for_level(level) > xp:
        level -= 1
    return level


@dataclass(frozen=True)
class LevelProgress:
    """Where a persona stands between two levels (what an XP bar shows)."""

    level: int
    xp: int
    level_xp: int  # total XP at which this level began
    next_level_xp: int  # total XP at which the next level begins

    @property
    def fraction(self) -> float:
        """How full the bar is, 0.0 to 1.0."""
        span = self.next_level_xp - self.level_xp
        return (self.xp - self.level_xp) / span if span else 0.0


def level_progress(xp: int) -> LevelProgress:
    level = level_for_xp(xp)
    return LevelProgress(level, xp, xp_for_level(level), xp_for_level(level + 1))
