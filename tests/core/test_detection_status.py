"""What the poller reads for the status: title glyphs, session files, screens."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.core.tmux.client import TmuxClient, literal_arg
from desktop.core.tmux.detection import TitleGlyph, title_glyph
from desktop.core.tmux.poller import DetectContext, detect
from desktop.core.tmux.procs import read_proc
from desktop.core.tmux.screen import (
    PATTERN_SETS,
    ScreenState,
    banner_version,
    choose_option,
    patterns_for,
    read_screen,
)
from desktop.core.tmux.sessionfile import claude_dir_of, read_session_file
from tests.support.private_tmux import PrivateTmux

SCREENS = Path(__file__).resolve().parents[1] / "fixtures/screens/claude-code-2.1.197"


def screen(name: str) -> str:
    return (SCREENS / f"{name}.txt").read_text()


# --- title glyphs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "glyph"),
    [
        ("⠂ Claude Code", TitleGlyph.BUSY),
        ("⠐ Fake session", TitleGlyph.BUSY),
        ("✳ Claude Code", TitleGlyph.QUIET),
        ("✳ Fake session", TitleGlyph.QUIET),
        ("my-laptop", TitleGlyph.NONE),
        ("", TitleGlyph.NONE),
    ],
)
def test_title_glyphs_as_claude_sets_them(title: str, glyph: TitleGlyph) -> None:
    assert title_glyph(title) is glyph


# --- screens (recorded from the real CLI) --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("idle", ScreenState.IDLE),
        ("working", ScreenState.BUSY),
        ("interrupted", ScreenState.IDLE),
        ("permission", ScreenState.WAITING),
        ("denied", ScreenState.IDLE),
        ("approved_always", ScreenState.IDLE),
        ("error", ScreenState.IDLE),
    ],
)
def test_recorded_screens_read_as_what_they_show(name: str, state: ScreenState) -> None:
    assert read_screen(screen(name)).state is state


def test_the_permission_dialog_gives_its_question_and_choices() -> None:
    reading = read_screen(screen("permission"))
    assert reading.question == "Do you want to proceed?"
    assert [o.key for o in reading.options] == ["1", "2", "3"]
    assert choose_option(reading, "once") == "1"
    assert choose_option(reading, "always") == "2"
    assert choose_option(reading, "deny") == "3"


def test_unknown_text_is_no_signal() -> None:
    assert read_screen("").state is ScreenState.UNKNOWN
    assert read_screen("$ ls\nfile-a file-b\n$ \n").state is ScreenState.UNKNOWN


def test_pattern_sets_are_chosen_by_version() -> None:
    assert banner_version(screen("idle")) == "2.1.197"
    newest = max(PATTERN_SETS, key=lambda p: p.since)
    oldest = min(PATTERN_SETS, key=lambda p: p.since)
    assert patterns_for(None) is newest
    assert patterns_for("9.0.0") is newest
    assert patterns_for("2.1.197") is newest
    assert patterns_for("0.1.0") is oldest


# --- session files, found through the claude process's own environment --------------------


def started(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A sleeping child, returned once it has exec'ed (its /proc entry shows its own env)."""
    proc = subprocess.Popen(["sleep", "60"], env=env)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        info = read_proc(proc.pid)
        if (
            info is not None
            and info.comm == "sleep"
            and claude_dir_of(proc.pid, Path("/x")) != Path("/x")
        ):
            return proc
        time.sleep(0.005)
    raise AssertionError("the child never showed its environment in /proc")


