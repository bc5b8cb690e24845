"""A private D-Bus session bus for tests and benchmarks: never the user's own bus."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def private_session_bus() -> Iterator[str | None]:
    """Run a dbus-daemon of our own; yield its address, or None without dbus-daemon."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        yield None
        return
    bus = subprocess.Popen(
        [daemon, "--session", "--nofork", "--print-address=1", "--nopidfile"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert bus.stdout is not None
    try:
        address = bus.stdout.readline().strip()
        assert address.startswith("unix:"), address
        yield address
    finally:
        bus.terminate()
        bus.wait(5)
        bus.stdout.close()
