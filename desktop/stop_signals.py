"""Stopping the app on SIGTERM and SIGINT, for the headless run and the desktop shell alike."""

from __future__ import annotations

import asyncio
import signal


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT end the app cleanly (through the loop, not mid-callback)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
