"""The hooks' doorbell: a UDP datagram on 127.0.0.1 naming the spool record to store now."""

from __future__ import annotations

import asyncio
import hmac
import logging

from desktop.core.hooks.spool import SpoolDrain

log = logging.getLogger(__name__)


class DoorbellError(RuntimeError):
    """The doorbell could not bind; the message says what happens instead."""


class Doorbell(asyncio.DatagramProtocol):
    """Receives `<secret> <record id>` datagrams and has the spool store that record."""

    def __init__(self, spool: SpoolDrain, secret: str) -> None:
        self.spool = spool
        self._secret = secret.encode()
        self.refused = 0
        self.transport: asyncio.BaseTransport | None = None
        self._closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        secret, _, key = data.strip().partition(b" ")
        if not hmac.compare_digest(secret, self._secret):
            self.refused += 1
            if self.refused == 1:
                log.warning(
                    "a hook rang with a wrong secret; its events still arrive through the "
                    "spool, but later: run `claude-rpg hooks install` to update the hook"
                )
            return
        try:
            self.spool.replay_key(key.decode("ascii"))
        except Exception:
            # An exception here would close the transport: no more doorbell for anyone.
            log.exception("doorbell: storing record %r failed; the spool drain retries it", key)

    def error_received(self, exc: Exception) -> None:
        log.debug("doorbell: %s", exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._closed.done():
            self._closed.set_result(None)

    async def close(self) -> None:
        """Close the socket and wait until the port is free again (the loop closes it later)."""
        if self.transport is not None:
            self.transport.close()
            self.transport = None
            await self._closed


async def open_doorbell(spool: SpoolDrain, secret: str, port: int) -> Doorbell:
    """Listen for the hooks' datagrams on 127.0.0.1:port (UDP)."""
    loop = asyncio.get_running_loop()
    try:
        _, protocol = await loop.create_datagram_endpoint(
            lambda: Doorbell(spool, secret), local_addr=("127.0.0.1", port)
        )
    except OSError as e:
        raise DoorbellError(
            f"UDP port {port} on 127.0.0.1 is not available ({e.strerror or e}); hook events "
            f"still arrive through the spool, within {spool.interval:g} s instead of at once"
        ) from e
    return protocol
