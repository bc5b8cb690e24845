"""The status-line snippet: real bash and /bin/sh, the recorded 2.1.197 input, exact output;
install wraps the user's statusLine and uninstall gives it back as it was; the plan limits."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from desktop.core.hooks import installer
from desktop.core.usage import statusline
from desktop.core.usage.service import UsageService
from desktop.core.usage.status_reader import parse_status, scan
from desktop.paths import DataPaths
from desktop.store.db import Database

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "statusline-claude-code-2.1.197.json"
SID = "a966c645-e1de-4e06-85b1-670797cf22a1"
# Commands a user may have: output that depends on every byte of the input, quoting,
# a pipeline, no trailing newline, a failing command, one that prints nothing.
THEIRS = [
    """printf '%s' "$(wc -c)" ; printf ' bytes; a "quoted" $HOME-less line\\n'""",
    "tr -d '\\n' | sha256sum | cut -c1-16",
    "cat",
    "printf 'no newline at the end'",
    "echo 'it failed' ; exit 3",
    ":",
]


@pytest.fixture
def paths(tmp_path: Path) -> DataPaths:
    data = DataPaths(tmp_path / "data")
    data.ensure()
    statusline.status_dir(data).mkdir(mode=0o700)
    return data


def run(command: str, stdin: bytes, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run a statusLine command the way Claude 2.1.197 does: /bin/sh -c, the session id set."""
    env = {"PATH": os.environ["PATH"], "CLAUDE_CODE_SESSION_ID": SID, "HOME": str(cwd)}
    return subprocess.run(
        ["/bin/sh", "-c", command], input=stdin, capture_output=True, cwd=cwd, env=env, timeout=10
    )


@pytest.mark.parametrize("theirs", THEIRS)
def test_the_snippet_prints_exactly_what_their_command_prints(
    paths: DataPaths, tmp_path: Path, theirs: str
) -> None:
    stdin = FIXTURE.read_bytes()
    alone = run(theirs, stdin, tmp_path)
    ours = run(statusline.command_for(statusline.status_dir(paths), theirs), stdin, tmp_path)
    assert (ours.stdout, ours.stderr, ours.returncode) == (
        alone.stdout,
        alone.stderr,
        alone.returncode,
    )
    [kept] = statusline.status_dir(paths).glob(f"{SID}.*.json")
    assert kept.read_bytes() == stdin  # the very bytes Claude sent, newline included


def test_a_long_input_reaches_their_command_whole(paths: DataPaths, tmp_path: Path) -> None:
    data = json.loads(FIXTURE.read_text())
    data["padding"] = "x\n" * 20_000  # far beyond the first read's 4,096 bytes
    stdin = (json.dumps(data) + "\n").encode()
    command = statusline.command_for(statusline.status_dir(paths), "sha256sum")
    assert run(command, stdin, tmp_path).stdout == run("sha256sum", stdin, tmp_path).stdout
    [kept] = statusline.status_dir(paths).glob(f"{SID}.*.json")
    assert kept.read_bytes() == stdin


def test_without_their_command_it_prints_nothing_and_without_the_app_theirs_still_runs(
    paths: DataPaths, tmp_path: Path
) -> None:
    stdin = FIXTURE.read_bytes()
    folder = statusline.status_dir(paths)
    none = run(statusline.command_for(folder, ""), stdin, tmp_path)
    assert (none.stdout, none.stderr, none.returncode) == (b"", b"", 0)
    # The data dir is gone: their status line is unchanged, and ours prints nothing.
    gone = tmp_path / "gone" / "status"
    theirs = "printf 'mine: %s' \"$(head -c 15)\""
    assert (
        run(statusline.command_for(gone, theirs), stdin, tmp_path).stdout
        == run(theirs, stdin, tmp_path).stdout
        == b'mine: {"session_id":"'
    )
    assert run(statusline.command_for(gone, ""), stdin, tmp_path).stdout == b""
    # The status folder cannot be written (a file stands in its place): theirs is whole.
    blocked = statusline.status_dir(paths)
    shutil.rmtree(blocked)
    blocked.write_text("not a folder")
    out = run(statusline.command_for(folder, "wc -c"), stdin, tmp_path)
    assert (out.stdout, out.stderr) == (run("wc -c", stdin, tmp_path).stdout, b"")


def settings_file(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data, indent=4) + "\n")
    return path


