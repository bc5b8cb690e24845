"""The installed hook command, run as Claude runs it: `sh -c <command>`, payload on stdin.

Claude Code 2.1.197 runs command hooks with /bin/sh (dash on Debian; probed in
tests/e2e/test_hook_delivery.py); bash and zsh are covered too, for systems and users
whose shell is one of those.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from desktop.core.hooks.command import (
    DROPPED_FILE,
    DROPPED_PREFIX,
    EVERY_FILE,
    READ_CHUNK,
    RECORD_OVERHEAD,
    SPOOL_SUFFIX,
    command_for,
    find_bash,
    render_script,
    script_port,
    spare_script,
    write_script,
    write_spare,
)
from desktop.core.hooks.fallback import fallback_spool
from desktop.core.hooks.spool import SpoolDrain, SpoolRecord, parse_record
from desktop.core.ingest import EventIngest
from desktop.paths import DataPaths

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures/claude-code-2.1.197-hook-events.jsonl"
RECORDED = [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]


@dataclass
class Hook:
    """An installed hook script in a temp data dir, and a UDP socket standing for the app."""

    paths: DataPaths
    doorbell: socket.socket

    def run(
        self,
        payload: bytes,
        event: str = "Stop",
        shell: str = "sh",
        env: dict[str, str] | None = None,
        command: str | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "TMUX_PANE": "%7"}
        return subprocess.run(
            [shell, "-c", command or command_for(self.paths.hook_script, event)],
            input=payload,
            capture_output=True,
            env={**base, **(env or {})},
            timeout=30,
            check=False,
        )

    @property
    def fallback(self) -> Path:
        """The fallback spool the script was written with (under this test's XDG_RUNTIME_DIR)."""
        return fallback_spool(self.paths.root)

    def records(self, spool: Path | None = None) -> list[SpoolRecord]:
        found = []
        for path in sorted((spool or self.paths.spool).glob(f"*{SPOOL_SUFFIX}")):
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # a cap check running in the background dropped it
                continue
            record = parse_record(data)
            assert record is not None, f"{path.name} is incomplete"
            assert path.name == record.dedupe_key + SPOOL_SUFFIX
            found.append(record)
        return found

    def rings(self) -> list[str]:
        messages = []
        self.doorbell.setblocking(False)
        while True:
            try:
                messages.append(self.doorbell.recv(4096).decode())
            except BlockingIOError:
                return messages


@pytest.fixture
def hook(tmp_path: Path) -> Iterator[Hook]:
    doorbell = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    doorbell.bind(("127.0.0.1", 0))
    paths = DataPaths(tmp_path / "data")
    write_script(paths, doorbell.getsockname()[1])
    yield Hook(paths, doorbell)
    doorbell.close()


def compact(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


SHELLS = ("dash", "bash", "zsh")


def shell_path(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is not installed; the hook tests need it (.ci/run installs it)"
    return found


@pytest.mark.parametrize("shell", SHELLS)
def test_every_recorded_event_is_spooled_silently_and_rings(hook: Hook, shell: str) -> None:
    events = [e for e in RECORDED if e["hook_arg"] in ("SessionStart", "PreToolUse", "Stop")]
    for event in events:
        done = hook.run(compact(event["payload"]), event["hook_arg"], shell=shell_path(shell))
        assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")

    records = hook.records()
    assert [json.loads(r.body) for r in records] == [e["payload"] for e in events]
    assert [r.event_name for r in records] == [e["hook_arg"] for e in events]
    # The pane from $TMUX_PANE; the pid is the parent of Claude's shell (here: this test).
    assert {(r.pane_id, r.claude_pid) for r in records} == {("%7", os.getpid())}
    stamps = [r.stamp for r in records]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    # The ring is the record's id and nothing else: no secret (anyone may bind the port).
    assert hook.rings() == [f"{r.dedupe_key}\n" for r in records]


def test_nothing_listening_is_fine(hook: Hook) -> None:
    hook.doorbell.close()

    done = hook.run(b'{"session_id":"s","hook_event_name":"Stop"}')

    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    assert [r.event_name for r in hook.records()] == ["Stop"]


def test_a_large_payload_arrives_whole(hook: Hook) -> None:
    output = "é∂😀 line\n" * 20_000  # multi-byte text, far over the one-byte-read chunk
    payload = compact(
        {"session_id": "s", "hook_event_name": "PostToolUse", "tool_response": output}
    )
    assert len(payload) > 10 * READ_CHUNK

    done = hook.run(payload, "PostToolUse")

    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    [record] = hook.records()
    assert record.body == payload


@pytest.mark.parametrize("size", [READ_CHUNK - 1, READ_CHUNK, READ_CHUNK + 1])
def test_payloads_around_the_chunk_size(hook: Hook, size: int) -> None:
    head = b'{"session_id":"s","hook_event_name":"Stop","x":"'
    payload = head + b"a" * (size - len(head) - 2) + b'"}'
    assert len(payload) == size

    hook.run(payload)

    assert [r.body for r in hook.records()] == [payload]


def test_empty_stdin_writes_nothing(hook: Hook) -> None:
    done = hook.run(b"")

    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    assert hook.records() == [] and hook.rings() == []


def test_sh_hands_over_to_bash(hook: Hook) -> None:
    """Claude runs hooks with $SHELL: under sh the script re-runs itself with bash."""
    done = hook.run(b'{"session_id":"s","hook_event_name":"Stop"}', shell="sh")

    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    [record] = hook.records()
    assert record.stamp > 0 and record.pane_id == "%7" and record.claude_pid == os.getpid()


def test_a_comma_decimal_stamp_is_read_as_a_number(hook: Hook) -> None:
    """$EPOCHREALTIME uses the locale's decimal sign (de_DE: a comma)."""
    command = command_for(hook.paths.hook_script, "Stop").replace(
        "$EPOCHREALTIME", "1795000000,123456"
    )

    hook.run(b'{"session_id":"s","hook_event_name":"Stop"}', command=command)

    [record] = hook.records()
    assert record.stamp == 1795000000.123456
    assert record.dedupe_key.startswith("1795000000.123456-")


def test_a_missing_spool_dir_is_made_again(hook: Hook) -> None:
    hook.paths.spool.rmdir()

    hook.run(b'{"session_id":"s","hook_event_name":"Stop"}')

    assert len(hook.records()) == 1
    assert (hook.paths.spool.stat().st_mode & 0o777) == 0o700


def test_an_unwritable_spool_still_prints_nothing_and_exits_0(hook: Hook) -> None:
    hook.paths.spool.rmdir()
    hook.paths.spool.write_text("a file where the spool dir should be")
    hook.paths.secret_file.unlink()

    done = hook.run(b'{"session_id":"s","hook_event_name":"Stop"}')

    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")


def test_records_are_private_to_the_user(hook: Hook) -> None:
    hook.run(b'{"session_id":"s","hook_event_name":"Stop"}')

    [path] = hook.paths.spool.glob(f"*{SPOOL_SUFFIX}")
    assert (path.stat().st_mode & 0o777) == 0o600


def test_many_hooks_at_once_each_write_one_whole_record(hook: Hook) -> None:
    payloads = [
        compact(
            {
                "session_id": f"s-{i % 7}",
                "hook_event_name": "PreToolUse",
                "n": i,
                "pad": "x" * (i * 97),
            }
        )
        for i in range(200)
    ]
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda p: hook.run(p, "PreToolUse"), payloads))

    assert {(r.returncode, r.stdout, r.stderr) for r in results} == {(0, b"", b"")}
    records = hook.records()
    assert sorted(r.body for r in records) == sorted(payloads)
    assert len({r.dedupe_key for r in records}) == len(payloads)


def remove_script(paths: DataPaths) -> None:
    paths.hook_script.unlink()


def remove_data_dir(paths: DataPaths) -> None:
    shutil.rmtree(paths.root)


def data_dir_is_a_file(paths: DataPaths) -> None:
    """An unmounted or replaced data dir: nothing under it can be read or written."""
    shutil.rmtree(paths.root)
    paths.root.write_text("not a folder")


def spool_unwritable(paths: DataPaths) -> None:
    # A file where the spool dir should be: neither writing in it nor `mkdir -p` works (a
    # chmod would not stop root, and the tests run as root in CI).
    paths.spool.rmdir()
    paths.spool.write_text("a file where the spool dir should be")


def dead_pid() -> int:
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def app_running(damage: Callable[[DataPaths], None]) -> Callable[[DataPaths], None]:
    """The damage, done while an app runs (this process): it wrote the spare script."""

    def damaged(paths: DataPaths) -> None:
        assert write_spare(paths, os.getpid())
        damage(paths)

    return damaged


def app_gone(paths: DataPaths) -> None:
    """The app removed with its data dir, the hooks left installed: its spare stays inert."""
    assert write_spare(paths, dead_pid())
    remove_data_dir(paths)


BROKEN = {
    "script missing": remove_script,
    "data dir missing": remove_data_dir,
    "data dir is a file": data_dir_is_a_file,
    "spool unwritable": spool_unwritable,
    "script missing, app running": app_running(remove_script),
    "data dir missing, app running": app_running(remove_data_dir),
    "data dir is a file, app running": app_running(data_dir_is_a_file),
    "data dir missing, app gone": app_gone,
}
# Where each damage's events end up: the spool (made again by the spare script when the
# data dir's own is gone), the fallback spool, or nowhere (no script left to run).
KEPT_IN = {
    "script missing": None,
    "data dir missing": None,
    "data dir is a file": None,
    "spool unwritable": "fallback",
    "script missing, app running": "spool",
    "data dir missing, app running": "spool",
    "data dir is a file, app running": "fallback",
    "data dir missing, app gone": None,
}


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("damage", sorted(BROKEN))
def test_a_broken_install_exits_0_and_prints_nothing(hook: Hook, shell: str, damage: str) -> None:
    """dash aborts on `.` of a missing file with status 2, which Claude takes as a blocking
    error (a PreToolUse refused): the guard must keep every shell silent and at 0."""
    BROKEN[damage](hook.paths)

    for event in ("PreToolUse", "Stop"):
        done = hook.run(b'{"session_id":"s","hook_event_name":"Stop"}', event, shell_path(shell))
        assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    where = KEPT_IN[damage]
    if where is None:
        assert hook.rings() == []  # no script, nothing to run
        assert not hook.fallback.exists()
        assert damage == "script missing" or not hook.paths.spool.is_dir()
    else:
        kept = hook.records(hook.fallback if where == "fallback" else None)
        assert len(kept) == len(hook.rings()) == 2
        assert sorted(r.event_name for r in kept) == ["PreToolUse", "Stop"]


def test_the_spare_script_is_the_script_outside_the_data_dir(hook: Hook) -> None:
    script, spare = hook.paths.hook_script, spare_script(hook.paths.hook_script)

    assert write_spare(hook.paths, os.getpid())

    assert spare.parent == Path(os.environ["XDG_CONFIG_HOME"]) / "claude-rpg" / "hooks"
    lines = spare.read_text().replace(shlex.quote(str(spare)), "<self>").splitlines()
    start = lines.index("exec >/dev/null 2>&1") + 1
    # The gate first (two lines of comment, then the check), the same script otherwise,
    # handing over to bash by its own path.
    assert lines[start + 2] == f"kill -0 {os.getpid()} || exit 0"
    del lines[start : start + 3]
    assert lines == script.read_text().replace(shlex.quote(str(script)), "<self>").splitlines()
    assert spare.stat().st_mode & 0o777 == 0o700 and spare.parent.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("shell", SHELLS)
def test_an_unwritable_spool_sends_the_event_to_the_fallback_spool(hook: Hook, shell: str) -> None:
    spool_unwritable(hook.paths)
    payload = compact({"session_id": "s", "hook_event_name": "Stop", "n": 1})

    done = hook.run(payload, "Stop", shell_path(shell))

    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    runtime = Path(os.environ["XDG_RUNTIME_DIR"])
    assert hook.fallback.parent == runtime / "claude-rpg"
    [record] = hook.records(hook.fallback)
    assert (record.body, record.event_name, record.pane_id) == (payload, "Stop", "%7")
    assert hook.rings() == [record.dedupe_key + "\n"]
    for folder in (hook.fallback.parent, hook.fallback):
        assert folder.stat().st_mode & 0o777 == 0o700
    [path] = hook.fallback.glob(f"*{SPOOL_SUFFIX}")
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_main_spool_is_used_whenever_it_can_be(hook: Hook) -> None:
    hook.run(b'{"session_id":"s","hook_event_name":"Stop"}')

    assert len(hook.records()) == 1
    assert not hook.fallback.parent.exists(), "the fallback is made only when needed"


def planted_symlink(hook: Hook, elsewhere: Path) -> None:
    hook.fallback.parent.symlink_to(elsewhere, target_is_directory=True)


def planted_by_another_user(hook: Hook, elsewhere: Path) -> None:
    hook.fallback.parent.mkdir(mode=0o777)
    os.chown(hook.fallback.parent, 65534, 65534)


def fallback_is_a_symlink(hook: Hook, elsewhere: Path) -> None:
    hook.fallback.parent.mkdir(mode=0o700)
    hook.fallback.symlink_to(elsewhere, target_is_directory=True)


PLANTED = {
    "its folder is a symlink": planted_symlink,
    "its folder is another user's": planted_by_another_user,
    "the spool is a symlink": fallback_is_a_symlink,
}


@pytest.mark.parametrize("plant", sorted(PLANTED))
def test_a_fallback_someone_else_planted_is_never_written(
    hook: Hook, plant: str, tmp_path: Path
) -> None:
    if plant == "its folder is another user's" and os.geteuid() != 0:
        pytest.skip("making a folder another user's needs root (CI runs the tests as root)")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / hook.fallback.name).mkdir()
    spool_unwritable(hook.paths)
    PLANTED[plant](hook, elsewhere)

    done = hook.run(b'{"session_id":"s","hook_event_name":"Stop"}')

    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    assert sorted(p.name for p in elsewhere.rglob("*")) == [hook.fallback.name]
    if plant == "its folder is another user's":
        assert list(hook.fallback.parent.iterdir()) == [], "nothing made in another's folder"
    assert hook.rings() == []


