"""A second "host" for remote tests: a real OpenSSH server on loopback with its own HOME.

sshd listens on 127.0.0.1 only, on a free port, with a host key, config and authorized key
made for the test (a key pair per test, ssh-keygen). Every session it starts gets the test's
HOME and PATH (sshd's SetEnv), so `claude-rpg` there is this checkout's and its data dir is the
remote's. The desktop reaches it only through the system `ssh` with the ssh config written
here (Host alias, port, key, known_hosts, BatchMode). Under CI the whole suite already runs in
a network namespace with only `lo`; elsewhere nothing leaves loopback either. sshd must run as
root (privilege separation); the fixture skips, saying so, when the tests are not root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.app_process import free_port

SSHD = Path("/usr/sbin/sshd")
ALIAS = "remote-test-host"


def why_no_sshd() -> str | None:
    """Why an sshd cannot run here, or None when it can."""
    if not SSHD.exists():
        return f"{SSHD} is missing: install openssh-server (.ci/run does)"
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return "ssh or ssh-keygen is missing: install openssh-client (.ci/run does)"
    if os.geteuid() != 0:
        return (
            "sshd needs root for its privilege separation; run the remote tests as root (CI does)"
        )
    return None


def keygen(path: Path) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "claude-rpg-test", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


class SshHost:
    """sshd on 127.0.0.1:<free port>, standing in for another machine."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"  # the remote user's HOME
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = root / "sshd.log"
        self.ssh_config = root / "ssh_config"
        self.client_key = root / "client_key"
        self.host_key = root / "host_key"
        self.known_hosts = root / "known_hosts"

    @property
    def alias(self) -> str:
        return ALIAS

    def start(self) -> SshHost:
        self.root.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(exist_ok=True)
        keygen(self.host_key)
        keygen(self.client_key)
        authorized = self.root / "authorized_keys"
        authorized.write_text(self.client_key.with_suffix(".pub").read_text())
        # sshd refuses to start without its privilege separation folder.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        path = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
        config = self.root / "sshd_config"
        config.write_text(
            f"ListenAddress 127.0.0.1\n"
            f"Port {self.port}\n"
            f"HostKey {self.host_key}\n"
            f"AuthorizedKeysFile {authorized}\n"
            "PidFile none\nUsePAM no\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            # pytest's folders live under /tmp (mode 1777), which StrictModes refuses.
            "StrictModes no\n"
            "PermitRootLogin prohibit-password\n"
            "LogLevel VERBOSE\n"
            f"SetEnv HOME={self.home} PATH={path} LANG=C.UTF-8\n"
        )
        log = open(self.log_path, "ab")  # noqa: SIM115 - sshd writes to it until kill()
        self.proc = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(config)], stdout=log, stderr=log
        )
        log.close()
        public = self.host_key.with_suffix(".pub").read_text().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {public[0]} {public[1]}\n")
        self.write_ssh_config()
        self._wait_listening()
        return self

    def write_ssh_config(
        self, identity: Path | None = None, known_hosts: Path | None = None
    ) -> None:
        self.ssh_config.write_text(
            f"Host {ALIAS}\n"
            "  HostName 127.0.0.1\n"
            f"  Port {self.port}\n"
            "  User root\n"
            f"  IdentityFile {identity or self.client_key}\n"
            "  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {known_hosts or self.known_hosts}\n"
            "  StrictHostKeyChecking yes\n"
            "  BatchMode yes\n"
            "  LogLevel ERROR\n"
        )

    def _wait_listening(self, timeout: float = 10.0) -> None:
        import socket

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"sshd exited with {self.proc.returncode}:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"sshd did not listen within {timeout}s:\n{self.log()}")

    def connection_pids(self) -> list[int]:
        """The sshd processes serving connections now (children of the listener)."""
        assert self.proc is not None
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def drop_connections(self) -> int:
        """Kill every connection's sshd process, as a link that dies; answer how many."""
        pids = self.connection_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.drop_connections()
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None
