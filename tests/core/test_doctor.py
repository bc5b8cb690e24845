"""`claude-rpg doctor`: every problem is detected with real tools, files, ports and servers."""

from __future__ import annotations

import http.server
import json
import shlex
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.__main__ import main
from desktop.core.hooks.command import command_for, write_script
from desktop.core.hooks.fallback import fallback_spool
from desktop.core.hooks.installer import HOOK_EVENTS, install
from desktop.core.usage import statusline
from desktop.doctor import (
    TESTED_CLAUDE_VERSION,
    DoctorTarget,
    Level,
    check_claude,
    check_config,
    check_data_dir,
    check_fallback_spool,
    check_hooks,
    check_listener,
    check_tmux,
    parse_version,
)
from desktop.paths import DataPaths
from desktop.store.db import Database
from tests.support.app_process import AppProcess, free_port
from tests.support.claude_cli import OFFLINE_VARS, claude_bin


@pytest.fixture
def paths(tmp_path: Path) -> DataPaths:
    return DataPaths(tmp_path / "data")


@pytest.fixture
def target(paths: DataPaths, isolated_dirs: Path) -> DoctorTarget:
    return DoctorTarget(paths, free_port(), claude_settings=isolated_dirs / "claude/settings.json")


@pytest.fixture
def tmux_server(tmp_path: Path) -> Iterator[str]:
    sock = str(tmp_path / "tmux.sock")
    subprocess.run(["tmux", "-S", sock, "-f", "/dev/null", "new-session", "-d"], check=True)
    yield sock
    subprocess.run(["tmux", "-S", sock, "kill-server"], check=False)


