"""The ssh command line for a host (one multiplexed connection) and its faults in words."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import NamedTuple

from desktop.core.remote.hosts import HostConfig

# Exit status of `ssh` itself when the connection or authentication failed.
SSH_FAILED = 255
# A shell's "command not found" (the remote claude-rpg is missing).
NOT_FOUND = 127


def control_dir(data_dir: Path) -> Path:
    """A private folder for the ControlMaster sockets of one data dir.

    Short on purpose: a unix socket path holds at most 107 bytes, and ssh adds a random
    suffix to the socket name while it creates it; a path under the data dir did not fit.
    """
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:10]
    folder = Path(tempfile.gettempdir()) / f"claude-rpg-{os.getuid()}-{digest}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    # Someone else's folder (or a link) in /tmp must not receive our connection sockets.
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise OSError(f"{folder} is not a folder of yours; remove it and start again")
    os.chmod(folder, 0o700)
    return folder


def ssh_argv(host: HostConfig, controls: Path, remote: list[str]) -> list[str]:
    """`ssh ... TARGET REMOTE...`: the user's ssh config applies; ours only adds multiplexing,
    BatchMode (never a prompt the app cannot answer) and keep-alives (a dead link is noticed)."""
    argv = ["ssh"]
    if host.ssh_config:
        argv += ["-F", host.ssh_config]
    argv += [
        "-o",
        "BatchMode=yes",
        "-o",
        "ControlMaster=auto",
        "-o",
        f"ControlPath={controls}/%C",
        "-o",
        "ControlPersist=60",
        "-o",
        "ServerAliveInterval=5",
        "-o",
        "ServerAliveCountMax=3",
        "-o",
        "ConnectTimeout=10",
        "-T",
        "--",
        host.target,
        *remote,
    ]
    return argv


class Fault(NamedTuple):
    """Why a host is not there: a few words for its heading, and the whole sentence."""

    words: str | None  # None: a passing fault, shown as "host unreachable since HH:MM"
    sentence: str


def fault(host: HostConfig, code: int | None, stderr: str) -> str:
    """What went wrong reaching `host`, as a sentence with what to do."""
    return diagnose(host, code, stderr).sentence


def diagnose(host: HostConfig, code: int | None, stderr: str) -> Fault:
    """What went wrong reaching `host`: the heading's words and the sentence."""
    text = stderr.strip()
    low = text.lower()
    name = host.name
    if "remote host identification has changed" in low:
        return Fault(
            "host key changed",
            f"{name}: the host key of {host.target} changed since you last connected; if "
            "that is expected, remove the old key with `ssh-keygen -R` and connect once by hand",
        )
    if "host key verification failed" in low or "no host key is known" in low:
        return Fault(
            "host key not known",
            f"{name}: the host key of {host.target} is not known; connect once with "
            f"`ssh {host.target}` to check and accept it",
        )
    if "could not resolve hostname" in low or "name or service not known" in low:
        return Fault(
            "unknown host",
            f"{name}: unknown host {host.target!r}; check the name or your ssh config",
        )
    if "permission denied" in low:
        return Fault(
            "authentication failed",
            f"{name}: ssh could not log in to {host.target} (authentication failed); the app "
            "uses your keys and agent without prompting (BatchMode): check `ssh "
            f"{host.target}` works without a password",
        )
    # kex_exchange_identification: the link closed before sshd said hello. Through a
    # ProxyCommand or jump host (whose own "connection refused" ssh sends to /dev/null under
    # ControlPersist) that is what a host whose sshd is down looks like.
    if any(
        words in low
        for words in (
            "connection refused",
            "timed out",
            "no route to host",
            "kex_exchange_identification",
        )
    ):
        return Fault(None, f"{name}: {host.target} does not answer ssh ({_last_line(text)})")
    if code == NOT_FOUND or "command not found" in low or "no such file" in low:
        return Fault(
            "claude-rpg not installed there",
            f"{name}: claude-rpg is not installed on {host.target} (or not on the PATH of a "
            "non-interactive ssh shell); install it there with pipx, or set the host's "
            "remote command",
        )
    if code == SSH_FAILED and not text:
        return Fault(None, f"{name}: the connection to {host.target} was lost; trying again")
    if code == SSH_FAILED:
        return Fault(None, f"{name}: ssh to {host.target} failed ({_last_line(text)})")
    return Fault(
        None, f"{name}: the link to {host.target} ended ({_last_line(text) or f'exit {code}'})"
    )


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip()[:200] if lines else ""
