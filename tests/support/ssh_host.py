"""A second "host" for remote tests: a real OpenSSH server in a network namespace of its own.

The host is a private network namespace with only `lo` (tests/support/netns.py). sshd listens
on 127.0.0.1 in there, with a host key, config and authorized key made for the test (a key
pair per test, ssh-keygen); the host's tmux server and app are started in there too
(`inside()`), so the feed and the actions that run under sshd reach that app on the host's own
loopback, as on another machine. Every session sshd starts gets the test's HOME and PATH
(sshd's SetEnv), so `claude-rpg` there is this checkout's and its data dir is the remote's.

The desktop reaches the host only through the system `ssh` with the ssh config written here
(Host alias, port, key, known_hosts, BatchMode) and its ProxyCommand: `nsenter` into the
namespace, then a byte copy to 127.0.0.1:port there, the way a jump host would. Two relays,
asked for by the test, cross the namespace on loopback only: `forward_into` lets the test post
to and read the remote app (a person on that machine), `forward_out_of` gives the host's
claude the fake API. sshd and namespaces need root; the fixture skips, saying so, otherwise.
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
from typing import Any

from tests.support.app_process import AppProcess, free_port
from tests.support.netns import NetNamespace
from tests.support.private_tmux import PrivateTmux

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
            "sshd needs root for its privilege separation (and the host its network namespace); "
            "run the remote tests as root (CI does)"
        )
    if shutil.which("nsenter") is None or shutil.which("ip") is None:
        return "nsenter or ip is missing: install util-linux and iproute2 (.ci/run does)"
    return None


def keygen(path: Path) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "claude-rpg-test", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


class SshHost:
    """sshd on 127.0.0.1:<free port> in its own network namespace: another machine."""

    def __init__(self, root: Path, own_netns: bool = True) -> None:
        self.root = root
        self.home = root / "home"  # the remote user's HOME
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = root / "sshd.log"
        self.ssh_config = root / "ssh_config"
        self.client_key = root / "client_key"
        self.host_key = root / "host_key"
        self.known_hosts = root / "known_hosts"
        # Without (bench/remote_testhost.py's baseline only) sshd shares the test's loopback.
        self.netns = NetNamespace() if own_netns else None

    @property
    def alias(self) -> str:
        return ALIAS

    def inside(self) -> list[str]:
        """The prefix that runs a command on this host (in its network namespace)."""
        return self.netns.inside() if self.netns else []

    def forward_into(self, port: int) -> None:
        """The test's 127.0.0.1:port reaches the host's 127.0.0.1:port (its app, for the
        test that plays a person at that machine)."""
        if self.netns:
            self.netns.into(port)

    def forward_out_of(self, port: int) -> None:
        """The host's 127.0.0.1:port reaches the test's (the fake API, for the host's claude)."""
        if self.netns:
            self.netns.outof(port)

    def tmux(self) -> PrivateTmux:
        """A tmux server (not started yet) on this host: its panes' processes run here."""
        return PrivateTmux(prefix=self.inside())

    def app(self, data_dir: Path, tmux: PrivateTmux, **options: Any) -> AppProcess:
        """This host's headless app (not started yet) watching tmux; the test reaches its
        port through a relay, as a person at that machine would."""
        app = AppProcess(data_dir, tmux_socket=tmux.socket_path, prefix=self.inside(), **options)
        self.forward_into(app.port)
        return app

    def start(self) -> SshHost:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.netns:
            self.netns.start()
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
            [*self.inside(), str(SSHD), "-D", "-e", "-f", str(config)], stdout=log, stderr=log
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
        proxy = f"  ProxyCommand {self.netns.proxy_command()}\n" if self.netns else ""
        self.ssh_config.write_text(
            f"Host {ALIAS}\n"
            "  HostName 127.0.0.1\n"
            f"  Port {self.port}\n"
            "  User root\n"
            f"  IdentityFile {identity or self.client_key}\n"
            "  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {known_hosts or self.known_hosts}\n"
            "  StrictHostKeyChecking yes\n"
            f"{proxy}"
            "  BatchMode yes\n"
            "  LogLevel ERROR\n"
        )

    def _wait_listening(self, timeout: float = 10.0) -> None:
        # Its port is in the host's namespace, out of the test's reach: sshd's log says.
        ready = f"Server listening on 127.0.0.1 port {self.port}."
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"sshd exited with {self.proc.returncode}:\n{self.log()}")
            if ready in self.log():
                return
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
        """Stop sshd, as a host whose sshd is down: the namespace stays until close()."""
        if self.proc is not None and self.proc.poll() is None:
            self.drop_connections()
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def close(self) -> None:
        """Stop sshd and the namespace's holder and relays (after the host's app and tmux)."""
        self.kill()
        if self.netns:
            self.netns.close()