def path_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tools: dict[str, str]) -> None:
    """PATH holds only the given tools (name -> real executable) plus what Python needs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, real in tools.items():
        (bin_dir / name).symlink_to(real)
    monkeypatch.setenv("PATH", str(bin_dir))


def install_hooks(target: DoctorTarget, port: int | None = None, events=HOOK_EVENTS) -> None:
    script = write_script(target.paths, port or target.port)
    install(target.settings_path, script, events)


# --- tmux --------------------------------------------------------------------------------


def test_tmux_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path_with(tmp_path, monkeypatch, {})
    finding = check_tmux()
    assert finding.level is Level.FAIL
    assert "tmux is not installed" in finding.message and "apt install tmux" in str(finding.fix)


def test_no_tmux_server_running(tmp_path: Path) -> None:
    finding = check_tmux(str(tmp_path / "nobody-listens.sock"))
    assert finding.level is Level.FAIL
    assert "no tmux server is running" in finding.message
    assert "start tmux" in str(finding.fix)


def test_a_running_tmux_server(tmux_server: str) -> None:
    finding = check_tmux(tmux_server)
    assert finding.level is Level.OK
    assert "server running with 1 panes" in finding.message


# --- claude ------------------------------------------------------------------------------


def test_claude_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_dirs: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path_with(tmp_path, monkeypatch, {})
    finding = check_claude()
    assert finding.level is Level.FAIL
    assert "not found on PATH" in finding.message and "claude --version" in str(finding.fix)


def test_the_real_claude_cli_and_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Run it as the tests always do: throwaway HOME, every offline variable, loopback only.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{free_port()}")
    for key, value in OFFLINE_VARS.items():
        monkeypatch.setenv(key, value)
    path_with(tmp_path, monkeypatch, {"claude": str(claude_bin())})
    finding = check_claude()
    assert finding.level is Level.OK, finding
    assert "Claude Code 2.1.197" in finding.message


def test_versions_are_read_and_compared() -> None:
    assert parse_version("2.1.197 (Claude Code)") == (2, 1, 197)
    assert parse_version("claude version 10.0.3-beta") == (10, 0, 3)
    assert parse_version("command not found") is None
    assert (2, 1, 9) < TESTED_CLAUDE_VERSION < (2, 2, 0)


# --- hooks -------------------------------------------------------------------------------


def test_hooks_not_installed(target: DoctorTarget) -> None:
    finding = check_hooks(target)
    assert finding.level is Level.FAIL
    assert "hooks are not installed" in finding.message
    assert f"claude-rpg hooks install --port {target.port}" in str(finding.fix)
    assert str(target.paths.root) in str(finding.fix)


def test_hooks_installed(target: DoctorTarget) -> None:
    install_hooks(target)
    finding = check_hooks(target)
    assert finding.level is Level.OK, finding


def test_hooks_for_only_some_events(target: DoctorTarget) -> None:
    install_hooks(target, events=("Stop", "SessionStart"))
    finding = check_hooks(target)
    assert finding.level is Level.FAIL
    assert "lacks the claude-rpg hook for UserPromptSubmit" in finding.message


def test_hooks_for_another_port(target: DoctorTarget) -> None:
    install_hooks(target, port=target.port + 1)
    finding = check_hooks(target)
    assert finding.level is Level.FAIL
    assert f"port {target.port + 1}, but the app listens on {target.port}" in finding.message


def test_hooks_for_another_data_dir(target: DoctorTarget, tmp_path: Path) -> None:
    other = DoctorTarget(DataPaths(tmp_path / "other"), target.port, None, target.settings_path)
    install_hooks(other)
    finding = check_hooks(target)
    assert finding.level is Level.FAIL
    assert "another data dir" in finding.message


def test_hook_script_deleted(target: DoctorTarget) -> None:
    install_hooks(target)
    target.paths.hook_script.unlink()
    finding = check_hooks(target)
    assert finding.level is Level.FAIL
    assert "hook script" in finding.message and "is missing" in finding.message


def test_a_status_line_of_an_earlier_release_is_reported_until_installed_again(
    target: DoctorTarget,
) -> None:
    script = write_script(target.paths, target.port)
    install(target.settings_path, script, status_line=True)
    assert check_hooks(target).level is Level.OK
    # The snippet as the release before wrote it: a file per status-line run.
    folder = shlex.quote(str(statusline.status_dir(target.paths)))
    settings = json.loads(target.settings_path.read_text())
    settings["statusLine"]["command"] = (
        "t='' ; case ${CLAUDE_CODE_SESSION_ID-} in ''|*[!0-9A-Za-z-]*) s=unknown ;; "
        f"*) s=$CLAUDE_CODE_SESSION_ID ;; esac ; f={folder}/$s.$$.json ; "
        'if { cat > "$f" ; } 2>/dev/null ; then eval "$t" < "$f" ; else eval "$t" ; fi '
        "# claude-rpg-statusline"
    )
    target.settings_path.write_text(json.dumps(settings))
    finding = check_hooks(target)
    assert finding.level is Level.WARN and "status line" in finding.message
    assert "claude-rpg hooks install" in str(finding.fix)
    install(target.settings_path, script)  # what the fix says: the snippet is rewritten
    assert check_hooks(target).level is Level.OK


def test_settings_json_broken(target: DoctorTarget) -> None:
    target.settings_path.parent.mkdir(parents=True)
    target.settings_path.write_text('{"hooks": ')
    finding = check_hooks(target)
    assert finding.level is Level.FAIL
    assert "is not valid JSON" in finding.message and "fix the file" in str(finding.fix)


# --- listener ----------------------------------------------------------------------------


def test_port_free(target: DoctorTarget) -> None:
    finding = check_listener(target)
    assert finding.level is Level.OK
    assert "is free" in finding.message


def test_port_taken_by_another_program(target: DoctorTarget) -> None:
    class NotUs(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", target.port), NotUs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        finding = check_listener(target)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert finding.level is Level.FAIL
    assert f"TCP port {target.port} is in use by another program" in finding.message
    assert "--port N" in str(finding.fix)


def test_udp_port_taken_by_another_program(target: DoctorTarget) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", target.port))
        finding = check_listener(target)
    assert finding.level is Level.FAIL
    assert f"UDP port {target.port} is in use by another program" in finding.message
    assert "hear hook events" in finding.message and "--port N" in str(finding.fix)


def test_port_used_by_this_app_and_by_another_instance(
    target: DoctorTarget, tmp_path: Path
) -> None:
    app = AppProcess(target.paths.root, port=target.port).start()
    try:
        ours = check_listener(target)
        theirs = check_listener(DoctorTarget(DataPaths(tmp_path / "elsewhere"), target.port))
    finally:
        assert app.stop() == 0
    assert ours.level is Level.OK and "is answering" in ours.message
    assert theirs.level is Level.FAIL
    assert f"another claude-rpg (data dir {target.paths.root})" in theirs.message


# --- data dir and settings ---------------------------------------------------------------


def test_data_dir_to_be_created(paths: DataPaths) -> None:
    assert check_data_dir(paths).level is Level.OK
    assert not paths.root.exists()


def test_events_waiting_in_the_fallback_spool_are_named(paths: DataPaths) -> None:
    assert check_fallback_spool(paths) == []
    write_script(paths, free_port())
    paths.spool.rmdir()
    paths.spool.write_text("not a folder: the hook writes to the fallback spool")
    payload = b'{"session_id":"s","hook_event_name":"Stop"}'
    for event in ("Stop", "Notification"):
        done = subprocess.run(
            ["sh", "-c", command_for(paths.hook_script, event)], input=payload, check=False
        )
        assert done.returncode == 0

    [finding] = check_fallback_spool(paths)

    fallback = fallback_spool(paths.root)
    assert finding.level is Level.WARN
    assert finding.message.startswith(f"2 hook events wait in the fallback spool {fallback}")
    assert finding.fix is not None and "start claude-rpg" in finding.fix


def test_data_dir_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    finding = check_data_dir(DataPaths(blocker / "data"))
    assert finding.level is Level.FAIL
    assert "cannot be created" in finding.message and "--data-dir" in str(finding.fix)


def test_data_dir_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    finding = check_data_dir(DataPaths(blocker))
    assert finding.level is Level.FAIL
    assert "is not a writable folder" in finding.message


def test_healthy_and_damaged_database(paths: DataPaths) -> None:
    paths.ensure()
    Database(paths.database).close()
    assert check_data_dir(paths).level is Level.OK
    paths.database.write_bytes(b"this is not sqlite" * 100)
    for suffix in ("-wal", "-shm"):
        paths.database.with_name(paths.database.name + suffix).unlink(missing_ok=True)
    finding = check_data_dir(paths)
    assert finding.level is Level.FAIL
    assert "is damaged" in finding.message and "claude-rpg db repair" in str(finding.fix)


def test_broken_settings_file(isolated_dirs: Path) -> None:
    path = isolated_dirs / "config" / "claude-rpg" / "settings.toml"
    assert check_config().level is Level.OK
    path.parent.mkdir(parents=True)
    path.write_text("[listener]\nport = 99\n")
    finding = check_config()
    assert finding.level is Level.FAIL
    assert "port 99 is outside" in finding.message


# --- the command -------------------------------------------------------------------------


def doctor_argv(target: DoctorTarget, tmux_socket: str) -> list[str]:
    return [
        "doctor",
        "--port",
        str(target.port),
        "--data-dir",
        str(target.paths.root),
        "--tmux-socket",
        tmux_socket,
        "--settings",
        str(target.settings_path),
    ]


def test_doctor_exits_non_zero_and_prints_each_fix(
    target: DoctorTarget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(doctor_argv(target, str(tmp_path / "no-server.sock")))
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  tmux" in out and "FAIL  hooks" in out
    assert out.count("fix: ") >= 2
    assert "problems; fix them and run `claude-rpg doctor` again." in out


def test_doctor_exits_zero_when_all_is_well(
    target: DoctorTarget,
    tmux_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    install_hooks(target)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{free_port()}")
    for key, value in OFFLINE_VARS.items():
        monkeypatch.setenv(key, value)
    tmux = shutil.which("tmux")
    assert tmux is not None
    path_with(tmp_path, monkeypatch, {"claude": str(claude_bin()), "tmux": tmux})
    code = main(doctor_argv(target, tmux_server))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "FAIL" not in out and "everything needed is in place" in out


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("name", ["x#y", "x?y", "x%23y"])
def test_a_data_dir_named_like_a_uri_checks_its_own_database(tmp_path: Path, name: str) -> None:
    """A raw `file:` URI ends the path at '#' or '?': doctor must open this folder's
    database read-only, create nothing, and say which database it checked."""
    paths = DataPaths(tmp_path / name)
    paths.ensure()
    Database(paths.database).close()
    before = listing(tmp_path)

    finding = check_data_dir(paths)

    assert finding.level is Level.OK
    assert f"the database {paths.database} is sound" in finding.message
    assert listing(tmp_path) == before  # no `x` next to it, no -wal or -shm made
    paths.database.write_bytes(b"this is not sqlite" * 100)
    for suffix in ("-wal", "-shm"):
        paths.database.with_name(paths.database.name + suffix).unlink(missing_ok=True)
    before = listing(tmp_path)

    finding = check_data_dir(paths)

    assert finding.level is Level.FAIL and str(paths.database) in finding.message
    assert listing(tmp_path) == before
