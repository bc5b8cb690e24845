"""A private network namespace for the test's second host, and the two ways across it.

Run as a script (only the standard library, so `python -I` starts it fast):

  hold      unshare a new network namespace with only `lo` (up), stay in it, and serve
            relays asked for on stdin, one a line, answered on stdout:
              `into PORT`   listen on the outer 127.0.0.1:PORT, connect inside to 127.0.0.1:PORT
              `outof PORT`  listen inside on 127.0.0.1:PORT, connect to the outer 127.0.0.1:PORT
            It ends when its stdin closes. Other processes join the namespace with
            `nsenter --net=/proc/<its pid>/ns/net`.
  connect HOST PORT
            copy stdin to a TCP connection and the connection to stdout: an ssh ProxyCommand,
            started under nsenter so that it connects inside the namespace. When the
            connection is refused it says so in the words `nc` uses, which is what ssh users
            (and the app's fault sentences) read.

Both sides are loopback only: nothing here has any other address. Needs CAP_SYS_ADMIN (root).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import selectors
import socket
import subprocess
import sys

CLONE_NEWNET = 0x40000000
LOOPBACK = "127.0.0.1"
_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


class Sides:
    """The outer namespace (by a file descriptor) and the private one this process is in.

    A socket belongs to the namespace its creator was in when it was made, whatever comes
    after: a listener or a connection on the outer side is made by switching out and back
    around socket(). One thread only, so nothing else runs in between.
    """

    def __init__(self) -> None:
        self.outer = os.open("/proc/self/ns/net", os.O_RDONLY)
        _check(_libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
        self.inner = os.open("/proc/self/ns/net", os.O_RDONLY)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)

    def socket(self, outer: bool) -> socket.socket:
        if not outer:
            return socket.socket()
        _check(_libc.setns(self.outer, CLONE_NEWNET), "setns(outer)")
        try:
            return socket.socket()
        finally:
            _check(_libc.setns(self.inner, CLONE_NEWNET), "setns(inner)")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.CancelledError):
        pass  # a side closed, or the holder is ending: either way this copy is over
    finally:
        writer.close()


async def _relay(sides: Sides, port: int, listen_outer: bool) -> asyncio.Server:
    loop = asyncio.get_running_loop()

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = sides.socket(outer=not listen_outer)
        conn.setblocking(False)
        try:
            await loop.sock_connect(conn, (LOOPBACK, port))
        except OSError:
            conn.close()
            writer.close()
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        far_reader, far_writer = await asyncio.open_connection(sock=conn)
        with contextlib.suppress(asyncio.CancelledError):  # the holder is ending
            await asyncio.gather(_pipe(reader, far_writer), _pipe(far_reader, writer))

    listener = sides.socket(outer=listen_outer)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((LOOPBACK, port))
    listener.listen(64)
    return await asyncio.start_server(accepted, sock=listener)


async def hold() -> None:
    sides = Sides()
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    servers = []
    print(f"ready {os.getpid()}", flush=True)
    while line := (await commands.readline()).decode().strip():
        verb, _, number = line.partition(" ")
        try:
            if verb not in ("into", "outof"):
                raise ValueError(f"unknown command {verb!r}")
            servers.append(await _relay(sides, int(number), listen_outer=verb == "into"))
            print(f"ok {line}", flush=True)
        except (OSError, ValueError) as e:
            print(f"error {line}: {e}", flush=True)
    for server in servers:
        server.close()


def connect(host: str, port: int) -> int:
    try:
        conn = socket.create_connection((host, port), timeout=10)
    except OSError as e:
        reason = os.strerror(e.errno) if e.errno else str(e)
        print(f"connect to {host} port {port} (tcp) failed: {reason}", file=sys.stderr)
        return 1
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.setblocking(True)
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ)
    selector.register(conn, selectors.EVENT_READ)
    open_sides = 2
    while open_sides:
        for key, _ in selector.select():
            if key.fileobj == 0:
                data = os.read(0, 65536)
                if not data:
                    conn.shutdown(socket.SHUT_WR)
                    selector.unregister(0)
                    open_sides -= 1
                else:
                    conn.sendall(data)
            else:
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    return 0  # the server closed: ssh sees the end of its connection
                _write_all(1, data)
    return 0


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class NetNamespace:
    """The test side: a `hold` process, the prefix that runs a command inside, the relays."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.pid = 0

    def start(self) -> NetNamespace:
        self.proc = subprocess.Popen(
            [sys.executable, "-I", __file__, "hold"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if line[:1] != ["ready"]:
            self.close()
            raise RuntimeError("could not make a network namespace (root is needed)")
        self.pid = int(line[1])
        return self

    @property
    def path(self) -> str:
        return f"/proc/{self.pid}/ns/net"

    def inside(self) -> list[str]:
        """The prefix that runs a command in the namespace (nsenter execs it: same pid)."""
        return ["nsenter", f"--net={self.path}", "--"]

    def proxy_command(self) -> str:
        """An ssh ProxyCommand that reaches %h:%p inside the namespace."""
        return f"nsenter --net={self.path} -- {sys.executable} -I {__file__} connect %h %p"

    def into(self, port: int) -> None:
        """Outer 127.0.0.1:port reaches 127.0.0.1:port inside (the test's own look in)."""
        self._ask(f"into {port}")

    def outof(self, port: int) -> None:
        """127.0.0.1:port inside reaches the outer 127.0.0.1:port (e.g. the fake API)."""
        self._ask(f"outof {port}")

    def _ask(self, command: str) -> None:
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        if answer != f"ok {command}":
            raise RuntimeError(f"network namespace relay: {answer or 'no answer'}")

    def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None


if __name__ == "__main__":
    if sys.argv[1:2] == ["hold"]:
        asyncio.run(hold())
    elif sys.argv[1:2] == ["connect"] and len(sys.argv) == 4:
        sys.exit(connect(sys.argv[2], int(sys.argv[3])))
    else:
        sys.exit(f"usage: {sys.argv[0]} hold | connect HOST PORT")
