"""A tmux server on a private socket, driven with the tmux command line."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

TMUX = shutil.which("tmux") or "/usr/bin/tmux"
WIDTH, HEIGHT = 200, 50
SESSION = "harness"


class PrivateTmux:
    """A throwaway tmux server on a socket in its own temp folder; never the user's server."""

    def __init__(
        self, width: int = WIDTH, height: int = HEIGHT, prefix: Sequence[str] = ()
    ) -> None:
        self.width = width
        self.height = height
        # Starts the server somewhere else, e.g. in a test host's network namespace (nsenter):
        # the server and every pane's process live there; clients reach it by its socket file.
        self.prefix = list(prefix)
        self._dir: Path | None = None
        self._started = False

    @property
    def socket_path(self) -> Path:
        if self._dir is None:
            raise RuntimeError("PrivateTmux is not started")
        return self._dir / "tmux.sock"

    @property
    def server_env(self) -> dict[str, str]:
        """The environment the server and every tmux client call run with."""
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self._dir),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "SHELL": "/bin/sh",
        }

    def run(self, *args: str, check: bool = True, spawn: bool = False) -> str:
        """Run one tmux command against this server and return its stdout (spawn: the call
        that starts the server, under the prefix)."""
        proc = subprocess.run(
            [*(self.prefix if spawn else []), TMUX, "-S", str(self.socket_path), *args],
            env=self.server_env,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"tmux {shlex.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout

    def start(self) -> PrivateTmux:
        if self._started:
            return self
        # A short path: Unix socket paths are limited to ~100 bytes.
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="rpg-tmux-"))
        self.run(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            SESSION,
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            "cat",
            spawn=True,
        )
        self._started = True
        for option in (
            # Without focus events claude shows a footer hint that shifts screen text.
            ("set", "-g", "focus-events", "on"),
            ("set", "-g", "default-size", f"{self.width}x{self.height}"),
            ("set", "-g", "history-limit", "5000"),
            ("set", "-g", "status", "off"),
            ("set", "-g", "escape-time", "0"),
        ):
            self.run(*option)
        return self

    def kill(self) -> None:
        """Kill the server and make sure the processes of its panes are gone too."""
        if self._dir is None:
            return
        self.kill_server()
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None

    def kill_server(self) -> None:
        """`tmux kill-server` (its panes' processes get SIGHUP); the socket's folder stays."""
        if not self._started:
            return
        pids = self._pane_pids()
        self.run("kill-server", check=False)
        self._started = False
        # A claude process takes ~280 MB; one that ignores SIGHUP must not outlive the test.
        deadline = time.monotonic() + 3
        while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.02)
        for pid in pids:
            if pid_alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def restart(self) -> PrivateTmux:
        """Kill the server and start a new one on the same socket: pane ids start over (%0)."""
        self.kill_server()
        return self.start()

    def __enter__(self) -> PrivateTmux:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.kill()

    # -- panes ----------------------------------------------------------------------------------

    def new_window(
        self,
        command: Sequence[str] | str,
        cwd: Path | str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> str:
        """Open a window running command and return its pane id (``%N``).

        With env, the command runs with exactly that environment plus tmux's ``TMUX`` and
        ``TMUX_PANE`` (hooks need ``$TMUX_PANE``); without, it inherits the server's.
        """
        argv = shlex.split(command) if isinstance(command, str) else list(command)
        if env is not None:
            assigns = [f"{k}={v}" for k, v in env.items() if k not in ("TMUX", "TMUX_PANE")]
            # env -i drops everything; the sh wrapper puts tmux's own two variables back and
            # execs, so the pane's process is the command itself (pane_pid is its pid).
            wrapper = 'exec env -i TMUX="$TMUX" TMUX_PANE="$TMUX_PANE" "$@"'
            argv = ["/bin/sh", "-c", wrapper, "sh", *assigns, *argv]
        args = ["new-window", "-d", "-P", "-F", "#{pane_id}", "-t", f"{SESSION}:"]
        if cwd is not None:
            args += ["-c", str(cwd)]
        pane = self.run(*args, "--", *argv).strip()
        if not re.fullmatch(r"%\d+", pane):
            raise RuntimeError(f"tmux new-window gave {pane!r}, not a pane id")
        return pane

    def send_text(self, pane: str, text: str) -> None:
        """Type text literally (no key names)."""
        self.run("send-keys", "-t", pane, "-l", "--", text)

    def send_keys(self, pane: str, *keys: str) -> None:
        """Press tmux key names such as ``Enter``, ``Escape``, ``C-c``, ``Down``."""
        self.run("send-keys", "-t", pane, "--", *keys)

    def capture(self, pane: str, history: bool = False) -> str:
        """Return the visible screen (or the whole scrollback with history) as plain text."""
        args = ["capture-pane", "-p", "-t", pane]
        if history:
            args += ["-S", "-"]
        return self.run(*args)

    def wait_for(
        self,
        pane: str,
        regex: str | re.Pattern[str],
        timeout: float = 10.0,
        interval: float = 0.05,
    ) -> str:
        """Poll the screen until regex matches; return the screen or raise with the last one."""
        pattern = re.compile(regex) if isinstance(regex, str) else regex
        deadline = time.monotonic() + timeout
        screen = ""
        while True:
            try:
                screen = self.capture(pane)
            except RuntimeError as exc:
                raise AssertionError(
                    f"pane {pane} is gone while waiting for {pattern.pattern!r}: {exc}\n"
                    f"last screen:\n{screen}"
                ) from None
            if pattern.search(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{pattern.pattern!r} not on pane {pane} within {timeout}s; last screen:\n"
                    f"{screen}"
                )
            time.sleep(interval)

    def pane_info(self, pane: str) -> dict[str, str]:
        """Return pane_pid, pane_current_command, pane_title (and pane_dead) of a pane."""
        fields = ("pane_pid", "pane_current_command", "pane_title", "pane_dead")
        fmt = "\x1f".join(f"#{{{f}}}" for f in fields)
        out = self.run("display-message", "-p", "-t", pane, fmt).rstrip("\n")
        return dict(zip(fields, out.split("\x1f"), strict=True))

    def _pane_pids(self) -> list[int]:
        out = self.run("list-panes", "-a", "-F", "#{pane_pid}", check=False)
        return [int(p) for p in out.split() if p.isdigit()]

    def list_panes(self) -> list[str]:
        """Return the ids of every pane on this server."""
        return self.run("list-panes", "-a", "-F", "#{pane_id}").split()

    def kill_pane(self, pane: str) -> None:
        self.run("kill-pane", "-t", pane, check=False)


def pid_alive(pid: int) -> bool:
    """Tell whether a process id is a live process (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] != ["Z"]
