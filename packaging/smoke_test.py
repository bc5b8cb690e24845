"""Smoke test of a built bundle: start it headless, get /api/health, try a second launch, stop.

Usage: python packaging/smoke_test.py dist/claude-rpg/claude-rpg
Everything it starts listens on 127.0.0.1 and lives in a temp folder; exit status 0 = passed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

STARTUP_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fail(message: str, log: Path | None = None) -> int:
    print(f"smoke test FAILED: {message}", file=sys.stderr)
    if log is not None and log.exists():
        print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
    return 1


def health(port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
            data = json.loads(r.read())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def start_and_wait(
    args: list[str], env: dict[str, str], port: int, log: Path
) -> tuple[subprocess.Popen[bytes], dict[str, object] | None]:
    """Start the binary and wait for /api/health; (process, None) when it never answered."""
    started = time.monotonic()
    with open(log, "wb") as out:
        app = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    while (data := health(port)) is None:
        if app.poll() is not None or time.monotonic() - started > STARTUP_TIMEOUT_S:
            return app, None
        time.sleep(0.1)
    return app, data


def stop(app: subprocess.Popen[bytes]) -> int:
    if app.poll() is None:
        app.send_signal(signal.SIGTERM)
    return app.wait(30)


def check_window(binary: Path, env: dict[str, str], root: Path) -> str | None:
    """The windowed app (offscreen) starts, finds its icons and stops cleanly; else why not."""
    port = free_port()
    log = root / "window.log"
    args = [str(binary), "--port", str(port), "--data-dir", str(root / "window-data")]
    app, data = start_and_wait(args, env, port, log)
    code = stop(app)
    if data is None or code != 0:
        return (
            f"the windowed app did not start and stop cleanly (exit {code}):\n"
            + (log.read_text(errors="replace")[-3000:])
        )
    return None


def main(binary: Path) -> int:
    if not os.access(binary, os.X_OK):
        return fail(f"{binary} is not an executable; run `make dist` first")
    with tempfile.TemporaryDirectory(prefix="claude-rpg-smoke-") as tmp:
        root = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"):
            (root / var).mkdir(mode=0o700)
            env[var] = str(root / var)
        env.update(HOME=str(root), QT_QPA_PLATFORM="offscreen")
        port = free_port()
        args = [str(binary), "--headless", "--port", str(port), "--data-dir", str(root / "data")]
        log = root / "app.log"
        started = time.monotonic()
        app, data = start_and_wait(args, env, port, log)
        startup_s = time.monotonic() - started
        try:
            if data is None:
                return fail(f"no /api/health answer within {STARTUP_TIMEOUT_S:.0f} s", log)
            if data.get("status") != "ok" or data.get("data_dir") != str(root / "data"):
                return fail(f"unexpected /api/health answer: {data}", log)
            second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
            if second.returncode != 0 or "already running" not in second.stdout:
                return fail(f"second launch: {second.returncode} {second.stdout}{second.stderr}")
            entry = subprocess.run(
                [str(binary), "desktop-entry", "install"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if entry.returncode != 0:
                return fail(f"desktop-entry install: {entry.stdout}{entry.stderr}")
        finally:
            code = stop(app)
        if code != 0:
            return fail(f"the app exited with {code} on SIGTERM", log)
        problem = check_window(binary, env, root)
        if problem is not None:
            return fail(problem)
        print(
            f"smoke test passed: {binary} answered /api/health (version {data['version']}) "
            f"{startup_s:.1f} s after start; a second launch exited 0; SIGTERM exited 0; "
            "the windowed app started and stopped cleanly"
        )
        return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
