"""Remote hosts: the latency a remote event adds before its card shows it, and the idle cost.

Each "host" is a network namespace of its own with only `lo`, and in it a real sshd on
127.0.0.1 (tests/support/ssh_host.py: its own host key, a key pair, an ssh config whose
ProxyCommand enters the namespace), its own headless app, private tmux server and stand-in
`claude` panes (a copy of sleep named claude; bench/_common.py). The bench posts a remote
event through a loopback relay into the namespace (a few hundred microseconds, counted in the
remote figures). The desktop is the real headless app
with those hosts in its hosts.json, reaching them only through the system ssh client.

  latency   an event (a hook POST binding a new session to a pane) → the desktop's /api/panes
            shows that session on the pane; local panes (POST to the desktop) and remote
            panes (POST to the remote's app) interleaved in one run; p50 and p99.
  idle      CPU % of one core over the same window for a desktop with no hosts (baseline)
            and a desktop with N hosts × M panes: the app process plus its ssh processes
            (the feed channels and the ControlMaster), and the remote feeds' CPU (per host).

Needs root (sshd). Every address is 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

from _common import (
    PrivateTmux,
    Result,
    claude_panes,
    cpu_of,
    cpu_seconds,
    isolated_env,
    percentile,
    print_machine,
    print_table,
    stand_in_claude,
)

from desktop.core.remote.hosts import HostConfig, add_host
from desktop.core.remote.ssh import control_dir
from tests.support.app_process import AppProcess
from tests.support.ssh_host import SshHost, why_no_sshd


def pids_matching(*needles: str) -> list[int]:
    """Live processes whose command line holds every needle."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if all(n in cmdline for n in needles):
            found.append(int(entry.name))
    return found


def pane_session(app: AppProcess, host: str, pane: str) -> str | None:
    for entry in app.get("/api/panes"):
        if entry.get("host") == host and entry["pane_id"] == pane:
            return entry.get("session_id")
    return None


def event_to_card(desktop: AppProcess, poster: AppProcess, host: str, pane: str) -> float:
    """Seconds from a hook POST (a new session on pane) to the desktop showing it."""
    sid = str(uuid.uuid4())
    start = time.perf_counter()
    poster.post_event({"session_id": sid, "hook_event_name": "SessionStart"}, pane=pane)
    while pane_session(desktop, host, pane) != sid:
        if time.perf_counter() - start > 30:
            raise RuntimeError(f"{host} {pane}: the card never showed session {sid}")
        time.sleep(0.005)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=3, help="remote hosts (3)")
    parser.add_argument("--panes", type=int, default=20, help="stand-in claude panes per host")
    parser.add_argument("--samples", type=int, default=20, help="events per side (20)")
    parser.add_argument("--seconds", type=float, default=30.0, help="idle window (30)")
    args = parser.parse_args()
    reason = why_no_sshd()
    if reason is not None:
        # `make bench` runs every script: a machine without sshd rights skips this one, loudly.
        print(f"bench/remote.py: skipped: {reason}")
        return 0
    print_machine()
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-remote-")))
        claude = stand_in_claude(root)
        env = isolated_env(root)
        local_tmux = stack.enter_context(PrivateTmux())
        local_panes = claude_panes(local_tmux, args.panes, claude)
        hosts: list[tuple[str, SshHost, AppProcess, list[str]]] = []
        for n in range(args.hosts):
            name = f"host{n + 1}"
            ssh = SshHost(root / name)
            stack.callback(ssh.close)
            ssh.start()
            tmux = stack.enter_context(ssh.tmux())
            panes = claude_panes(tmux, args.panes, claude)
            remote = ssh.app(ssh.home / "data", tmux, env=env)
            stack.callback(remote.stop)
            remote.start()
            hosts.append((name, ssh, remote, panes))
        desk_data = root / "desktop"
        for name, ssh, remote, _ in hosts:
            command = f"claude-rpg --data-dir {remote.data_dir} --port {remote.port}"
            add_host(desk_data, HostConfig(name, ssh.alias, command, str(ssh.ssh_config)))
        desktop = AppProcess(desk_data, local_tmux.socket_path, env=env, poll_interval=1.0)
        bare = AppProcess(root / "bare", local_tmux.socket_path, env=env, poll_interval=1.0)
        for app in (desktop, bare):
            stack.callback(app.stop)
            app.start()
        want = args.panes * (args.hosts + 1)
        deadline = time.monotonic() + 60
        while len(desktop.get("/api/panes")) < want:
            if time.monotonic() > deadline:
                print(f"the desktop never saw {want} panes:\n{desktop.log()}", file=sys.stderr)
                return 1
            time.sleep(0.2)
        print(
            f"{args.hosts} hosts x {args.panes} stand-in claude panes (+ {args.panes} local), "
            f"{args.samples} events per side, idle window {args.seconds:.0f} s"
        )

        local: list[float] = []
        remote_ms: list[float] = []
        for i in range(args.samples):
            local.append(event_to_card(desktop, desktop, "local", local_panes[i % args.panes]))
            name, _, remote, panes = hosts[i % len(hosts)]
            remote_ms.append(event_to_card(desktop, remote, name, panes[i % args.panes]))
        local = [x * 1000 for x in local]
        remote_ms = [x * 1000 for x in remote_ms]

        assert desktop.proc is not None and bare.proc is not None
        controls = str(control_dir(desk_data))
        time.sleep(2.0)  # let the last events settle before the idle window

        def desk_pids() -> list[int]:
            assert desktop.proc is not None
            return [desktop.proc.pid, *pids_matching("ssh", controls)]

        def feeds() -> list[int]:
            # The remote ends only: the desktop's ssh clients carry the same words.
            ours = set(pids_matching("ssh", controls))
            return [p for p in pids_matching("remote feed --since") if p not in ours]

        before = (cpu_of(desk_pids()), cpu_seconds(bare.proc.pid), cpu_of(feeds()))
        start = time.monotonic()
        time.sleep(args.seconds)
        elapsed = time.monotonic() - start
        after = (cpu_of(desk_pids()), cpu_seconds(bare.proc.pid), cpu_of(feeds()))
        desk_cpu, bare_cpu, feed_cpu = (
            100 * (a - b) / elapsed for a, b in zip(after, before, strict=True)
        )
        print(
            f"desktop processes measured: app + {len(desk_pids()) - 1} ssh; feeds: {len(feeds())}"
        )

    print_table(
        "remote hosts: event -> card, and idle cost",
        [
            Result("event -> card p50", percentile(remote_ms, 0.5), "ms",
                   baseline=percentile(local, 0.5), baseline_name="local"),
            Result("event -> card p99", percentile(remote_ms, 0.99), "ms",
                   baseline=percentile(local, 0.99), baseline_name="local"),
            Result("added latency p50", percentile(remote_ms, 0.5) - percentile(local, 0.5), "ms"),
            Result(f"desktop idle, {args.hosts} hosts x {args.panes} panes", desk_cpu,
                   "% core", "<= 1", desk_cpu <= 1.0, bare_cpu, "no hosts"),
            Result("remote feeds, per host", feed_cpu / max(1, args.hosts), "% core"),
        ],
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_API", "pyside6")
    sys.exit(main())
