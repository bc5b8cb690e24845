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


def host_findings(found: Probe) -> list[tuple[bool, str, str | None]]:
    """What doctor says of one host: (fine?, sentence, fix) for reach, version and hooks."""
    host = found.host
    if found.info is None:
        return [(False, found.problem or f"{host.name} did not answer", f"`ssh {host.target}`")]
    info = found.info
    out: list[tuple[bool, str, str | None]] = []
    if info.get("protocol") != PROTOCOL:
        out.append((False, found.problem or "", "install the same claude-rpg on both machines"))
    elif not info.get("app_running"):
        out.append((False, f"{host.name}: {info.get('problem')}", "on the host: "
                    "`claude-rpg --headless` (in tmux or as a user service)"))  # fmt: skip
    else:
        out.append(
            (True, f"{host.name} ({host.target}): claude-rpg {info.get('version')}, "
             f"{info.get('panes')} Claude panes", None)
        )  # fmt: skip
    missing = info.get("hooks_missing") or []
    if missing:
        out.append(
            (False, f"{host.name}: the claude-rpg hooks are missing there for "
             f"{len(missing)} events ({', '.join(missing[:3])}...)",
             "on the host: `claude-rpg hooks install`")
        )  # fmt: skip
    return out
