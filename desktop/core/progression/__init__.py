"""RPG progression: challenge catalog, XP, levels and badges."""
