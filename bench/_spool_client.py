"""The installed hook's way in, from Python: a spool record file, then a UDP doorbell.

The record has the byte layout the hook script writes (spool.record_bytes). The app stores
the record, applies it (pane and card) and only then deletes the file, so the deletion,
seen through inotify, marks the event's state change.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import socket
import struct
import time
from pathlib import Path

from desktop.core.hooks.command import SPOOL_SUFFIX

IN_DELETE = 0x200
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then the name


class SpoolClient:
    """Writes records into one app's spool, rings its doorbell, awaits each deletion."""

    def __init__(self, spool: Path, port: int) -> None:
        self.spool = spool
        self.address = ("127.0.0.1", port)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        spool.mkdir(parents=True, exist_ok=True)
        if self._libc.inotify_add_watch(self._fd, str(spool).encode(), IN_DELETE) < 0:
            raise OSError(ctypes.get_errno(), f"cannot watch {spool}")
        self._waiting: dict[str, asyncio.Future[float]] = {}

    def start(self) -> None:
        asyncio.get_running_loop().add_reader(self._fd, self._on_events)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self._fd)
        os.close(self._fd)
        self.udp.close()

    def _on_events(self) -> None:
        now = time.perf_counter()
        try:
            data = os.read(self._fd, 1 << 16)
        except BlockingIOError:
            return
        offset = 0
        while offset < len(data):
            _wd, _mask, _cookie, length = _EVENT.unpack_from(data, offset)
            name = data[offset + _EVENT.size : offset + _EVENT.size + length].rstrip(b"\0")
            offset += _EVENT.size + length
            future = self._waiting.pop(name.decode(), None)
            if future is not None and not future.done():
                future.set_result(now)

    async def send(self, key: str, record: bytes) -> float:
        """Write the record, ring, and return the seconds until the app deleted it."""
        name = key + SPOOL_SUFFIX
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[name] = future
        start = time.perf_counter()
        (self.spool / name).write_bytes(record)
        self.udp.sendto(key.encode() + b"\n", self.address)  # the id only, as the hook rings
        return await future - start
