"""A snapshot of the process table from /proc: parents, names and start times."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Proc:
    """One process as /proc shows it."""

    pid: int
    ppid: int
    comm: str
    start_ticks: int
    argv0: str = ""
    argv1: str = ""


def read_proc(pid: int, proc_root: str = "/proc") -> Proc | None:
    """One process, or None when it is gone (or /proc is not there)."""
    try:
        with open(f"{proc_root}/{pid}/stat", "rb") as f:
            raw = f.read().decode(errors="replace")
    except OSError:
        return None
    # comm sits in parentheses and may itself contain spaces or ')': split at the last ')'.
    head, _, rest = raw.rpartition(")")
    comm = head.partition("(")[2]
    fields = rest.split()
    if len(fields) < 20:
        return None
    argv: list[str] = []
    try:
        with open(f"{proc_root}/{pid}/cmdline", "rb") as f:
            argv = f.read(4096).decode(errors="replace").split("\0")
    except OSError:
        pass
    return Proc(
        pid=pid,
        ppid=int(fields[1]),
        comm=comm,
        start_ticks=int(fields[19]),
        argv0=argv[0] if argv else "",
        argv1=argv[1] if len(argv) > 1 else "",
    )


class ProcessTable:
    """Children of each pid, read once per poll tick."""

    def __init__(self, procs: dict[int, Proc]) -> None:
        self.procs = procs
        self.children: dict[int, list[int]] = {}
        for proc in procs.values():
            self.children.setdefault(proc.ppid, []).append(proc.pid)

    @classmethod
    def scan(cls, proc_root: str = "/proc") -> ProcessTable:
        procs: dict[int, Proc] = {}
        try:
            names = os.listdir(proc_root)
        except OSError:
            return cls({})
        for name in names:
            if name.isdigit():
                proc = read_proc(int(name), proc_root)
                if proc is not None:
                    procs[proc.pid] = proc
        return cls(procs)

    def descendants(self, pid: int, limit: int = 64) -> list[Proc]:
        """pid itself and its descendants, breadth first (bounded: panes can run anything)."""
        out: list[Proc] = []
        queue = [pid]
        while queue and len(out) < limit:
            current = queue.pop(0)
            proc = self.procs.get(current)
            if proc is not None:
                out.append(proc)
            queue.extend(self.children.get(current, ()))
        return out