@pytest.mark.parametrize(
    "theirs",
    [
        None,
        {"type": "command", "command": "~/bin/my status 'with quotes' \"and $VARS\"; echo ;"},
        {"type": "command", "command": "npx ccstatusline", "padding": 0, "refreshInterval": 5},
    ],
)
def test_install_wraps_their_status_line_and_uninstall_restores_it_exactly(
    tmp_path: Path, paths: DataPaths, theirs: dict[str, Any] | None
) -> None:
    original: dict[str, Any] = {"model": "opus", "env": {"A": "1"}}
    if theirs is not None:
        original["statusLine"] = theirs
    path = settings_file(tmp_path, original)
    if theirs is None:
        # None of theirs: nothing is added unless asked (Claude's footer hint stays).
        assert "statusLine" not in installer.plan_install(path, paths.hook_script).after
    plan = installer.plan_install(path, paths.hook_script, status_line=True)
    assert "statusLine" in plan.diff() and not plan.diff().count("claude-rpg.bak")
    installed = installer.install(path, paths.hook_script, status_line=True).after
    wrapped = installed["statusLine"]
    assert statusline.is_ours(wrapped)
    assert statusline.describe(wrapped) == (
        f"ours, running yours: {theirs['command']}"
        if theirs
        else "ours (you have none of your own)"
    )
    assert statusline.their_command(wrapped["command"]) == (theirs or {}).get("command", "")
    # Installing again changes nothing (the wrapped command is never wrapped twice).
    assert not installer.plan_install(path, paths.hook_script, status_line=True).changed
    assert not installer.plan_install(path, paths.hook_script).changed  # kept once there
    removed = installer.uninstall(path).after
    assert removed == original
    if theirs is None:
        assert statusline.describe(removed.get("statusLine")).startswith("none")
    assert list(removed.get("statusLine", {})) == list(theirs or {})  # key order kept


def test_plan_limits_and_claudes_own_figures_are_read_from_status_files(
    tmp_path: Path, db: Database
) -> None:
    folder = tmp_path / "status"
    folder.mkdir()
    data = json.loads(FIXTURE.read_text())
    reading = parse_status(data, "x", 1.0)
    assert reading is not None
    assert (reading.session_id, reading.model_id, reading.window_tokens) == (
        SID,
        "claude-opus-4-8[1m]",
        1_000_000,
    )
    assert reading.limits is None  # the fake API is no plan: 2.1.197 sends no rate_limits
    # As a Pro/Max plan's status line has them (constructed: no plan answers offline).
    data["rate_limits"] = {
        "five_hour": {"used_percentage": 42.5, "resets_at": 1796400000},
        "seven_day": {"used_percentage": 91, "resets_at": "2026-12-07T09:00:00Z"},
    }
    (folder / f"{SID}.100.json").write_text(json.dumps(data))
    old = folder / f"{SID}.99.json"
    old.write_text("{}")
    os.utime(old, (1.0, 1.0))
    half = folder / "other-session.7.json"
    half.write_text('{"session_id": "other-sess')
    seen: dict[str, float] = {}
    found = scan(folder, seen)
    assert not old.exists() and found.removed == 1  # an older, stale file is cleaned up
    assert found.malformed == 1  # half written: read again next time
    [status] = found.readings
    assert status.limits is not None and status.limits.five_hour is not None
    assert status.limits.five_hour.used_percent == 42.5
    assert status.limits.five_hour.resets_at == datetime.fromtimestamp(1796400000, UTC)
    assert status.limits.seven_day is not None
    assert status.limits.seven_day.resets_at == datetime(2026, 12, 7, 9, tzinfo=UTC)
    assert scan(folder, seen).readings == []  # unchanged files are not read again

    service = UsageService(db, status_folder=folder)
    service.apply_status(found)
    assert service.limits == status.limits
    assert service.limits.to_json()["seven_day"] == {
        "used_percentage": 91.0,
        "resets_at": "2026-12-07T09:00:00+00:00",
    }
    insight = service.insight(SID)
    assert insight is not None and insight.model == "claude-opus-4-8[1m]"


def test_a_service_reads_the_status_folder_on_its_next_read(tmp_path: Path, db: Database) -> None:
    folder = tmp_path / "status"
    folder.mkdir()
    data = json.loads(FIXTURE.read_text())
    data["rate_limits"] = {"five_hour": {"used_percentage": 12, "resets_at": None}}
    (folder / f"{SID}.1.json").write_text(json.dumps(data))
    service = UsageService(db, status_folder=folder, delay=0)
    heard: list[frozenset[str]] = []
    service.subscribe(heard.append)

    async def run() -> None:
        service.schedule(SID)
        await service.settle()
        await service.stop()

    asyncio.run(run())
    assert service.limits is not None and service.limits.five_hour is not None
    assert service.limits.five_hour.used_percent == 12.0
    assert heard  # the UI hears of it
