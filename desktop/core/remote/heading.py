"""What a remote host's heading says in the window and the tray (no store, no Qt: the
widgets read it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HostHeading:
    """A host's heading: its name, a few words of its problem (empty when it is fine) and
    the whole sentence of it."""

    name: str
    words: str = ""
    sentence: str = ""
