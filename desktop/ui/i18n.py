"""tr(): every new UI string passes through Qt's translator, so a translation can hook in."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

CONTEXT = "claude-rpg"


def tr(text: str) -> str:
    """`text` in the user's language when a translation is installed, else as written."""
    return QCoreApplication.translate(CONTEXT, text)
