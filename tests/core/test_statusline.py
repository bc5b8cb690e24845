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
from desktop.core.usage.status_reader import KEEP_DAYS, ScanState, parse_status, scan
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
    [kept] = statusline.status_dir(paths).iterdir()  # no temp file left behind
    assert kept.name == f"{SID}.json"
    assert kept.read_bytes() == stdin  # the very bytes Claude sent, newline included


def test_a_long_input_reaches_their_command_whole(paths: DataPaths, tmp_path: Path) -> None:
    data = json.loads(FIXTURE.read_text())
    data["padding"] = "x\n" * 20_000  # far beyond the first read's 4,096 bytes
    stdin = (json.dumps(data) + "\n").encode()
    command = statusline.command_for(statusline.status_dir(paths), "sha256sum")
    assert run(command, stdin, tmp_path).stdout == run("sha256sum", stdin, tmp_path).stdout
    [kept] = statusline.status_dir(paths).iterdir()
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
    state = ScanState()
    found = scan(folder, state)
    assert not old.exists() and found.removed == 1  # an older, stale file is cleaned up
    assert found.malformed == 1  # half written: read again next time
    [status] = found.readings
    assert status.limits is not None and status.limits.five_hour is not None
    assert status.limits.five_hour.used_percent == 42.5
    assert status.limits.five_hour.resets_at == datetime.fromtimestamp(1796400000, UTC)
    assert status.limits.seven_day is not None
    assert status.limits.seven_day.resets_at == datetime(2026, 12, 7, 9, tzinfo=UTC)
    assert scan(folder, state).readings == []  # unchanged files are not read again

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


def with_cost(stdin: bytes, cost: float) -> bytes:
    data = json.loads(stdin)
    data["cost"]["total_cost_usd"] = cost
    return (json.dumps(data, separators=(",", ":")) + "\n").encode()


def test_the_snippet_keeps_one_file_per_session_however_often_it_runs(
    paths: DataPaths, tmp_path: Path
) -> None:
    folder = statusline.status_dir(paths)
    stdin = FIXTURE.read_bytes()
    command = statusline.command_for(folder, "wc -c")
    for i in range(30):
        out = run(command, with_cost(stdin, i), tmp_path)
        assert out.stdout.strip() == str(len(with_cost(stdin, i))).encode()
    other = {"PATH": os.environ["PATH"], "CLAUDE_CODE_SESSION_ID": "other-session"}
    theirs = stdin.replace(SID.encode(), b"other-session")
    for _ in range(5):
        subprocess.run(["/bin/sh", "-c", command], input=theirs, env=other, capture_output=True)
    # One file per session, the last input whole; the app was never up to clean anything.
    assert sorted(p.name for p in folder.iterdir()) == [f"{SID}.json", "other-session.json"]
    assert (folder / f"{SID}.json").read_bytes() == with_cost(stdin, 29)
    state = ScanState()
    readings = {r.session_id: r for r in scan(folder, state).readings}
    assert readings[SID].cost_usd == 29 and "other-session" in readings


def test_snippets_running_at_once_each_hand_their_own_input_to_their_command(
    paths: DataPaths, tmp_path: Path
) -> None:
    folder = statusline.status_dir(paths)
    stdin = FIXTURE.read_bytes()
    command = statusline.command_for(folder, "sha256sum")
    env = {"PATH": os.environ["PATH"], "CLAUDE_CODE_SESSION_ID": SID}
    inputs = [with_cost(stdin, i) for i in range(24)]
    procs = [
        subprocess.Popen(
            ["/bin/sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        for _ in inputs
    ]
    outs = [p.communicate(data, timeout=30)[0] for p, data in zip(procs, inputs, strict=True)]
    expected = [run("sha256sum", data, tmp_path).stdout for data in inputs]
    assert outs == expected  # every run's command read its own bytes, none another's
    [kept] = folder.iterdir()
    assert kept.name == f"{SID}.json" and kept.read_bytes() in inputs  # whole, never mixed


def test_the_scan_drops_old_sessions_and_the_per_call_files_of_earlier_releases_once(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "status"
    folder.mkdir()
    now = 2_000_000_000.0
    day = 86400.0
    body = FIXTURE.read_text()
    # What an earlier release left while the app was down: a file per call, 3,000 of them.
    for session in range(300):
        for call in range(10):
            path = folder / f"s{session}.{1000 + call}.json"
            path.write_text(body)
            os.utime(path, (now - day + call, now - day + call))
    gone = folder / "ended-long-ago.json"  # a session not seen for more than KEEP_DAYS
    gone.write_text(body)
    os.utime(gone, (now - (KEEP_DAYS + 1) * day,) * 2)
    recent = folder / "ended-lately.json"
    recent.write_text(body)
    os.utime(recent, (now - (KEEP_DAYS - 1) * day,) * 2)
    temp = folder / ".killed.123.tmp"  # left by a snippet killed before its rename
    temp.write_text(body[:100])
    os.utime(temp, (now - 3600,) * 2)
    os.utime(folder, (now - 60,) * 2)
    state = ScanState()
    first = scan(folder, state, now)
    assert first.listed and first.removed == 300 * 9 + 2
    names = {p.name for p in folder.iterdir()}
    assert names == {f"s{s}.1009.json" for s in range(300)} | {"ended-lately.json"}
    assert len(first.readings) == 301 and first.malformed == 0
    # The removals changed the folder: one more listing, of what is left, reads nothing.
    second = scan(folder, state, now + 1)
    assert (second.listed, second.readings, second.removed) == (True, [], 0)
    # Nothing changed since: the next look does not even list the folder.
    assert not scan(folder, state, now + 5).listed
    # A snippet's rename changes the folder: the next look reads the new file only.
    data = json.loads(body)
    data["session_id"] = "fresh"
    (folder / ".fresh.1.tmp").write_text(json.dumps(data))
    os.replace(folder / ".fresh.1.tmp", folder / "fresh.json")
    os.utime(folder / "fresh.json", (now + 2,) * 2)
    os.utime(folder, (now + 2,) * 2)
    third = scan(folder, state, now + 10)
    assert third.listed and [r.session_id for r in third.readings] == ["fresh"]
    # Days later, unchanged: the folder is listed again and the sessions that ended go.
    later = scan(folder, state, now + 2 * day)
    assert later.listed and later.removed == 1  # ended-lately is now KEEP_DAYS + 1 old
    assert "ended-lately.json" not in {p.name for p in folder.iterdir()}
