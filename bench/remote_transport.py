"""The pane side of a remote host over ssh: `tmux -C` subscriptions against the feed, one run.

One second host (tests/support/ssh_host.py: a network namespace of its own with sshd, its
tmux server with stand-in `claude` panes and its headless app at the app's default poll
interval) and one ssh ControlMaster to it, opened with the app's own ssh options. Over that
one connection, two clients, each one session channel:

  tmux -C   `ssh HOST tmux -C attach -f no-output,ignore-size` with
            `refresh-client -B title:%*:#{pane_title}`: tmux reports a changed title as
            `%subscription-changed` (it checks subscriptions at most once a second)
  feed      `ssh HOST claude-rpg remote feed` (what the desktop runs): the host's app polls
            tmux, its /api/panes changes, the feed (polling that every 0.2 s) writes a panes
            line

  latency   `select-pane -T` on a remote pane -> the line that carries the new title read
            from each client's stdout on this side (both read at once, same change); a
            random pause between changes so neither side's period lines up with the changes
  idle      CPU % of one core over three equal windows with no changes: neither client,
            only tmux -C, only the feed. This side: the ssh master and the client's ssh.
            Host side: the client's command (tmux -C client / feed), the sshd processes, the
            tmux server and the host's app; each transport's cost is its window less the
            window without either.
  channels  session commands running under sshd while each client is attached

The feed also carries the host's stored events with their ids (the catch-up), which tmux
cannot: choosing tmux -C for the pane side would add its channel to the feed's, not replace
it.

    .venv/bin/python bench/remote_transport.py [--panes 20] [--samples 20] [--seconds 20]

Needs root (sshd and the namespace). Every address is 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from pathlib import Path

from _common import (
    Result,
    claude_panes,
    cpu_of,
    isolated_env,
    percentile,
    print_machine,
    print_table,
    stand_in_claude,
)

from desktop.core.remote.hosts import HostConfig
from desktop.core.remote.ssh import ssh_argv
from tests.support.private_tmux import SESSION, TMUX
from tests.support.ssh_host import SshHost, why_no_sshd

POLL_INTERVAL = 1.0  # the app's default


class Client:
    """One command over the shared connection; a thread notes when each (pane, title) shows."""

    def __init__(self, argv: list[str], titles: Callable[[bytes], list[tuple[str, str]]]) -> None:
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.titles = titles
        self.seen: dict[tuple[str, str], float] = {}
        self.lines = 0
        self.last: list[bytes] = []  # the last few lines, to say what went wrong
        self.attached = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            now = time.perf_counter()
            self.lines += 1
            self.last = [*self.last[-5:], line]
            if line.startswith(b"%session-changed"):
                self.attached.set()
            for key in self.titles(line):
                self.seen.setdefault(key, now)

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def tmux_titles(line: bytes) -> list[tuple[str, str]]:
    """`%subscription-changed title $0 @1 1 %3 : NEW TITLE` -> [("%3", "NEW TITLE")]."""
    text = line.decode(errors="replace").rstrip("\n")
    if not text.startswith("%subscription-changed title "):
        return []
    head, _, value = text.partition(" : ")
    return [(head.split()[-1], value)]


def feed_titles(line: bytes) -> list[tuple[str, str]]:
    message = json.loads(line)
    if message.get("type") != "panes":
        return []
    return [(p["pane_id"], p.get("title", "")) for p in message["panes"]]


def children(parent: int) -> list[int]:
    """Every live process under parent (all generations)."""
    by_parent: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
                by_parent.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [parent]
    while todo:
        for child in by_parent.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panes", type=int, default=20, help="stand-in claude panes (20)")
    parser.add_argument("--samples", type=int, default=20, help="title changes (20)")
    parser.add_argument("--seconds", type=float, default=20.0, help="each idle window (20)")
    args = parser.parse_args()
    if args.seconds > 50:
        # The quiet window has no client: the master (ControlPersist=60, as the app) must last.
        parser.error("--seconds is at most 50")
    reason = why_no_sshd()
    if reason is not None:
        print(f"bench/remote_transport.py: skipped: {reason}")
        return 0
    print_machine()
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-rtrans-")))
        claude = stand_in_claude(root)
        ssh = SshHost(root / "remote")
        stack.callback(ssh.close)
        ssh.start()
        tmux = stack.enter_context(ssh.tmux())
        panes = claude_panes(tmux, args.panes, claude)
        remote = ssh.app(
            ssh.home / "data", tmux, env=isolated_env(root), poll_interval=POLL_INTERVAL
        )
        stack.callback(remote.stop)
        remote.start()
        command = (
            f"claude-rpg --data-dir {remote.data_dir} --port {remote.port} "
            f"--tmux-socket {tmux.socket_path}"
        )
        host = HostConfig("devbox", ssh.alias, command, str(ssh.ssh_config))
        controls = root / "ctl"
        controls.mkdir(mode=0o700)
        # The master, as the app makes it (ControlMaster=auto, ControlPersist): both clients
        # below are channels of this one connection.
        subprocess.run(ssh_argv(host, controls, ["true"]), check=True, timeout=60)
        stack.callback(
            subprocess.run,
            ["ssh", "-F", host.ssh_config, "-o", f"ControlPath={controls}/%C", "-O", "exit",
             host.target],
            capture_output=True,
        )  # fmt: skip
        masters = [int(p) for p in subprocess.run(
            ["pgrep", "-f", f"ControlPath={controls}"], capture_output=True, text=True
        ).stdout.split()]  # fmt: skip
        assert ssh.proc is not None
        tmux_server = int(tmux.run("display", "-p", "#{pid}").strip())

        def tmux_client() -> Client:
            remote_cmd = [TMUX, "-S", str(tmux.socket_path), "-C", "attach", "-f",
                          "no-output,ignore-size", "-t", SESSION]  # fmt: skip
            client = Client(ssh_argv(host, controls, remote_cmd), tmux_titles)
            # A command read before the attach is done finds "no current client".
            if not client.attached.wait(30):
                raise RuntimeError(f"tmux -C did not attach: {client.last}")
            client.send("refresh-client -B 'title:%*:#{pane_title}'")
            return client

        def feed_client() -> Client:
            argv = ssh_argv(host, controls, [*host.remote_argv(), "remote", "feed", "--since", "0"])
            return Client(argv, feed_titles)

        def host_side(client: Client | None) -> dict[str, list[int]]:
            """The host-side processes, split by what they are, while client is attached."""
            under_sshd = children(ssh.proc.pid)  # type: ignore[union-attr]
            sshd = [p for p in under_sshd if comm(p) == "sshd"]
            commands = [p for p in under_sshd if comm(p) != "sshd"]
            return {
                "command": commands,
                "sshd": sshd,
                "tmux server": [tmux_server],
                "app": [remote.proc.pid],  # type: ignore[union-attr]
                "this side": [*masters, *([client.proc.pid] if client else [])],
            }

        def commands_left() -> list[int]:
            under_sshd = children(ssh.proc.pid)  # type: ignore[union-attr]
            return [p for p in under_sshd if comm(p) != "sshd"]

        def wait_no_commands() -> None:
            # A feed whose client is gone ends at its next write (a heartbeat: up to 5 s);
            # its CPU must not land in the next window.
            deadline = time.monotonic() + 20
            while commands_left():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"host-side commands still running: {commands_left()}")
                time.sleep(0.1)

        def idle(client: Client | None) -> tuple[dict[str, float], int]:
            time.sleep(2.0)  # let the attach settle
            pids = host_side(client)
            channels = len([p for p in pids["command"] if comm(p) != "sh"])
            before = {k: cpu_of(v, children=False) for k, v in pids.items()}
            start = time.monotonic()
            time.sleep(args.seconds)
            elapsed = time.monotonic() - start
            after = {k: cpu_of(v, children=False) for k, v in pids.items()}
            return {k: 100 * (after[k] - before[k]) / elapsed for k in pids}, channels

        # Latency: both clients attached, the same changes seen by both.
        via_tmux, via_feed = tmux_client(), feed_client()
        stack.callback(via_tmux.stop)
        stack.callback(via_feed.stop)
        time.sleep(3.0)
        tmux_ms: list[float] = []
        feed_ms: list[float] = []
        for n in range(args.samples):
            pane = panes[n % len(panes)]
            title = f"bench-title-{n}"
            time.sleep(random.uniform(0.0, 1.0))
            changed = time.perf_counter()
            tmux.run("select-pane", "-t", pane, "-T", title)
            deadline = changed + 15
            key = (pane, title)
            while key not in via_tmux.seen or key not in via_feed.seen:
                if time.perf_counter() > deadline:
                    print(
                        f"title {title} on {pane} never showed on both: tmux -C read "
                        f"{via_tmux.lines} lines, {via_tmux.last}; feed "
                        f"{via_feed.lines} lines, {sorted(via_feed.seen)[-3:]}",
                        file=sys.stderr,
                    )
                    return 1
                time.sleep(0.005)
            tmux_ms.append(1000 * (via_tmux.seen[key] - changed))
            feed_ms.append(1000 * (via_feed.seen[key] - changed))
        via_tmux.stop()
        via_feed.stop()

        # Idle: one window without either client, then one with each alone.
        wait_no_commands()
        quiet, _ = idle(None)
        client = tmux_client()
        on_tmux, tmux_channels = idle(client)
        client.stop()
        wait_no_commands()
        client = feed_client()
        on_feed, feed_channels = idle(client)
        client.stop()

    def cost(window: dict[str, float], parts: tuple[str, ...]) -> float:
        return sum(window[p] - quiet[p] for p in parts)

    host_parts = ("command", "sshd", "tmux server", "app")
    print(
        f"1 host, {args.panes} stand-in claude panes, app poll {POLL_INTERVAL} s, "
        f"{args.samples} title changes, idle windows {args.seconds:.0f} s"
    )
    for name, window in (("tmux -C", on_tmux), ("feed", on_feed)):
        parts = ", ".join(f"{k} {window[k] - quiet[k]:+.2f}" for k in (*host_parts, "this side"))
        print(f"  idle over the quiet window, % core, {name}: {parts}")
    print("  quiet window, % core: " + ", ".join(f"{k} {v:.2f}" for k, v in quiet.items()))

    print_table(
        "the pane side over one ssh connection: tmux -C subscription vs the feed",
        [
            Result("title -> this side p50, feed", percentile(feed_ms, 0.5), "ms",
                   baseline=percentile(tmux_ms, 0.5), baseline_name="tmux -C"),
            Result("title -> this side p99, feed", percentile(feed_ms, 0.99), "ms",
                   baseline=percentile(tmux_ms, 0.99), baseline_name="tmux -C"),
            # Idle costs near zero (a clock tick is 0.05 % of a 20 s window): a ratio
            # would say nothing, so each is a row of its own.
            Result("idle, host side, feed", cost(on_feed, host_parts), "% core"),
            Result("idle, host side, tmux -C", cost(on_tmux, host_parts), "% core"),
            Result("idle, this side, feed", cost(on_feed, ("this side",)), "% core"),
            Result("idle, this side, tmux -C", cost(on_tmux, ("this side",)), "% core"),
            Result("session channels, feed", feed_channels, "",
                   baseline=tmux_channels, baseline_name="tmux -C"),
        ],
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_API", "pyside6")
    sys.exit(main())
