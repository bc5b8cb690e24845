"""One running app per data dir: later launches ask the running one to raise its window."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

RAISE_REQUEST = b"raise\n"
REPLY_RAISED = b"raised\n"
REPLY_HEADLESS = b"headless\n"
# Unix socket paths are limited to 108 bytes; keep well inside it.
_MAX_SOCKET_PATH = 100


def instance_key(data_dir: Path) -> str:
    """A short name unique to this user and data dir."""
    digest = hashlib.sha256(str(data_dir.expanduser().resolve()).encode()).hexdigest()[:16]
    return f"claude-rpg-{os.getuid()}-{digest}"


def runtime_dir() -> Path:
    """$XDG_RUNTIME_DIR (private to the user) when set, else the temp dir."""
    env = os.environ.get("XDG_RUNTIME_DIR", "")
    return Path(env) if env and os.path.isdir(env) else Path(tempfile.gettempdir())


def raise_main_windows() -> bool:
    """Bring the app's main window(s) forward, restoring them if minimised or hidden."""
    # Imported here: a headless run has no QApplication and needs no widgets.
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return False
    raised = False
    for widget in app.topLevelWidgets():
        if isinstance(widget, QMainWindow):
            widget.showNormal()
            widget.raise_()
            widget.activateWindow()
            raised = True
    return raised


def _base_and_key(data_dir: Path) -> tuple[Path, str]:
    base = runtime_dir()
    key = instance_key(data_dir)
    if len(str(base / key)) + 5 > _MAX_SOCKET_PATH:
        base = Path(tempfile.gettempdir())
    return base, key


def instance_lock(data_dir: Path) -> QLockFile:
    """The lock the running app holds for `data_dir` (`db repair` takes it to run alone)."""
    base, key = _base_and_key(data_dir)
    lock = QLockFile(str(base / f"{key}.lock"))
    # 0: a lock is stale only when its process is gone, never because it is old.
    lock.setStaleLockTime(0)
    return lock


class SingleInstance(QObject):
    """A lock file plus a local socket, both keyed by the data dir."""

    raise_requested = Signal()

    def __init__(self, data_dir: Path, headless: bool = False) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.headless = headless
        base, key = _base_and_key(data_dir)
        self.socket_path = str(base / f"{key}.sock")
        self._lock = instance_lock(data_dir)
        self._server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True when this process is the one instance (and now listens for later launches)."""
        if not self._lock.tryLock(0):
            return False
        # We hold the lock, so a socket file left here belongs to a crashed run.
        QLocalServer.removeServer(self.socket_path)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.socket_path):
            log.warning(
                "cannot listen on %s (%s); a second launch will not find this window",
                self.socket_path,
                server.errorString(),
            )
        server.newConnection.connect(self._on_new_connection)
        self._server = server
        return True

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()

    def _on_new_connection(self) -> None:
        assert self._server is not None
        while (conn := self._server.nextPendingConnection()) is not None:
            conn.readyRead.connect(lambda c=conn: self._on_request(c))
            conn.disconnected.connect(conn.deleteLater)

    def _on_request(self, conn: QLocalSocket) -> None:
        if not conn.canReadLine():
            return
        request = bytes(conn.readLine().data())
        if request != RAISE_REQUEST:
            conn.disconnectFromServer()
            return
        log.info("a second launch asked to bring the window forward")
        conn.write(QByteArray(REPLY_HEADLESS if self.headless else REPLY_RAISED))
        conn.flush()
        self.raise_requested.emit()
        conn.disconnectFromServer()

    def ask_running_to_raise(self, timeout_s: float = 5.0) -> bytes | None:
        """From a later launch: ask the running instance to raise its window; its reply or None.

        Retries for a moment, since the running one may hold the lock but not listen yet.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            sock = QLocalSocket()
            sock.connectToServer(self.socket_path)
            if sock.waitForConnected(500):
                sock.write(QByteArray(RAISE_REQUEST))
                sock.flush()
                reply = b""
                while not reply.endswith(b"\n") and sock.waitForReadyRead(2000):
                    reply += bytes(sock.readAll().data())
                sock.abort()
                return reply or None
            sock.abort()
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.1)


def message_for_reply(reply: bytes | None, data_dir: Path) -> tuple[int, str]:
    """The exit code and the one line a later launch prints."""
    if reply == REPLY_RAISED:
        return 0, "claude-rpg is already running; brought its window forward."
    if reply == REPLY_HEADLESS:
        return 0, "claude-rpg is already running headless for this data dir; it has no window."
    return 1, (
        f"claude-rpg: another claude-rpg holds {data_dir} but does not answer; "
        "wait a few seconds and try again, or end that process"
    )