def can_mount_tmpfs(where: Path) -> bool:
    done = subprocess.run(
        ["unshare", "-m", "mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.mark.parametrize("shell", SHELLS)
def test_a_full_disk_exits_0_prints_nothing_and_spools_to_the_fallback(
    hook: Hook, shell: str
) -> None:
    """The spool on a full file system (a 16 KiB tmpfs, filled, in a private mount namespace)."""
    if shutil.which("unshare") is None or not can_mount_tmpfs(hook.paths.spool):
        pytest.skip("needs `unshare -m` and mount (root, as in CI) to make a full file system")
    payload = compact({"session_id": "s", "hook_event_name": "Stop", "pad": "x" * 50_000})
    # Inside the namespace: mount, fill, run the hook, then list what the hook left there.
    inner = (
        'mount -t tmpfs -o size=16k tmpfs "$1" && { head -c 65536 /dev/zero > "$1/fill"; } '
        '2>/dev/null; "$2" -c "$3"; rc=$?; ls "$1" > "$4"; exit $rc'
    )
    listing = hook.paths.root / "listing"
    wrapper = ["unshare", "-m", "sh", "-c", inner, "_", str(hook.paths.spool)]
    done = subprocess.run(
        [*wrapper, shell_path(shell), command_for(hook.paths.hook_script, "Stop"), str(listing)],
        input=payload,
        capture_output=True,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
        timeout=30,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    assert listing.read_text().split() == ["fill"]
    # The event went to the fallback spool, on another file system, whole.
    [record] = hook.records(hook.fallback)
    assert record.body == payload


def capped(hook: Hook, cap_mb: int = 1) -> None:
    """Rewrite the hook's script with a small cap, checked on every record while the spool
    holds fewer than 64 (the installed script checks at least one record in 16)."""
    port = script_port(hook.paths.hook_script)
    assert port is not None
    text = render_script(hook.paths, port, find_bash(), cap_mb=cap_mb, every_min=1)
    hook.paths.hook_script.write_text(text)


def spool_bytes(hook: Hook, spool: Path | None = None) -> int:
    return sum(len(r.body) + RECORD_OVERHEAD for r in hook.records(spool))


def settled(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Wait until condition holds twice 0.2 s apart: the cap check runs in the background."""
    deadline = time.monotonic() + timeout
    held = 0
    while held < 2:
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        held = held + 1 if condition() else 0
        time.sleep(0.2)


def dropped(paths: DataPaths, spool: Path | None = None) -> int:
    """The counts the cap checks left for the app (a file each) in a spool (the main one)."""
    folder = spool or paths.spool
    assert not (folder / DROPPED_FILE).exists()  # this release's script never appends
    return sum(int(p.read_text()) for p in folder.glob(f"{DROPPED_PREFIX}*"))


@pytest.mark.parametrize("where", ["spool", "fallback"])
@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_a_full_spool_keeps_the_newest_and_counts_what_it_dropped(
    hook: Hook, shell: str, where: str
) -> None:
    """The cap holds in the fallback spool too, with its own count of what was dropped."""
    capped(hook, cap_mb=1)
    spool = hook.paths.spool
    if where == "fallback":
        spool_unwritable(hook.paths)
        spool = hook.fallback
    pad = "x" * 100_000
    payloads = [
        compact({"session_id": "s", "hook_event_name": "PostToolUse", "n": n, "pad": pad})
        for n in range(30)
    ]
    for payload in payloads:
        done = hook.run(payload, "PostToolUse", shell_path(shell))
        assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")

    settled(
        lambda: (
            len(hook.records(spool)) + dropped(hook.paths, spool) == 30
            and spool_bytes(hook, spool) <= 1024 * 1024
        ),
        "the cap checks",
    )
    kept = [json.loads(r.body)["n"] for r in hook.records(spool)]
    # The newest records, in order, as many as fit in 1 MiB (about 100 KB each).
    assert kept == list(range(30 - len(kept), 30)) and 8 <= len(kept) <= 10
    assert spool_bytes(hook, spool) <= 1024 * 1024
    assert dropped(hook.paths, spool) == 30 - len(kept)
    assert len(hook.rings()) == 30  # every record rang (the app, had it been up, had them all)


def test_a_spool_under_the_cap_loses_nothing(hook: Hook) -> None:
    capped(hook, cap_mb=1)
    for n in range(40):
        hook.run(compact({"session_id": "s", "hook_event_name": "Stop", "n": n}))

    assert [json.loads(r.body)["n"] for r in hook.records()] == list(range(40))
    assert dropped(hook.paths) == 0


def test_records_of_other_names_never_break_the_cap_check(hook: Hook) -> None:
    """Names the script did not write (an older release's `stamp-pid`, a stray file) are
    left out of the sum: a bad arithmetic expression would end bash with status 1."""
    capped(hook, cap_mb=1)
    for name in ("1795000000.1-42.rec", "notes.rec", "1.0-1-007.rec", "1.0-1-x.rec"):
        (hook.paths.spool / name).write_text("not a record")
    (hook.paths.spool / EVERY_FILE).write_text("00\n")

    done = hook.run(compact({"session_id": "s", "hook_event_name": "Stop", "pad": "y" * 2000}))

    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    every = hook.paths.spool / EVERY_FILE
    settled(lambda: every.read_text() == "1\n", "the cap check")
    names = sorted(p.name for p in hook.paths.spool.iterdir())
    assert "notes.rec" in names and "1795000000.1-42.rec" in names


def test_the_app_counts_every_dropped_record_once_while_cap_checks_write(
    hook: Hook, ingest: EventIngest
) -> None:
    """Hooks at the cap (each runs a cap check in the background) while the app takes the
    dropped count over and over: the counts it takes add up to exactly what was dropped."""
    capped(hook, cap_mb=1)
    drain = SpoolDrain(hook.paths.spool, ingest, cap_mb=1)
    # What an earlier release's hook appended to its one file is counted too.
    (hook.paths.spool / DROPPED_FILE).write_text("3\n2\n")
    pad = "x" * 40_000
    payloads = [
        compact({"session_id": "s", "hook_event_name": "PostToolUse", "n": n, "pad": pad})
        for n in range(240)
    ]
    taking = threading.Event()
    taking.set()

    def take_all_the_time() -> None:
        while taking.is_set():
            drain.take_dropped()

    taker = threading.Thread(target=take_all_the_time)
    taker.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            done = list(pool.map(lambda p: hook.run(p, "PostToolUse", "bash"), payloads))
    finally:
        taking.clear()
        taker.join()
    assert all((d.returncode, d.stdout, d.stderr) == (0, b"", b"") for d in done)

    def counted() -> bool:
        drain.take_dropped()
        return len(hook.records()) + drain.dropped == len(payloads) + 5

    try:
        settled(counted, "every dropped record counted", timeout=30)
    finally:
        print(f"kept {len(hook.records())}, counted as dropped {drain.dropped}")
    assert drain.dropped >= len(payloads) - 30  # the cap (1 MiB of 40 KB records) held
    assert dropped(hook.paths) == 0  # nothing left to count, the old file gone too
