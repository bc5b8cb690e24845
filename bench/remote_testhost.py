"""What the remote tests' second host costs for being a network namespace of its own.

The remote tests' host (tests/support/ssh_host.py) is a network namespace with only `lo`;
the desktop's ssh reaches its sshd through a ProxyCommand (`nsenter` into the namespace,
then `python -I tests/support/netns.py connect`, a byte copy to 127.0.0.1:port there). The
baseline, in the same run, is the same sshd set up on the test's own loopback (no
namespace, no ProxyCommand), as the tests had it before. Interleaved:

  connect     `ssh HOST true` on a new connection (no ControlMaster): key exchange,
              authentication, one command; the ProxyCommand starts once per connection
  round trip  one line to `cat` on the host and back over an open connection

The app opens one connection per host and keeps it (ControlMaster), so a test pays the
connect cost once per link and the round trip cost on every feed line.

    .venv/bin/python bench/remote_testhost.py [--connects 10] [--lines 300]

Needs root (sshd and the namespace). Every address is 127.0.0.1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from _common import Result, percentile, print_machine, print_table

from tests.support.ssh_host import SshHost, why_no_sshd


def ssh(host: SshHost, *command: str) -> list[str]:
    return ["ssh", "-F", str(host.ssh_config), "-o", "ControlMaster=no", "-o",
            "ControlPath=none", "-T", host.alias, *command]  # fmt: skip


def connect_ms(host: SshHost) -> float:
    start = time.perf_counter()
    subprocess.run(ssh(host, "true"), check=True, capture_output=True, timeout=60)
    return 1000 * (time.perf_counter() - start)


def round_trips_ms(host: SshHost, lines: int) -> list[float]:
    cat = subprocess.Popen(ssh(host, "cat"), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert cat.stdin is not None and cat.stdout is not None
    times = []
    try:
        for n in range(lines):
            line = f"line {n}\n".encode()
            start = time.perf_counter()
            cat.stdin.write(line)
            cat.stdin.flush()
            if cat.stdout.readline() != line:
                raise RuntimeError("cat on the host did not echo the line")
            times.append(1000 * (time.perf_counter() - start))
    finally:
        cat.stdin.close()
        cat.wait(10)
        cat.stdout.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connects", type=int, default=10, help="new connections each (10)")
    parser.add_argument("--lines", type=int, default=300, help="round trips each (300)")
    args = parser.parse_args()
    reason = why_no_sshd()
    if reason is not None:
        print(f"bench/remote_testhost.py: skipped: {reason}")
        return 0
    print_machine()
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-rhost-")))
        hosts = {}
        for name, own in (("namespace", True), ("loopback", False)):
            host = SshHost(root / name, own_netns=own)
            stack.callback(host.close)
            hosts[name] = host.start()
        connects: dict[str, list[float]] = {name: [] for name in hosts}
        trips: dict[str, list[float]] = {name: [] for name in hosts}
        for _ in range(args.connects):
            for name, host in hosts.items():
                connects[name].append(connect_ms(host))
        for _ in range(3):  # three open connections each, interleaved
            for name, host in hosts.items():
                trips[name] += round_trips_ms(host, args.lines // 3)
    print(f"{args.connects} new connections and {args.lines} round trips per host, interleaved")
    rows = []
    for label, values in (("new ssh connection", connects), ("line round trip", trips)):
        for q, tag in ((0.5, "p50"), (0.99, "p99")):
            rows.append(
                Result(
                    f"{label} {tag}, namespace",
                    percentile(values["namespace"], q),
                    "ms",
                    baseline=percentile(values["loopback"], q),
                    baseline_name="test's loopback",
                )
            )
    print_table("the test host's own network namespace: what it adds", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
