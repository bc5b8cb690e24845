"""Runs the real app (`python -m desktop --headless`) as a child process for e2e tests."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port on 127.0.0.1 that is free for TCP and UDP right now, outside the ephemeral range.

    A port the kernel picked (bind to 0) comes from the ephemeral range, which every client
    connection and unbound UDP socket on the machine draws from as well: under a suite that
    opens tens of thousands of connections, it was sometimes taken again before the app bound
    it. The app binds the same number for TCP (listener) and UDP (the hooks' doorbell).
    """
    low, high = 20000, 32000  # below Linux's default ephemeral range (32768-60999)
    for _ in range(200):
        port = random.randrange(low, high)
        try:
            with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                tcp.bind(("127.0.0.1", port))
                udp.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
    raise RuntimeError(f"no free port between {low} and {high} on 127.0.0.1")


class AppProcess:
    """The app, headless, on a free loopback port with its own data dir and tmux socket."""

    def __init__(
        self,
        data_dir: Path,
        tmux_socket: Path | None = None,
        port: int | None = None,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
        headless: bool = True,
        poll_interval: float = 0.2,
        platform: str = "offscreen",
        prefix: list[str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.tmux_socket = tmux_socket
        self.port = port or free_port()
        self.extra_args = extra_args or []
        self.env = env
        # The benchmarks run the whole app (window and tray) at the app's own poll interval.
        self.headless = headless
        self.poll_interval = poll_interval
        self.platform = platform
        # Runs the app somewhere else, e.g. in a test host's network namespace (nsenter).
        self.prefix = prefix or []
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-app.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> AppProcess:
        """Start the app and wait until /api/health answers."""
        return self.launch().wait_ready(timeout)

    def launch(self) -> AppProcess:
        """Start the app without waiting for it (it may first show a window and wait)."""
        args = [
            *self.prefix,
            sys.executable,
            "-m",
            "desktop",
            *(["--headless"] if self.headless else []),
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--poll-interval",
            str(self.poll_interval),
            *self.extra_args,
        ]
        if self.tmux_socket is not None:
            args += ["--tmux-socket", str(self.tmux_socket)]
        env = dict(self.env if self.env is not None else os.environ)
        env["QT_QPA_PLATFORM"] = self.platform
        env["QT_API"] = "pyside6"
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it until stop()
        self.proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=log)
        log.close()
        return self

    def wait_ready(self, timeout: float = 20.0) -> AppProcess:
        """Wait until the launched app answers /api/health."""
        assert self.proc is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"app exited with {self.proc.returncode}:\n{self.log()}")
            try:
                self.get("/api/health")
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.05)
        raise AssertionError(f"app did not answer /api/health within {timeout}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Stop the app (SIGTERM: clean; SIGKILL: a crash); return its exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        return code

    def restart(self) -> AppProcess:
        self.stop()
        return self.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except FileNotFoundError:
            return ""

    @property
    def secret(self) -> str:
        return (self.data_dir / "secret").read_text().strip()

    def pane(self, pane_id: str) -> dict[str, Any] | None:
        """The app's card of pane `pane_id` as /api/panes has it now, or None."""
        return next((p for p in self.get("/api/panes") if p["pane_id"] == pane_id), None)

    def wait_for_pane(
        self, pane_id: str, check: Callable[[dict[str, Any]], Any] = bool, timeout: float = 15.0
    ) -> dict[str, Any]:
        """The card of pane `pane_id` once /api/panes has one that `check` holds for."""
        panes = self.wait_for(
            "/api/panes",
            lambda ps: any(p["pane_id"] == pane_id and check(p) for p in ps),
            timeout=timeout,
        )
        return next(p for p in panes if p["pane_id"] == pane_id)

    def get(self, path: str) -> Any:
        """GET an /api path with the secret (every route but /api/health needs it)."""
        try:
            headers = {"X-Claude-RPG-Secret": self.secret}
        except FileNotFoundError:  # before the first start: only /api/health answers anyway
            headers = {}
        request = urllib.request.Request(self.url + path, headers=headers)
        with urllib.request.urlopen(request, timeout=5) as r:
            return json.loads(r.read())

    def post_event(
        self,
        payload: dict[str, Any],
        pane: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """POST one hook payload the way the hook command does."""
        req = urllib.request.Request(
            f"{self.url}/hooks/{payload.get('hook_event_name', 'Unknown')}",
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Claude-RPG-Secret": self.secret,
                **({"X-Tmux-Pane": pane} if pane else {}),
                **(headers or {}),
            },
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def wait_for(self, path: str, predicate: Any, timeout: float = 15.0) -> Any:
        """Poll GET path until predicate(json) is truthy; return that json."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = self.get(path)
            if predicate(last):
                return last
            time.sleep(0.1)
        raise AssertionError(
            f"{path} never matched within {timeout}s; last: {last!r}\n{self.log()}"
        )
