"""Waiting on a condition instead of sleeping a fixed time: polls until it holds or fails."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

POLL_S = 0.01


def wait_until(condition: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    """Block until condition() is true; fail with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout}s"
        time.sleep(POLL_S)


async def until(condition: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    """Await (letting the loop run) until condition() is true; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout}s"
        await asyncio.sleep(POLL_S)