@pytest.fixture
def child(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    home = tmp_path / "claude-home"
    home.mkdir()
    proc = started({"HOME": str(home), "PATH": "/usr/bin:/bin"})
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def write_session_file(claude_dir: Path, file_pid: int, **fields: object) -> Path:
    folder = claude_dir / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{file_pid}.json"
    data = {
        "pid": file_pid,
        "sessionId": "sid-1",
        "status": "busy",
        "statusUpdatedAt": 1700000000123,
    }
    path.write_text(json.dumps({**data, **fields}))
    return path


def test_the_session_file_is_found_under_the_process_home(
    child: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    fallback = tmp_path / "app-user-claude"
    claude_dir = claude_dir_of(child.pid, fallback)
    assert claude_dir == tmp_path / "claude-home" / ".claude"
    proc = read_proc(child.pid)
    assert proc is not None
    write_session_file(
        claude_dir, child.pid, procStart=str(proc.start_ticks), waitingFor="permission prompt"
    )
    found = read_session_file(child.pid, proc.start_ticks, claude_dir)
    assert found is not None
    assert (found.session_id, found.status, found.waiting_for) == (
        "sid-1",
        "busy",
        "permission prompt",
    )
    assert found.status_since == pytest.approx(1700000000.123)


def test_claude_config_dir_in_the_process_env_wins(tmp_path: Path) -> None:
    config = tmp_path / "cfg"
    env = {"HOME": str(tmp_path), "CLAUDE_CONFIG_DIR": str(config), "PATH": "/usr/bin:/bin"}
    proc = started(env)
    try:
        assert claude_dir_of(proc.pid, tmp_path / "fallback") == config
    finally:
        proc.kill()
        proc.wait()


def test_without_proc_the_app_users_dir_is_the_fallback(tmp_path: Path) -> None:
    empty_proc = tmp_path / "proc"
    empty_proc.mkdir()
    assert claude_dir_of(os.getpid(), tmp_path / "fallback", str(empty_proc)) == (
        tmp_path / "fallback"
    )


def test_stale_foreign_and_half_written_files_are_no_signal(
    child: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    claude_dir = tmp_path / "c"
    proc = read_proc(child.pid)
    assert proc is not None
    # Left behind by a SIGKILLed claude whose pid this process reuses.
    write_session_file(claude_dir, child.pid, procStart=str(proc.start_ticks + 1))
    assert read_session_file(child.pid, proc.start_ticks, claude_dir) is None
    write_session_file(claude_dir, child.pid, pid=child.pid + 1)
    assert read_session_file(child.pid, proc.start_ticks, claude_dir) is None
    (claude_dir / "sessions" / f"{child.pid}.json").write_text('{"pid": ')
    assert read_session_file(child.pid, proc.start_ticks, claude_dir) is None
    write_session_file(claude_dir, child.pid, status="pondering")
    odd = read_session_file(child.pid, proc.start_ticks, claude_dir)
    assert odd is not None and odd.status == ""


# --- one tmux command per tick, whatever the number of panes -------------------------------


@pytest.fixture
def tmux() -> Iterator[PrivateTmux]:
    server = PrivateTmux()
    try:
        yield server.start()
    finally:
        server.kill()


@pytest.fixture
def counting_tmux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `tmux` first on PATH that logs each invocation, then runs the real one."""
    real = shutil.which("tmux")
    assert real is not None
    bindir = tmp_path / "countbin"
    bindir.mkdir()
    log = tmp_path / "tmux-calls.log"
    wrapper = bindir / "tmux"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {real} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    return log


def test_every_tick_is_one_tmux_call_with_the_screens_inside(
    tmux: PrivateTmux, tmp_path: Path, counting_tmux: Path
) -> None:
    fake_claude = tmp_path / "bin" / "claude"
    fake_claude.parent.mkdir()
    shutil.copy(shutil.which("sleep") or "/bin/sleep", fake_claude)
    panes = [tmux.new_window([str(fake_claude), "600"]) for _ in range(6)]
    # One pane shows a recorded permission dialog: its screen must come back readable.
    shown = tmux.new_window(
        ["/bin/sh", "-c", f"cat {SCREENS / 'permission.txt'}; exec {fake_claude} 600"]
    )
    tmux.wait_for(shown, r"Do you want to proceed\?")
    client = TmuxClient(str(tmux.socket_path))
    context = DetectContext(fallback_claude_dir=tmp_path / "none")
    first = detect(client, context=context)
    assert {p.raw.pane_id for p in first.panes} == {*panes, shown}
    # No session file anywhere: the next tick reads every screen, still in one call.
    assert context.capture == {*panes, shown}
    counting_tmux.write_text("")
    second = detect(client, context=context)
    calls = counting_tmux.read_text().splitlines()
    assert len(calls) == 1 and calls[0].count("capture-pane") == len(panes) + 1
    by_id = {p.raw.pane_id: p for p in second.panes}
    dialog = by_id[shown].screen
    assert dialog is not None and dialog.state is ScreenState.WAITING
    assert all(by_id[p].screen is not None for p in panes)

    # A pane that closes between two ticks does not cost the listing.
    tmux.kill_pane(panes[0])
    third = detect(client, context=context)
    assert third.problem is None
    assert {p.raw.pane_id for p in third.panes} == {*panes[1:], shown}


def test_literal_arg_survives_tmux_argument_parsing(tmux: PrivateTmux) -> None:
    # No terminal echo: each line on screen is what cat read, in order.
    pane = tmux.new_window(["/bin/sh", "-c", "stty -echo; exec cat"])
    deadline = time.monotonic() + 5
    while tmux.pane_info(pane)["pane_current_command"] != "cat":  # stty has run
        assert time.monotonic() < deadline, "cat never started"
        time.sleep(0.01)
    client = TmuxClient(str(tmux.socket_path))
    awkward = ["ends;", ";", "\\;", "a\\", "-n", "Enter", "{", "x ; y", "#{pane_id}", "last"]
    for text in awkward:
        client.send_literal(pane, text)
        client.send_keys(pane, "Enter")
    tmux.wait_for(pane, r"(?m)^last$")
    lines = [line for line in tmux.capture(pane).splitlines() if line]
    assert lines == awkward
    assert literal_arg("plain") == "plain"
