"""One look at a host over ssh (`claude-rpg remote info`), for `hosts list` and doctor."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.core.remote.hosts import HostConfig
from desktop.core.remote.protocol import PROTOCOL
from desktop.core.remote.ssh import fault, ssh_argv

PROBE_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Probe:
    """What one `remote info` over ssh found: the remote's answer, or why there is none."""

    host: HostConfig
    info: dict[str, Any] | None
    problem: str | None

    @property
    def reachable(self) -> bool:
        return self.info is not None


def probe(host: HostConfig, controls: Path, timeout: float = PROBE_TIMEOUT_S) -> Probe:
    argv = ssh_argv(host, controls, [*host.remote_argv(), "remote", "info"])
    try:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        return Probe(host, None, f"{host.name}: cannot run ssh; install the OpenSSH client")
    except subprocess.TimeoutExpired:
        return Probe(host, None, f"{host.name}: {host.target} gave no answer in {timeout:.0f} s")
    if done.returncode != 0:
        return Probe(host, None, fault(host, done.returncode, done.stderr.decode(errors="replace")))
    try:
        info = json.loads(done.stdout)
        assert isinstance(info, dict)
    except (ValueError, AssertionError):
        return Probe(
            host,
            None,
            f"{host.name}: the remote claude-rpg gave no answer this one reads; install the "
            "same version on both machines",
        )
    if info.get("protocol") != PROTOCOL:
        return Probe(
            host,
            info,
            f"{host.name}: claude-rpg {info.get('version')} there speaks feed protocol "
            f"{info.get('protocol')}, this one {PROTOCOL}; install the same version on both",
        )
    return Probe(host, info, info.get("problem") or None)
