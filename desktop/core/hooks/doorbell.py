"""The hooks' doorbell: a UDP datagram on 127.0.0.1 naming the spool record to store now.

A ring carries no secret. The port is fixed and any local user can bind it while the app is
down, so whatever a hook sends there must be worth nothing to them: the record's id only.
A ring cannot make the app store anything that is not already in its private spool (0700),
so it needs no proof either: a forged one costs one look at the spool.
"""

from __future__ import annotations

import asyncio
import logging
import socket

from desktop.core.hooks.spool import SpoolDrain

log = logging.getLogger(__name__)

# Datagrams read per wake-up at most, so a flood cannot keep the loop from the UI.
MAX_RINGS_PER_WAKE = 256


class DoorbellError(RuntimeError):
    """The doorbell could not bind; the message says what happens instead."""


class Doorbell:
    """Receives `<record id>` datagrams and has the spool store those records.

    Under load many hooks ring while one batch is being stored: each wake-up reads every
    datagram waiting on the socket and stores their records together, instead of one event
    loop round trip per datagram (most of which would find their record already stored).
    """

    def __init__(self, spool: SpoolDrain, sock: socket.socket) -> None:
        self.spool = spool
        self._sock: socket.socket | None = sock
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._on_readable)

    @property
    def bound_socket(self) -> socket.socket | None:
        """The socket the rings arrive on; None once closed."""
        return self._sock

    def _on_readable(self) -> None:
        keys: list[str] = []
        for _ in range(MAX_RINGS_PER_WAKE):
            if self._sock is None:
                return
            try:
                data = self._sock.recv(1024)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:  # an ICMP error from an earlier send, say: not ours to mind
                log.debug("doorbell: %s", e)
                break
            key = self._key(data)
            if key is not None:
                keys.append(key)
        if not keys:
            return
        try:
            self.spool.replay_keys(keys)
        except Exception:
            # The records stay in the spool: the watch stores them within its interval.
            log.exception("doorbell: storing records %s failed; the spool drain retries", keys)

    @staticmethod
    def _key(data: bytes) -> str | None:
        # The id is the last word: hook scripts of older releases sent `<secret> <id>`, and
        # their rings still count until the app rewrites them (it does at start).
        words = data.split()
        return words[-1].decode("ascii", "replace") if words else None

    async def close(self) -> None:
        """Stop listening and free the port."""
        if self._sock is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None


async def open_doorbell(spool: SpoolDrain, port: int) -> Doorbell:
    """Listen for the hooks' datagrams on 127.0.0.1:port (UDP)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.bind(("127.0.0.1", port))
    except OSError as e:
        sock.close()
        raise DoorbellError(
            f"UDP port {port} on 127.0.0.1 is not available ({e.strerror or e}); hook events "
            f"still arrive through the spool, within {spool.interval:g} s instead of at once"
        ) from e
    return Doorbell(spool, sock)
