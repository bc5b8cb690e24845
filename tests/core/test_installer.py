"""`claude-rpg hooks install | uninstall | status` on real settings files in a temp dir."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop import __version__
from desktop.__main__ import main
from desktop.core.hooks.command import command_for, is_our_command
from desktop.core.hooks.installer import BACKUP_SUFFIX, HOOK_EVENTS, hooked_events
from desktop.core.hooks.listener import HookListener
from desktop.core.ingest import EventIngest
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.core.usage import statusline
from tests.support.claude_cli import CLAUDE_VERSION, claude_bin, offline_env

# A settings.json as people have them: their own keys, their own hooks (one on an event we
# also use, one with a matcher, one on an event we do not use), and an empty list.
THEIRS: dict[str, Any] = {
    "model": "opus",
    "permissions": {"allow": ["Bash(ls:*)"], "deny": []},
    "env": {"FOO": "bar"},
    "hooks": {
        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done", "timeout": 3}]}],
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/guard"}]}
        ],
        "PostToolBatch": [{"hooks": [{"type": "command", "command": "echo batch"}]}],
        "ConfigChange": [],
    },
    "statusLine": {"type": "command", "command": "~/bin/status"},
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway HOME, so no test can reach the real ~/.claude or data dir."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home/.local/share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home/.config"))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    return tmp_path / "home"


def write_theirs(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(THEIRS, indent=4) + "\n"
    path.write_text(text)
    return text.encode()


def run_cli(*args: str) -> int:
    return main(["hooks", *args])


def install(settings: Path, data: Path, *extra: str) -> int:
    return run_cli("install", "--settings", str(settings), "--data-dir", str(data), *extra)


def our_handlers(settings: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for event, groups in settings["hooks"].items():
        for group in groups:
            for handler in group["hooks"]:
                if is_our_command(handler.get("command", "")):
                    found.setdefault(event, []).append(handler)
    return found


def test_install_keeps_every_other_key_and_hook(home: Path, tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    original = write_theirs(settings)
    data = tmp_path / "data"

    assert install(settings, data, "--port", "4555") == 0

    after = json.loads(settings.read_text())
    for key in ("model", "permissions", "env"):
        assert after[key] == THEIRS[key]
    # Their status line is wrapped by ours, which runs their command (uninstall unwraps it).
    theirs = THEIRS["statusLine"]
    assert statusline.is_ours(after["statusLine"])
    assert statusline.their_command(after["statusLine"]["command"]) == theirs["command"]
    assert {k: v for k, v in after["statusLine"].items() if k != "command"} == {
        k: v for k, v in theirs.items() if k != "command"
    }
    # Their groups are still first, unchanged, on every event they had.
    for event, groups in THEIRS["hooks"].items():
        assert after["hooks"][event][: len(groups)] == groups
    assert after["hooks"]["ConfigChange"] == []
    ours = our_handlers(after)
    assert sorted(ours) == sorted(HOOK_EVENTS)
    script = data / "bin" / "claude-rpg-hook"
    for event, handlers in ours.items():
        assert handlers == [
            {"type": "command", "command": command_for(script, event), "timeout": 5}
        ]
    assert os.access(script, os.X_OK)
    assert "/dev/udp/127.0.0.1/4555" in script.read_text()
    # The file as it was is kept next to it.
    assert (tmp_path / ("settings.json" + BACKUP_SUFFIX)).read_bytes() == original


def test_install_twice_gives_the_same_file(home: Path, tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    write_theirs(settings)
    assert install(settings, tmp_path / "data") == 0
    once = settings.read_bytes()
    backup = (tmp_path / ("settings.json" + BACKUP_SUFFIX)).read_bytes()

    assert install(settings, tmp_path / "data") == 0

    assert settings.read_bytes() == once
    # Nothing to change, nothing written: the backup still holds the user's own file.
    assert (tmp_path / ("settings.json" + BACKUP_SUFFIX)).read_bytes() == backup


def test_install_upgrades_the_unguarded_command_of_older_releases(
    home: Path, tmp_path: Path
) -> None:
    """Older releases wrote `... . <script>` without a guard (dash exits 2 when the script is
    gone): install recognises those handlers as ours and replaces them, keeping theirs."""
    settings = tmp_path / "settings.json"
    script = tmp_path / "data" / "bin" / "claude-rpg-hook"
    old = f"CLAUDE_RPG_STAMP=$EPOCHREALTIME CLAUDE_RPG_EVENT=Stop . {script}"
    theirs = {"type": "command", "command": "notify-send done"}
    mine = {"type": "command", "command": old, "timeout": 5}
    settings.write_text(json.dumps({"hooks": {"Stop": [{"hooks": [theirs, mine]}]}}))
    assert is_our_command(old)

    assert install(settings, tmp_path / "data") == 0

    after = json.loads(settings.read_text())
    assert after["hooks"]["Stop"][0] == {"hooks": [theirs]}
    assert our_handlers(after)["Stop"] == [
        {"type": "command", "command": command_for(script, "Stop"), "timeout": 5}
    ]
    assert json.dumps(old) not in settings.read_text()


def test_install_creates_a_missing_file_and_its_folder(home: Path) -> None:
    settings = home / ".claude" / "settings.json"

    assert run_cli("install") == 0

    assert sorted(hooked_events(json.loads(settings.read_text()))) == sorted(HOOK_EVENTS)
    assert not (home / ".claude" / ("settings.json" + BACKUP_SUFFIX)).exists()


def test_claude_config_dir_is_the_default(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))

    assert run_cli("install", "--events", "Stop,SessionStart") == 0

    assert hooked_events(json.loads((config / "settings.json").read_text())) == [
        "Stop",
        "SessionStart",
    ]
    assert not (home / ".claude").exists()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{\n  "model": "opus",\n  "hooks": {\n    "Stop": [\n  }\n}\n', "line 5"),
        ('{"model": "opus",}', "line 1"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"hooks": []}', '"hooks"'),
        ('{"hooks": {"Stop": {"hooks": []}}}', '"hooks.Stop"'),
    ],
)
def test_unusable_settings_are_refused_and_left_untouched(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str
) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(text)

    assert install(settings, tmp_path / "data") == 1

    err = capsys.readouterr().err
    assert where in err and "left untouched" in err, err
    assert settings.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_uninstall_removes_only_ours(home: Path, tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    write_theirs(settings)
    assert install(settings, tmp_path / "data") == 0
    # Someone added a handler of their own next to ours by hand.
    edited = json.loads(settings.read_text())
    edited["hooks"]["SessionEnd"][0]["hooks"].append({"type": "command", "command": "echo bye"})
    settings.write_text(json.dumps(edited))

    assert run_cli("uninstall", "--settings", str(settings)) == 0

    after = json.loads(settings.read_text())
    expected = json.loads(json.dumps(THEIRS))
    expected["hooks"]["SessionEnd"] = [{"hooks": [{"type": "command", "command": "echo bye"}]}]
    assert after == expected
    assert our_handlers(after) == {}


def test_uninstall_without_our_hooks_changes_nothing(home: Path, tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    original = write_theirs(settings)

    assert run_cli("uninstall", "--settings", str(settings)) == 0

    assert settings.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_dry_run_prints_the_diff_and_writes_nothing(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "settings.json"
    original = write_theirs(settings)
    data = tmp_path / "data"

    assert install(settings, data, "--dry-run") == 0

    out = capsys.readouterr().out
    assert f"--- {settings}" in out and f"+++ {settings} (after)" in out
    script = data / "bin" / "claude-rpg-hook"
    assert (
        f'+            "command": "[ -f {script} ] && [ -r {script} ] && CLAUDE_RPG_STAMP=' in out
    )
    assert settings.read_bytes() == original
    assert not data.exists()

    assert install(settings, data) == 0
    installed = settings.read_bytes()
    assert run_cli("uninstall", "--settings", str(settings), "--dry-run") == 0
    assert '-            "command": "[ -f ' in capsys.readouterr().out
    assert settings.read_bytes() == installed


def test_symlinked_settings_stay_a_symlink_and_keep_their_mode(home: Path, tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles" / "claude-settings.json"
    write_theirs(dotfiles)
    dotfiles.chmod(0o640)
    settings = tmp_path / "settings.json"
    settings.symlink_to(dotfiles)

    assert install(settings, tmp_path / "data") == 0

    assert settings.is_symlink()
    assert stat.S_IMODE(dotfiles.stat().st_mode) == 0o640
    assert sorted(hooked_events(json.loads(dotfiles.read_text()))) == sorted(HOOK_EVENTS)


def test_bad_event_names_are_refused(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "settings.json"

    assert install(settings, tmp_path / "data", "--events", "Stop,rm -rf") == 1

    assert "'rm -rf' is not a hook event name" in capsys.readouterr().err
    assert not settings.exists()


@pytest.fixture
def listener(
    ingest: EventIngest, personas: PersonaService, registry: PaneRegistry
) -> Iterator[int]:
    """The real listener on a free loopback port, on a loop in a thread."""
    loop = asyncio.new_event_loop()
    server = HookListener(
        ingest, personas, registry, secret="s", port=0, health=lambda: {"version": __version__}
    )
    loop.run_until_complete(server.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield server.port
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.run_until_complete(server.stop())
    loop.close()


def test_status_says_what_is_hooked_whether_the_app_answers_and_the_claude_version(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    listener: int,
) -> None:
    settings = tmp_path / "settings.json"
    data = tmp_path / "data"
    write_theirs(settings)
    # Only the pinned CLI on PATH, with the whole offline environment (it never goes online).
    for key, value in offline_env(home, "http://127.0.0.1:9").items():
        monkeypatch.setenv(key, value)
    status = ("status", "--settings", str(settings), "--data-dir", str(data))

    assert run_cli(*status) == 1
    out = capsys.readouterr().out
    assert "hooked:    none" in out
    assert "status:    yours, not wrapped (run `claude-rpg hooks install`): " in out
    assert "missing:   SessionStart, UserPromptSubmit" in out
    assert f"claude:    {CLAUDE_VERSION} (Claude Code) at {claude_bin()}" in out

    assert install(settings, data, "--port", str(listener), "--events", "Stop,PreToolUse") == 0
    capsys.readouterr()
    assert run_cli(*status) == 1
    out = capsys.readouterr().out
    assert "hooked:    Stop, PreToolUse\n" in out
    theirs = THEIRS["statusLine"]["command"]
    assert f"status:    ours, running yours: {theirs}\n" in out
    assert f"(sends to 127.0.0.1:{listener})" in out
    assert f"app:       claude-rpg {__version__} answers on 127.0.0.1:{listener}" in out

    assert install(settings, data, "--port", "9") == 0
    capsys.readouterr()
    assert run_cli(*status) == 0
    out = capsys.readouterr().out
    assert "missing" not in out
    assert "app:       not answering on 127.0.0.1:9; 0 events wait in the spool" in out
