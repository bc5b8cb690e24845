"""A snapshot of the process table from /proc: parents, names and start times."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
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

    @classmethod
    def for_panes(cls, proc_root: str = "/proc") -> ProcessTable:
        """The table a poll tick uses: read only below the panes where Linux allows it."""
        if children_files_work(proc_root):
            return LiveProcessTable(proc_root)
        return cls.scan(proc_root)

    def proc(self, pid: int) -> Proc | None:
        return self.procs.get(pid)

    def children_of(self, pid: int) -> list[int]:
        return self.children.get(pid, [])

    def descendants(self, pid: int, limit: int = 64) -> Iterator[Proc]:
        """pid itself and its descendants, breadth first (bounded: panes can run anything).

        Lazy, so a caller that stops at the first match reads no further.
        """
        found = 0
        queue = deque([pid])
        while queue and found < limit:
            current = queue.popleft()
            proc = self.proc(current)
            if proc is not None:
                found += 1
                yield proc
            queue.extend(self.children_of(current))


class LiveProcessTable(ProcessTable):
    """Reads a process and its children only when asked, from /proc/<pid>/task/*/children.

    A full scan reads two files per process on the machine every tick (a desktop runs
    hundreds), though only the few below the tmux panes matter: this reads those alone.
    """

    def __init__(self, proc_root: str = "/proc") -> None:
        super().__init__({})
        self.proc_root = proc_root
        self._gone: set[int] = set()

    def proc(self, pid: int) -> Proc | None:
        if pid not in self.procs and pid not in self._gone:
            proc = read_proc(pid, self.proc_root)
            if proc is None:
                self._gone.add(pid)
                return None
            self.procs[pid] = proc
        return self.procs.get(pid)

    def children_of(self, pid: int) -> list[int]:
        if pid not in self.children:
            kids: list[int] = []
            task_dir = f"{self.proc_root}/{pid}/task"
            try:
                tids = os.listdir(task_dir)
            except OSError:
                tids = []
            # Each thread lists the children it started; a multi-threaded process has several.
            for tid in tids:
                try:
                    with open(f"{task_dir}/{tid}/children", "rb") as f:
                        kids.extend(int(k) for k in f.read().split())
                except (OSError, ValueError):
                    continue
            self.children[pid] = kids
        return self.children[pid]


def children_files_work(proc_root: str = "/proc") -> bool:
    """Whether this kernel has /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN)."""
    try:
        tid = os.listdir(f"{proc_root}/self/task")[0]
    except (OSError, IndexError):
        return False
    return os.path.exists(f"{proc_root}/self/task/{tid}/children")
