"""The list of remote hosts (`hosts.json` in the data dir): name, ssh target, remote command."""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from desktop.core.model import LOCAL_HOST

LOCAL = LOCAL_HOST  # the host name this machine's panes and personas carry
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


class HostsError(ValueError):
    """A host entry or the hosts file is unusable; the message says what to do."""


@dataclass(frozen=True)
class HostConfig:
    """One remote host as the user added it."""

    name: str
    target: str  # what `ssh` is given: an alias from ~/.ssh/config or user@host
    remote_command: str = "claude-rpg"  # how claude-rpg is started there (words, shell-split)
    ssh_config: str | None = None  # an ssh config file instead of ~/.ssh/config (ssh -F)

    def remote_argv(self) -> list[str]:
        return shlex.split(self.remote_command)


def hosts_file(data_dir: Path) -> Path:
    # With the data dir: one --data-dir is one desktop, its database cursors and its hosts.
    return data_dir / "hosts.json"


def hosts_signature(data_dir: Path) -> tuple[int, int, int] | None:
    """What tells a changed hosts file (inode, size, mtime); None while there is none.

    save_hosts replaces the file (a new inode), so even two saves within one mtime tick differ.
    """
    try:
        info = hosts_file(data_dir).stat()
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def check_name(name: str) -> str:
    if name == LOCAL:
        raise HostsError(f"{LOCAL!r} names this machine; choose another host name")
    if not _NAME.fullmatch(name):
        raise HostsError(
            f"{name[:60]!r} is not a usable host name: use 1-40 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )
    return name


def check_target(target: str) -> str:
    # ssh reads a leading '-' as an option: a target must never smuggle one in.
    if not target or target.startswith("-") or any(c.isspace() for c in target):
        raise HostsError(
            f"{target[:60]!r} is not an ssh target: give a Host alias from your ssh config "
            "or user@host, without spaces and not starting with '-'"
        )
    return target


def load_hosts(data_dir: Path) -> list[HostConfig]:
    """The configured hosts; an empty list when none were added."""
    path = hosts_file(data_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as e:
        raise HostsError(f"cannot read {path} ({e}); fix it or remove it") from e
    items = raw.get("hosts") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise HostsError(f"{path} has no 'hosts' list; fix it or remove it")
    hosts: list[HostConfig] = []
    for item in items:
        if not isinstance(item, dict):
            raise HostsError(f"{path}: each host must be an object")
        hosts.append(_host_from(item, path))
    return hosts


def _host_from(item: dict[str, Any], path: Path) -> HostConfig:
    try:
        host = HostConfig(
            name=check_name(str(item["name"])),
            target=check_target(str(item["target"])),
            remote_command=str(item.get("remote_command") or "claude-rpg"),
            ssh_config=str(item["ssh_config"]) if item.get("ssh_config") else None,
        )
    except KeyError as e:
        raise HostsError(f"{path}: a host has no {e.args[0]!r}") from e
    if not host.remote_argv():
        raise HostsError(f"{path}: host {host.name!r} has an empty remote command")
    return host


def save_hosts(data_dir: Path, hosts: list[HostConfig]) -> None:
    """Write the hosts file atomically, readable by the user only."""
    path = hosts_file(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".hosts.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"hosts": [asdict(h) for h in hosts]}, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def add_host(data_dir: Path, host: HostConfig) -> None:
    hosts = load_hosts(data_dir)
    if any(h.name == host.name for h in hosts):
        raise HostsError(f"a host named {host.name!r} exists; `hosts remove {host.name}` first")
    check_name(host.name)
    check_target(host.target)
    save_hosts(data_dir, [*hosts, host])


def remove_host(data_dir: Path, name: str) -> None:
    hosts = load_hosts(data_dir)
    kept = [h for h in hosts if h.name != name]
    if len(kept) == len(hosts):
        raise HostsError(f"no host named {name[:60]!r}; `claude-rpg hosts list` shows them")
    save_hosts(data_dir, kept)
