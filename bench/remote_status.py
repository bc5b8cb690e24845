"""Needs input on a remote host: from the permission dialog to the desktop's card, against local.

The real claude CLI runs offline against the fake API in two panes: one in the desktop's own
private tmux, one on a second host (tests/support/ssh_host.py: a network namespace of its own
with sshd, its tmux server and its headless app; the desktop reaches it only over ssh, with
the feed). Both have the claude-rpg hooks installed, each to its own host's app. Each round
types a prompt that asks for permission on one pane, then the other, and watches the pane's
screen (capture-pane) and the desktop's /api/panes about every 5 ms (bench/status_latency.py's
Watch):

  dialog -> desktop   the dialog is on the screen -> /api/panes shows that pane needs input
  hook -> desktop     the needs-input hook reached the pane's own app (its stored
                      received_at) -> the same /api/panes answer

A value below 0 means the desktop showed it before the screen did (the hook came first).
The dialog is denied with Esc and the bench waits for the card to be idle before the next.
Both apps run at the app's default poll interval; the remote feed at its own 0.2 s.

    .venv/bin/python bench/remote_status.py [--rounds 10]

Needs root (sshd and the namespace). Every address is 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from _common import PrivateTmux, Result, isolated_env, percentile, print_machine, print_table
from status_latency import DIALOG, Watch, hook_only_time, stored_events

from desktop.core.remote.hosts import HostConfig, add_host
from tests.support.app_process import AppProcess
from tests.support.claude_session import start_claude, type_prompt
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.install import install_hooks
from tests.support.ssh_host import SshHost, why_no_sshd

HOST = "devbox"
# With the hooks installed, the status line takes the footer's place: wait for the box.
INPUT_BOX = re.compile(r"^❯", re.M)
POLL_INTERVAL = 1.0  # the app's default


class Side:
    """One claude pane, the app its hooks reach, and how the desktop names its host."""

    def __init__(self, name: str, tmux: PrivateTmux, app: AppProcess, pane: str) -> None:
        self.name = name
        self.tmux = tmux
        self.app = app
        self.pane = pane
        self.dialog: list[float] = []  # ms, dialog on screen -> desktop shows needs input
        self.hook: list[float] = []  # ms, hook received -> desktop shows needs input


def one_round(side: Side, desktop: AppProcess, n: int) -> None:
    watch = Watch(side.tmux, desktop, side.pane, side.name)
    session_id = watch.state()["session_id"]
    typed = time.time()
    type_prompt(side.tmux, side.pane, f"BASH:touch denied-{side.name}-{n}.txt")
    screen, shown = watch.measure(
        lambda s: bool(DIALOG.search(s)), lambda p: p.get("status") == "needs_input"
    )
    events = stored_events(side.app.data_dir / "claude-rpg.sqlite3", session_id)
    hooked = hook_only_time(events, typed, lambda h: h.status.value == "needs_input")
    if hooked is None:
        raise RuntimeError(f"{side.name}: no needs-input hook stored for round {n}")
    side.dialog.append(1000 * (shown - screen))
    side.hook.append(1000 * (shown - hooked))
    side.tmux.send_keys(side.pane, "Escape")
    watch.measure(lambda s: not DIALOG.search(s), lambda p: p.get("status") == "idle")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="dialogs per side (10)")
    args = parser.parse_args()
    reason = why_no_sshd()
    if reason is not None:
        print(f"bench/remote_status.py: skipped: {reason}")
        return 0
    print_machine()
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-rstatus-")))
        fake = stack.enter_context(FakeAnthropic())
        env = isolated_env(root)
        ssh = SshHost(root / "remote")
        stack.callback(ssh.close)
        ssh.start()
        ssh.forward_out_of(fake.port)  # the host's route to "the API"
        remote_tmux = stack.enter_context(ssh.tmux())
        remote = ssh.app(ssh.home / "data", remote_tmux, env=env, poll_interval=POLL_INTERVAL)
        stack.callback(remote.stop)
        remote.start()
        local_tmux = stack.enter_context(PrivateTmux())
        desk_data = root / "desktop"
        command = (
            f"claude-rpg --data-dir {remote.data_dir} --port {remote.port} "
            f"--tmux-socket {remote_tmux.socket_path}"
        )
        add_host(desk_data, HostConfig(HOST, ssh.alias, command, str(ssh.ssh_config)))
        desktop = AppProcess(
            desk_data, local_tmux.socket_path, env=env, poll_interval=POLL_INTERVAL
        )
        stack.callback(desktop.stop)
        desktop.start()

        local_home = root / "local-home"
        install_hooks(local_home, desktop.data_dir, desktop.port)
        install_hooks(ssh.home, remote.data_dir, remote.port)
        sides = []
        for name, tmux, app, home in (
            ("local", local_tmux, desktop, local_home),
            (HOST, remote_tmux, remote, ssh.home),
        ):
            pane = start_claude(tmux, fake, home, home.parent / f"{name}-project", ready=INPUT_BOX)
            type_prompt(tmux, pane, "hello")  # the session binds to the pane: it has a persona
            sides.append(Side(name, tmux, app, pane))
        for side in sides:
            desktop.wait_for(
                "/api/panes",
                lambda ps, s=side: any(
                    p["pane_id"] == s.pane
                    and p.get("host", "local") == s.name
                    and p.get("session_id")
                    and p["status"] == "idle"
                    for p in ps
                ),
                60,
            )
        print(f"{args.rounds} permission dialogs per side, local and {HOST} interleaved")
        for n in range(args.rounds):
            for side in sides:
                one_round(side, desktop, n)
            print(f"round {n + 1}/{args.rounds} done", file=sys.stderr)

    local, far = sides
    results = []
    for q, tag in ((0.5, "p50"), (0.99, "p99")):
        # The local figure is often below 0 (the hook beats the screen): a ratio to it would
        # say nothing, so both are rows of their own, the remote one against the goal.
        mine = percentile(far.dialog, q)
        results.append(
            Result(f"dialog -> desktop {tag}, {HOST}", mine, "ms", "<= 1000", mine <= 1000)
        )
        results.append(Result(f"dialog -> desktop {tag}, local", percentile(local.dialog, q), "ms"))
    for q, tag in ((0.5, "p50"), (0.99, "p99")):
        results.append(
            Result(
                f"hook -> desktop {tag}, {HOST}",
                percentile(far.hook, q),
                "ms",
                baseline=percentile(local.hook, q),
                baseline_name="local",
            )
        )
    results.append(
        Result(
            "added by the remote path, dialog p50",
            percentile(far.dialog, 0.5) - percentile(local.dialog, 0.5),
            "ms",
        )
    )
    print_table(f"needs input: {HOST} (over ssh) vs local, real claude", results)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_API", "pyside6")
    sys.exit(main())
