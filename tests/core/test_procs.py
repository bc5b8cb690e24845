"""The process table: the live walk below the panes sees what a full /proc scan sees."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.core.tmux.procs import (
    LiveProcessTable,
    ProcessTable,
    children_files_work,
)

# A small real tree: a shell with two sleeping children, one of which has a child of its own.
TREE = "sleep 300 & sh -c 'sleep 300 & wait' & wait"


@pytest.fixture
def tree() -> Iterator[subprocess.Popen[bytes]]:
    # Its own process group: the whole tree goes at the end, and nothing else.
    proc = subprocess.Popen(["/bin/sh", "-c", TREE], start_new_session=True)
    try:
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _wait_for_tree(root: int) -> list[int]:
    """The tree's pids from a full scan, once the shell has started all four processes."""
    pids: list[int] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pids = [p.pid for p in ProcessTable.scan().descendants(root)]
        if len(pids) == 4:
            return pids
        time.sleep(0.01)
    raise AssertionError(f"the process tree under {root} never had 4 processes: {pids}")


@pytest.mark.skipif(not children_files_work(), reason="kernel without CONFIG_PROC_CHILDREN")
def test_the_live_walk_finds_the_same_tree_as_a_full_scan(
    tree: subprocess.Popen[bytes],
) -> None:
    scanned = _wait_for_tree(tree.pid)
    live_table = LiveProcessTable()
    live = [p.pid for p in live_table.descendants(tree.pid)]
    assert sorted(live) == sorted(scanned)
    assert live[0] == tree.pid
    full = ProcessTable.scan()
    assert {p.pid: p.comm for p in live_table.descendants(tree.pid)} == {
        pid: full.procs[pid].comm for pid in scanned
    }


@pytest.mark.skipif(not children_files_work(), reason="kernel without CONFIG_PROC_CHILDREN")
def test_the_live_walk_reads_nothing_past_what_the_caller_takes(
    tree: subprocess.Popen[bytes],
) -> None:
    _wait_for_tree(tree.pid)
    table = ProcessTable.for_panes()
    assert isinstance(table, LiveProcessTable)
    first = next(table.descendants(tree.pid))
    assert first.pid == tree.pid
    # Only the root was read: the machine's other processes were never opened.
    assert set(table.procs) == {tree.pid}


def test_the_live_walk_of_a_gone_process_is_empty() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert list(LiveProcessTable().descendants(proc.pid)) == []


def _fake_proc(root: Path, pid: int, ppid: int, comm: str) -> None:
    folder = root / str(pid)
    folder.mkdir(parents=True)
    fields = ["S", str(ppid)] + ["0"] * 17 + ["4242"]
    (folder / "stat").write_text(f"{pid} ({comm}) " + " ".join(fields))
    (folder / "cmdline").write_bytes(comm.encode() + b"\0")


def test_a_proc_tree_without_children_files_is_scanned_whole(tmp_path: Path) -> None:
    _fake_proc(tmp_path, 10, 1, "bash")
    _fake_proc(tmp_path, 11, 10, "claude")
    _fake_proc(tmp_path, 12, 1, "vim")
    table = ProcessTable.for_panes(str(tmp_path))
    assert not isinstance(table, LiveProcessTable)
    assert [(p.pid, p.comm) for p in table.descendants(10)] == [(10, "bash"), (11, "claude")]
