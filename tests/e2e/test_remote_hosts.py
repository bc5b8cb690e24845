"""Remote hosts end to end: a real sshd in its own network namespace as the second host, the
real app on both.

The "remote" has its own network namespace (only `lo`), HOME, tmux server, data dir and
headless app; the desktop reaches it only through the system ssh client, with the ssh config
the test writes (tests/support/ssh_host.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest
from PySide6.QtWidgets import QApplication

from desktop.app import CoreApp
from desktop.core.remote.hosts import HostConfig, load_hosts
from desktop.core.remote.link import RemoteHosts
from desktop.core.remote.protocol import PROTOCOL
from desktop.core.remote.routing import RoutedActions
from desktop.core.remote.ssh import control_dir
from desktop.store.db import Database
from desktop.ui.bridge import CoreBridge
from desktop.ui.shell import DesktopShell, core_problems
from tests.support.app_process import REPO, AppProcess, free_port
from tests.support.claude_session import start_claude, type_prompt
from tests.support.fake_anthropic import FakeAnthropic, typed_text
from tests.support.install import install_hooks
from tests.support.private_tmux import PrivateTmux
from tests.support.ssh_host import SshHost, keygen, why_no_sshd
from tests.ui.conftest import OFFSCREEN_NOISE
from tests.ui.fakes import FakeTrayIcon, RecordingNotifications
from tests.ui.test_app_loop import core_on, run_on_qasync
from tests.ui.test_grid_groups import layout

pytestmark = pytest.mark.e2e

HOST = "devbox"
# A wait that includes an ssh connection and the remote claude-rpg starting: generous, since
# the suite may run on a loaded machine (a wait ends as soon as the condition holds).
LINK_WAIT = 60.0
INPUT_BOX = re.compile(r"^❯", re.M)


@pytest.fixture
def ssh_host(tmp_path: Path) -> Iterator[SshHost]:
    reason = why_no_sshd()
    if reason is not None:
        pytest.skip(reason)
    host = SshHost(tmp_path / "remote").start()
    yield host
    host.close()


@pytest.fixture
def remote_tmux(ssh_host: SshHost) -> Iterator[PrivateTmux]:
    """The remote host's tmux server, in its namespace: its panes' claude runs there."""
    tmux = ssh_host.tmux()
    try:
        yield tmux.start()
    finally:
        tmux.kill()


@pytest.fixture
def remote_app(ssh_host: SshHost, remote_tmux: PrivateTmux) -> Iterator[AppProcess]:
    """The remote host's own headless app, in its namespace: its data dir lives in the remote
    HOME."""
    proc = ssh_host.app(ssh_host.home / "claude-rpg-data", remote_tmux)
    yield proc.start()
    proc.stop()


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`claude-rpg` as a person runs it, options after the subcommand."""
    words = list(args)
    at = 2 if words[0] == "hosts" else 1
    words[at:at] = ["--data-dir", str(data_dir)]
    return subprocess.run(
        [sys.executable, "-m", "desktop", *words],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def add_host(desk_data: Path, ssh_host: SshHost, remote: AppProcess) -> None:
    remote_command = (
        f"claude-rpg --data-dir {remote.data_dir} --port {remote.port} "
        f"--tmux-socket {remote.tmux_socket}"
    )
    done = cli(
        desk_data, "hosts", "add", HOST, ssh_host.alias,
        "--ssh-config", str(ssh_host.ssh_config), "--remote-command", remote_command,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.fixture
def desktop(
    tmp_path: Path, tmux_server: PrivateTmux, ssh_host: SshHost, remote_app: AppProcess
) -> Iterator[AppProcess]:
    data = tmp_path / "desk-data"
    add_host(data, ssh_host, remote_app)
    proc = AppProcess(data, tmux_socket=tmux_server.socket_path)
    yield proc.start()
    proc.stop()


def stored_remote_ids(data_dir: Path, host: str) -> list[int]:
    """The remote event ids the desktop stored for host, in the order it stored them."""
    with sqlite3.connect(data_dir / "claude-rpg.sqlite3") as conn:
        rows = conn.execute(
            "SELECT remote_id FROM remote_event WHERE host = ? ORDER BY id", (host,)
        ).fetchall()
    conn.close()
    return [r[0] for r in rows]


def remote_event_ids(data_dir: Path) -> list[int]:
    with sqlite3.connect(data_dir / "claude-rpg.sqlite3") as conn:
        rows = conn.execute("SELECT id FROM hook_event ORDER BY id").fetchall()
    conn.close()
    return [r[0] for r in rows]


def close_master(data_dir: Path, ssh_host: SshHost) -> None:
    """End the multiplexed connection the app keeps (ControlPersist), as after a reboot."""
    control = f"ControlPath={control_dir(data_dir)}/%C"
    subprocess.run(
        ["ssh", "-F", str(ssh_host.ssh_config), "-o", control, "-O", "exit", ssh_host.alias],
        capture_output=True,
        timeout=30,
        check=False,
    )


def remote_persona_rows(data_dir: Path) -> list[tuple[int, str, str, int, int]]:
    """The desktop's stored remote personas: its row id, host, session id, remote id, XP."""
    with sqlite3.connect(data_dir / "claude-rpg.sqlite3") as conn:
        rows = conn.execute(
            "SELECT id, host, session_id, remote_id, xp FROM remote_persona ORDER BY id"
        ).fetchall()
    conn.close()
    return rows


def mirrored_xp(desktop: AppProcess, remote: AppProcess, sid: str, above: int = 0) -> int:
    """Wait until the remote's own API gives the persona of `sid` more than `above` XP and
    the desktop shows it with the same XP; answer that XP."""
    deadline = time.monotonic() + LINK_WAIT
    there = here = None
    while time.monotonic() < deadline:
        there = next((p["xp"] for p in remote.get("/api/personas") if p["session_id"] == sid), None)
        here = next(
            (p["xp"] for p in desktop.get("/api/personas")
             if p["session_id"] == sid and p["host"] == HOST),
            None,
        )  # fmt: skip
        if there is not None and there > above and here == there:
            return int(there)
        time.sleep(0.2)
    raise AssertionError(f"the desktop shows XP {here}, the remote {there}")


def host_json(desktop: AppProcess) -> dict[str, Any]:
    [entry] = [h for h in desktop.get("/api/hosts") if h["name"] == HOST]
    return entry


def test_every_remote_event_arrives_once_in_order_across_link_drops_and_a_restart(
    desktop: AppProcess, remote_app: AppProcess, ssh_host: SshHost
) -> None:
    desktop.wait_for("/api/hosts", lambda hosts: hosts and hosts[0]["connected"], LINK_WAIT)
    sent = 0
    drops = 0

    def post(count: int) -> None:
        nonlocal sent
        for _ in range(count):
            remote_app.post_event(
                {"session_id": f"remote-{sent % 7}", "hook_event_name": "Notification"}
            )
            sent += 1

    # 500 events on the remote; the link is cut four times while they are being stored.
    for _ in range(4):
        post(60)
        connects = host_json(desktop)["connects"]
        drops += ssh_host.drop_connections()
        post(60)
        desktop.wait_for(
            "/api/hosts", lambda hosts, n=connects: hosts[0]["connects"] > n, LINK_WAIT
        )
    post(20)
    assert drops >= 4, f"the test meant to cut the link but found {drops} connections"
    remote_ids = remote_event_ids(remote_app.data_dir)
    assert len(remote_ids) == 500

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(stored_remote_ids(desktop.data_dir, HOST)) < 500:
        time.sleep(0.2)
    assert stored_remote_ids(desktop.data_dir, HOST) == remote_ids
    assert host_json(desktop)["connects"] >= 5  # the first, and one after each cut

    # The desktop down while the remote keeps storing: a restart catches up, once.
    desktop.stop()
    post(50)
    desktop.start()
    remote_ids = remote_event_ids(remote_app.data_dir)
    assert len(remote_ids) == 550
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(stored_remote_ids(desktop.data_dir, HOST)) < 550:
        time.sleep(0.2)
    time.sleep(1.0)  # a second copy would come in the next feed poll: give it the chance
    assert stored_remote_ids(desktop.data_dir, HOST) == remote_ids

    # The host goes away for good: the desktop says so, in words, and keeps serving.
    ssh_host.kill()
    hosts = desktop.wait_for(
        "/api/hosts",
        lambda hosts: hosts[0]["status"].startswith("host unreachable since "),
        LINK_WAIT,
    )
    # First the lost link, then each retry finds nothing listening.
    hosts = desktop.wait_for(
        "/api/hosts",
        lambda hosts: "does not answer ssh" in (hosts[0]["problem"] or ""),
        LINK_WAIT,
    )
    assert hosts[0]["status"].startswith("host unreachable since ")
    assert hosts[0]["connected"] is False
    assert desktop.get("/api/health")["version"]


def stored_with_stores(data_dir: Path, host: str) -> list[tuple[str, int]]:
    """(store, remote id) of each remote event the desktop stored for host, in stored order."""
    with contextlib.closing(sqlite3.connect(data_dir / "claude-rpg.sqlite3")) as conn:
        rows = conn.execute(
            "SELECT store, remote_id FROM remote_event WHERE host = ? ORDER BY id", (host,)
        ).fetchall()
    return [(r[0], r[1]) for r in rows]


def store_id(data_dir: Path) -> str:
    with contextlib.closing(sqlite3.connect(data_dir / "claude-rpg.sqlite3")) as conn:
        return str(conn.execute("SELECT value FROM store_meta").fetchone()[0])


def test_a_remote_whose_database_is_made_anew_is_read_again_from_its_start(
    desktop: AppProcess, remote_app: AppProcess
) -> None:
    desktop.wait_for("/api/hosts", lambda hosts: hosts and hosts[0]["connected"], LINK_WAIT)

    def post(count: int) -> None:
        for n in range(count):
            remote_app.post_event({"session_id": f"remote-{n % 3}", "hook_event_name": "Stop"})

    def stored_when(count: int) -> list[tuple[str, int]]:
        deadline = time.monotonic() + LINK_WAIT
        while (
            time.monotonic() < deadline and len(stored_with_stores(desktop.data_dir, HOST)) < count
        ):
            time.sleep(0.2)
        time.sleep(1.0)  # a second copy would come in the next feed poll: give it the chance
        return stored_with_stores(desktop.data_dir, HOST)

    post(30)
    first = store_id(remote_app.data_dir)
    assert remote_event_ids(remote_app.data_dir) == list(range(1, 31))
    assert stored_when(30) == [(first, n) for n in range(1, 31)]

    # The remote's database is deleted while its app is stopped; the app makes a new one,
    # whose event ids start at 1 again, below the desktop's cursor of 30.
    remote_app.stop()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{remote_app.data_dir / 'claude-rpg.sqlite3'}{suffix}").unlink(missing_ok=True)
    remote_app.start()
    post(20)
    second = store_id(remote_app.data_dir)
    assert second != first
    assert remote_event_ids(remote_app.data_dir) == list(range(1, 21))
    assert stored_when(50) == [(first, n) for n in range(1, 31)] + [
        (second, n) for n in range(1, 21)
    ]
    desktop.wait_for("/api/hosts", lambda hosts: hosts[0]["connected"], LINK_WAIT)

    # A desktop restart goes on in the new store: nothing again, the next events once.
    desktop.restart()
    post(5)
    assert stored_when(55)[50:] == [(second, n) for n in range(21, 26)]


def test_a_remote_claude_pane_shows_with_its_host_and_keeps_its_persona_across_restarts(
    desktop: AppProcess,
    remote_app: AppProcess,
    remote_tmux: PrivateTmux,
    tmux_server: PrivateTmux,
    fake_api: FakeAnthropic,
    ssh_host: SshHost,
) -> None:
    ssh_host.forward_out_of(fake_api.port)  # the host's route to "the API"
    home = ssh_host.home
    install_hooks(home, remote_app.data_dir, remote_app.port)
    sid = str(uuid.uuid4())
    project = ssh_host.root / "project"
    # With the hooks installed, the status line takes the footer's place: wait for the box.
    pane = start_claude(
        remote_tmux, fake_api, home, project, args=["--session-id", sid], ready=INPUT_BOX
    )

    def remote_pane(panes: list[dict[str, Any]]) -> dict[str, Any] | None:
        return next((p for p in panes if p.get("host") == HOST and p["pane_id"] == pane), None)

    found = desktop.wait_for("/api/panes", lambda panes: remote_pane(panes) is not None, LINK_WAIT)
    entry = remote_pane(found)
    assert entry is not None and entry["cwd"] == str(project)
    # Nothing of the remote pane leaks into the local panes.
    assert all(p["host"] == "local" for p in found if p is not entry)

    type_prompt(remote_tmux, pane, "hello from afar")
    panes = desktop.wait_for(
        "/api/panes",
        lambda ps: (p := remote_pane(ps)) is not None and p["persona"] is not None,
        LINK_WAIT,
    )
    persona = remote_pane(panes)["persona"]  # type: ignore[index]
    assert persona["session_id"] == sid
    # The remote's persona with the XP the remote gave it, in the desktop's own store keyed
    # by (host, session id); the desktop awards it nothing itself.
    xp = mirrored_xp(desktop, remote_app, sid)  # a finished turn pays XP there
    mirrored = remote_persona_rows(desktop.data_dir)
    assert mirrored == [(mirrored[0][0], HOST, sid, persona["id"], xp)]

    # A session of this machine that carries the very same id (its hook sends it here): a
    # second persona, local, with only its own XP.
    desktop.post_event({"session_id": sid, "hook_event_name": "UserPromptSubmit", "prompt": "x"})
    desktop.post_event({"session_id": sid, "hook_event_name": "Stop"})
    personas = [p for p in desktop.get("/api/personas") if p["session_id"] == sid]
    assert sorted(p["host"] for p in personas) == [HOST, "local"]
    [far] = [p for p in personas if p["host"] == HOST]
    [near] = [p for p in personas if p["host"] == "local"]
    assert (far["id"], far["xp"]) == (persona["id"], xp)
    with sqlite3.connect(desktop.data_dir / "claude-rpg.sqlite3") as conn:
        local = conn.execute("SELECT id, xp FROM persona WHERE session_id = ?", (sid,)).fetchall()
    conn.close()
    assert local == [(near["id"], near["xp"])]
    assert remote_persona_rows(desktop.data_dir) == mirrored  # the local events moved nothing
    board = desktop.get("/api/leaderboard")
    assert {(e["host"], e["session_id"], e["xp"]) for e in board} == {
        (HOST, sid, xp),
        ("local", sid, near["xp"]),
    }
    page = desktop.get(f"/api/personas/{far['id']}?host={HOST}")
    assert (page["xp"], page["level"], page["kept_on"]) == (xp, far["level"], HOST)
    assert desktop.get(f"/api/personas/{near['id']}")["xp"] == near["xp"]
    with pytest.raises(urllib.error.HTTPError) as kept:
        desktop.get(f"/api/personas/{far['id']}/xp?host={HOST}")
    assert kept.value.code == 404 and "on that host" in kept.value.read().decode()
    before_restart = sorted((p["host"], p["id"], p["session_id"]) for p in personas)

    desktop.restart()
    panes = desktop.wait_for(
        "/api/panes",
        lambda ps: (p := remote_pane(ps)) is not None and p["persona"] is not None,
        LINK_WAIT,
    )
    entry = remote_pane(panes)
    assert entry is not None and entry["persona"]["id"] == persona["id"]
    desktop.wait_for("/api/panes", lambda ps: remote_pane(ps)["status"] == "idle")  # type: ignore[index]
    # The same personas, by the same ids, after the restart; the stored row is the same one.
    after = [p for p in desktop.get("/api/personas") if p["session_id"] == sid]
    assert sorted((p["host"], p["id"], p["session_id"]) for p in after) == before_restart
    assert remote_persona_rows(desktop.data_dir) == mirrored

    # Actions, from the desktop over ssh. A prompt lands literally, shell characters and all.
    text = '-n it\'s "quoted"; $HOME `x` \\ done'
    data = desktop.data_dir
    claude_pid = str(entry["claude_pid"])
    sent = cli(data, "hosts", "act", HOST, "send", pane, "--claude-pid", claude_pid, "--text", text)
    assert sent.returncode == 0, sent.stderr
    remote_tmux.wait_for(pane, r"(?s)(● hello.*){2}.*❯")
    assert [typed_text(r.body) for r in fake_api.messages("text")][-1] == text

    # The same through what the cards call (RoutedActions), with the desktop's view of the pane.
    remote = RemoteHosts(
        load_hosts(data), Database(ssh_host.root / "routed.sqlite3"), control_dir(data)
    )
    remote.links[0]._handle({"type": "hello", "protocol": PROTOCOL, "version": "test"})
    seen = [p for p in desktop.get("/api/panes") if p["host"] == HOST]
    remote.links[0]._handle({"type": "panes", "panes": seen})
    asyncio.run(RoutedActions(None, remote).send_prompt(f"{HOST}:{pane}", "from a card"))  # type: ignore[arg-type]
    remote_tmux.wait_for(pane, r"(?s)(● hello.*){3}.*❯")
    assert [typed_text(r.body) for r in fake_api.messages("text")][-1] == "from a card"

    # A card that shows another claude process than the pane runs: refused, nothing typed.
    before = len(fake_api.messages("text"))
    refused = cli(data, "hosts", "act", HOST, "send", pane, "--claude-pid", "1", "--text", "not me")
    assert refused.returncode == 1 and "another Claude than the card shows" in refused.stderr
    assert "not me" not in remote_tmux.capture(pane)

    preview = cli(data, "hosts", "act", HOST, "preview", pane)
    assert preview.returncode == 0 and "quoted" in preview.stdout

    jump = cli(data, "hosts", "act", HOST, "jump", pane)
    assert jump.returncode == 0
    assert jump.stdout.startswith(f"ssh -F {ssh_host.ssh_config} -t {ssh_host.alias} ")
    assert f"select-pane -t {pane}" in jump.stdout
    assert len(fake_api.messages("text")) == before

    # The prompts sent over ssh earned the remote persona more XP there: the desktop follows.
    mirrored_xp(desktop, remote_app, sid, above=xp)


def test_a_running_app_follows_hosts_add_and_remove_from_the_cli(
    tmp_path: Path,
    tmux_server: PrivateTmux,
    ssh_host: SshHost,
    remote_app: AppProcess,
    remote_tmux: PrivateTmux,
    fake_api: FakeAnthropic,
) -> None:
    ssh_host.forward_out_of(fake_api.port)  # the host's route to "the API"
    pane = start_claude(remote_tmux, fake_api, ssh_host.home, ssh_host.root / "project")
    desktop = AppProcess(tmp_path / "desk-data", tmux_socket=tmux_server.socket_path).start()
    try:
        assert desktop.get("/api/hosts") == []
        add_host(desktop.data_dir, ssh_host, remote_app)  # the app is running: no restart
        desktop.wait_for(
            "/api/panes",
            lambda panes: any(p["host"] == HOST and p["pane_id"] == pane for p in panes),
            LINK_WAIT,
        )
        assert [h["name"] for h in desktop.get("/api/hosts")] == [HOST]
        assert cli(desktop.data_dir, "hosts", "remove", HOST).returncode == 0
        desktop.wait_for("/api/hosts", lambda hosts: hosts == [], LINK_WAIT)
        assert all(p["host"] == "local" for p in desktop.get("/api/panes"))
    finally:
        desktop.stop()


def test_hosts_cli_adds_lists_and_removes_and_says_what_is_wrong(
    tmp_path: Path, ssh_host: SshHost, remote_app: AppProcess
) -> None:
    data = tmp_path / "cli-data"
    add_host(data, ssh_host, remote_app)
    listed = cli(data, "hosts", "list", "--json")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["reachable"] is True and row["name"] == HOST and row["panes"] == 0
    assert row["problem"] is None

    # doctor checks each host: reachable, version, its app, its hooks.
    doctor = cli(data, "doctor", "--port", str(free_port()))
    assert f"ok    hosts     {HOST} ({ssh_host.alias}): claude-rpg " in doctor.stdout
    assert f"FAIL  hosts     {HOST}: the claude-rpg hooks are missing there" in doctor.stdout
    install_hooks(ssh_host.home, remote_app.data_dir, remote_app.port)
    doctor = cli(data, "doctor", "--port", str(free_port()))
    assert f"ok    hosts     {HOST} (" in doctor.stdout
    assert "hooks are missing there" not in doctor.stdout and "Traceback" not in doctor.stderr

    again = cli(data, "hosts", "add", HOST, ssh_host.alias)
    assert again.returncode == 2 and "exists" in again.stderr
    bad = cli(data, "hosts", "add", "x y", "box")
    assert bad.returncode == 2 and "not a usable host name" in bad.stderr
    # A target that ssh would read as an option is refused.
    bad = cli(data, "hosts", "add", "ok", "--", "-oProxyCommand=evil")
    assert bad.returncode == 2 and "is not an ssh target" in bad.stderr

    # Authentication failure: a key sshd does not know.
    close_master(data, ssh_host)
    ssh_host.write_ssh_config(identity=keygen(tmp_path / "stranger"))
    listed = cli(data, "hosts", "list")
    assert listed.returncode == 1
    assert "authentication failed" in listed.stdout and "Traceback" not in listed.stderr

    # The host key changed.
    other = keygen(tmp_path / "other_host_key").with_suffix(".pub").read_text().split()
    changed = tmp_path / "known_hosts_changed"
    changed.write_text(f"[127.0.0.1]:{ssh_host.port} {other[0]} {other[1]}\n")
    ssh_host.write_ssh_config(known_hosts=changed)
    listed = cli(data, "hosts", "list")
    assert listed.returncode == 1 and "host key" in listed.stdout and "changed" in listed.stdout

    # claude-rpg missing on the remote.
    ssh_host.write_ssh_config()
    assert cli(data, "hosts", "remove", HOST).returncode == 0
    done = cli(
        data, "hosts", "add", "bare", ssh_host.alias, "--ssh-config", str(ssh_host.ssh_config),
        "--remote-command", "/nonexistent/claude-rpg",
    )  # fmt: skip
    assert done.returncode == 0
    listed = cli(data, "hosts", "list")
    assert listed.returncode == 1 and "claude-rpg is not installed" in listed.stdout
    assert cli(data, "hosts", "remove", "nope").returncode == 2


def test_a_feed_line_cut_off_by_the_link_stores_nothing_and_is_no_protocol_fault(
    tmp_path: Path, ssh_host: SshHost
) -> None:
    # The remote "claude-rpg" here writes a hello and half an events line, then the link ends.
    feed = ssh_host.root / "half_feed.py"
    feed.write_text(
        "import sys\n"
        f'sys.stdout.write(\'{{"type":"hello","protocol":{PROTOCOL},"version":"t"}}\\n\')\n'
        'sys.stdout.write(\'{"type":"events","events":[{"id":1\')\n'
    )
    host = HostConfig(HOST, ssh_host.alias, f"python3 {feed}", str(ssh_host.ssh_config))
    remote = RemoteHosts([host], Database(tmp_path / "desk.sqlite3"), control_dir(tmp_path))
    link = remote.links[0]
    problem = asyncio.run(link._one_link()).sentence
    assert link.state.connected and link.state.events_stored == 0
    assert "does not read" not in problem and "the link to" in problem, problem


@pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)
def test_each_host_fault_shows_on_its_heading_in_the_window_the_tray_and_hosts_list(
    qapp: QApplication, tmp_path: Path, tmux_server: PrivateTmux, ssh_host: SshHost
) -> None:
    data = tmp_path / "desk-data"
    base = ssh_host.ssh_config.read_text()

    def ssh_config(name: str, text: str) -> str:
        path = ssh_host.root / f"ssh_config_{name}"
        path.write_text(text)
        return str(path)

    other = keygen(tmp_path / "other_host_key").with_suffix(".pub").read_text().split()
    changed = tmp_path / "known_hosts_changed"
    changed.write_text(f"[127.0.0.1]:{ssh_host.port} {other[0]} {other[1]}\n")
    stranger = keygen(tmp_path / "stranger")
    by_name = tmp_path / "known_hosts_localhost"
    by_name.write_text(ssh_host.known_hosts.read_text().replace("[127.0.0.1]:", "[localhost]:", 1))
    # A 70-letter label is no DNS name: the resolver fails at once, sending nothing anywhere.
    nowhere = "x" * 70 + ".example"
    faults = {
        # The host's key is not the one known_hosts holds.
        "keychanged": (ssh_host.alias, base.replace(str(ssh_host.known_hosts), str(changed))),
        # sshd does not know the key the client offers.
        "noauth": (ssh_host.alias, base.replace(str(ssh_host.client_key), str(stranger))),
        # claude-rpg is not on the PATH there. This host logs in, and its multiplexed
        # connection would serve the two above (ControlPath %C hashes the address, port and
        # user): it reaches the same sshd under another name, as another machine would be.
        "bare": (
            ssh_host.alias,
            base.replace("HostName 127.0.0.1", "HostName localhost\n  AddressFamily inet").replace(
                str(ssh_host.known_hosts), str(by_name)
            ),
        ),
        "nowhere": (nowhere, base),
    }
    for name, (target, text) in faults.items():
        command = "env PATH=/usr/bin:/bin claude-rpg" if name == "bare" else "claude-rpg"
        done = cli(
            data, "hosts", "add", name, target,
            "--ssh-config", ssh_config(name, text), "--remote-command", command,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    words = {
        "bare": "claude-rpg not installed there",
        "keychanged": "host key changed",
        "noauth": "authentication failed",
        "nowhere": "unknown host",
    }
    sentences = {
        "bare": "claude-rpg is not installed on",
        "keychanged": "changed since you last connected",
        "noauth": "(authentication failed)",
        "nowhere": f"unknown host {nowhere!r}",
    }

    listed = cli(data, "hosts", "list")
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
    for name in faults:
        [at] = [i for i, line in enumerate(listed.stdout.splitlines()) if line.startswith(name)]
        assert "unreachable" in listed.stdout.splitlines()[at]
        assert sentences[name] in listed.stdout.splitlines()[at + 1], listed.stdout

    core = core_on(tmux_server, data)
    shot = tmp_path / "window-host-faults.png"

    async def scenario() -> None:
        bridge = CoreBridge(
            core.registry,
            core.ingest,
            core_problems(core),
            remote_registry=core.remote.registry,
            remote_hosts=core.remote,
        )
        tray = FakeTrayIcon()
        shell = DesktopShell(bridge, tray, [RecordingNotifications()])
        await core.start()
        try:
            shell.start()
            deadline = time.monotonic() + LINK_WAIT
            while time.monotonic() < deadline and not all(h.words for h in bridge.hosts()):
                await asyncio.sleep(0.1)
            grid = shell.window.grid
            assert layout(shell.window) == [
                line
                for name in sorted(faults)
                for line in (f"# on {name} — {words[name]}", f"- {core_sentence(core, name)}")
            ]
            for name in faults:
                assert sentences[name] in core_sentence(core, name)
                assert "Traceback" not in core_sentence(core, name)
            assert grid.stack.currentWidget() is grid.scroll_area
            assert [h.toolTip() for h in sorted(grid.headers.values(), key=lambda h: h.text())] == [
                core_sentence(core, n) for n in sorted(faults)
            ]
            assert shell.tray is not None
            shell.tray.menu.aboutToShow.emit()
            sections = [a.text() for a in shell.tray.menu.actions() if a.isSeparator() and a.text()]
            assert sections == [f"on {n} — {words[n]}" for n in sorted(faults)]
            # The local side goes on: the listener answers.
            health = await asyncio.to_thread(
                lambda: json.loads(urlopen(f"{core.listener.url}/api/health", timeout=5).read())
            )
            assert health["status"] == "ok"
            shell.window.resize(900, 520)
            shell.window.grab().save(str(shot))
        finally:
            shell.close()
            await core.stop()

    run_on_qasync(qapp, scenario())
    assert shot.stat().st_size > 0


def core_sentence(core: CoreApp, host: str) -> str:
    [state] = [s for s in core.remote.states() if s.name == host]
    return state.problem or ""


def test_why_ssh_failed_is_read_to_its_end_every_time(tmp_path: Path) -> None:
    # ssh fails at once here (no DNS name has a 70-letter label: nothing is sent anywhere);
    # its stderr and stdout end together. Read before stderr had arrived, the reason was
    # lost and the host read as "connection lost"; every attempt must name the fault.
    if shutil.which("ssh") is None:
        pytest.skip("ssh is missing: install openssh-client (.ci/run does)")
    host = HostConfig("nowhere", "x" * 70 + ".example", ssh_config="/dev/null")
    link = RemoteHosts([host], Database(tmp_path / "desk.sqlite3"), control_dir(tmp_path)).links[0]
    for _ in range(8):
        fault = asyncio.run(link._one_link())
        assert fault.words == "unknown host", fault.sentence
