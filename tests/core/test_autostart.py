"""The autostart entry: written to and removed from $XDG_CONFIG_HOME/autostart, valid, absolute."""

from __future__ import annotations

import configparser
import subprocess
from pathlib import Path

import pytest

from desktop.__main__ import build_parser
from desktop.cli.run import options_from
from desktop.freedesktop import (
    APP_ID,
    autostart_enabled,
    autostart_file,
    launch_command,
    quote_exec_arg,
    set_autostart,
)


def entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser["Desktop Entry"]


def validate(path: Path) -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_enabling_writes_a_valid_entry_under_xdg_config_home(isolated_dirs: Path) -> None:
    assert not autostart_enabled()
    path = set_autostart(True, ["/opt/claude rpg/bin/claude-rpg"])
    assert path == isolated_dirs / "config" / "autostart" / f"{APP_ID}.desktop"
    assert autostart_enabled()
    validate(path)
    values = entry(path)
    assert values["Exec"] == '"/opt/claude rpg/bin/claude-rpg" --minimized'
    assert values["X-GNOME-Autostart-enabled"] == "true"
    assert values["Type"] == "Application"


def test_disabling_removes_it_and_is_idempotent(isolated_dirs: Path) -> None:
    set_autostart(True, ["/usr/bin/claude-rpg"])
    set_autostart(False)
    assert not autostart_file().exists()
    assert not autostart_enabled()
    set_autostart(False)
    assert (isolated_dirs / "config" / "autostart").is_dir()


def test_a_relative_xdg_config_home_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")
    assert autostart_file() == tmp_path / ".config" / "autostart" / f"{APP_ID}.desktop"


def test_the_default_command_is_absolute(isolated_dirs: Path) -> None:
    path = set_autostart(True)
    first = launch_command()[0]
    assert Path(first).is_absolute()
    assert entry(path)["Exec"].startswith(quote_exec_arg(first))
    validate(path)


@pytest.mark.parametrize(
    ("arg", "quoted"),
    [
        ("/usr/bin/claude-rpg", "/usr/bin/claude-rpg"),
        ("/a b/c", '"/a b/c"'),
        ('/a"b$c', '"/a\\"b\\$c"'),
        ("/100%/x", "/100%%/x"),
        ("", '""'),
    ],
)
def test_exec_arguments_are_quoted_as_the_spec_says(arg: str, quoted: str) -> None:
    assert quote_exec_arg(arg) == quoted


def test_the_autostart_command_starts_the_app_in_the_tray(isolated_dirs: Path) -> None:
    exec_line = entry(set_autostart(True, ["/usr/bin/claude-rpg"]))["Exec"]
    argv = exec_line.split()
    assert argv == ["/usr/bin/claude-rpg", "--minimized"]
    assert options_from(build_parser().parse_args(argv[1:])).minimized
    assert not options_from(build_parser().parse_args([])).minimized
