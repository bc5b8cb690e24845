"""Freedesktop integration: the launcher entry, its icon and metainfo, and the autostart entry."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

APP_ID = "io.github.clauderpg.ClaudeRpg"
DESKTOP_FILE = f"{APP_ID}.desktop"
METAINFO_FILE = f"{APP_ID}.metainfo.xml"
ICON_FILE = f"{APP_ID}.svg"

# Characters that force quoting of an Exec argument (Desktop Entry spec, "The Exec key").
_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def _xdg_home(var: str, fallback: str) -> Path:
    # The spec says to ignore a relative or empty value.
    value = os.environ.get(var, "")
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def xdg_config_home() -> Path:
    return _xdg_home("XDG_CONFIG_HOME", ".config")


def xdg_data_home() -> Path:
    return _xdg_home("XDG_DATA_HOME", ".local/share")


def data_file(name: str) -> str:
    """The text of one of the files in desktop/data (shipped in the wheel and the bundle)."""
    return resources.files("desktop").joinpath("data", name).read_text(encoding="utf-8")


def launch_command() -> list[str]:
    """The argv that starts this installation of the app, absolute so any session can run it.

    A desktop session often lacks ~/.local/bin (where pipx puts claude-rpg) on its PATH, so the
    entry names the program by its full path.
    """
    if getattr(sys, "frozen", False):
        return [sys.executable]
    # Started as the console script (pipx, a venv): that very file, even if not on PATH.
    launched = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if launched is not None and launched.name == "claude-rpg" and launched.is_file():
        return [str(launched.resolve())]
    on_path = shutil.which("claude-rpg")
    if on_path:
        return [os.path.abspath(on_path)]
    return [sys.executable, "-m", "desktop"]


def quote_exec_arg(arg: str) -> str:
    if not arg or any(c in _EXEC_RESERVED for c in arg):
        escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
        arg = f'"{escaped}"'
    # A literal % must be doubled: the spec reserves it for field codes.
    return arg.replace("%", "%%")


def render_desktop_entry(command: list[str], autostart: bool = False) -> str:
    """The shipped .desktop file with Exec= pointing at `command`."""
    exec_line = "Exec=" + " ".join(quote_exec_arg(a) for a in command)
    lines = [
        exec_line if line.startswith("Exec=") else line
        for line in data_file(DESKTOP_FILE).splitlines()
    ]
    if autostart:
        lines += ["X-GNOME-Autostart-enabled=true", "X-KDE-autostart-after=panel"]
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# --- autostart -----------------------------------------------------------------------------


def autostart_file() -> Path:
    """$XDG_CONFIG_HOME/autostart/<app id>.desktop."""
    return xdg_config_home() / "autostart" / DESKTOP_FILE


def autostart_enabled() -> bool:
    return autostart_file().is_file()


def set_autostart(enabled: bool, command: list[str] | None = None) -> Path:
    """Write (or remove) the autostart entry; returns its path either way."""
    path = autostart_file()
    if enabled:
        # At login the app goes straight to the tray; a click on the icon opens the window.
        argv = [*(command or launch_command()), "--minimized"]
        _write(path, render_desktop_entry(argv, autostart=True))
    else:
        path.unlink(missing_ok=True)
    return path


# --- the launcher entry for pipx / pip users -----------------------------------------------


@dataclass(frozen=True)
class DesktopEntryFiles:
    """Where `claude-rpg desktop-entry install` puts the launcher, icon and metainfo."""

    data_home: Path

    @property
    def desktop(self) -> Path:
        return self.data_home / "applications" / DESKTOP_FILE

    @property
    def icon(self) -> Path:
        return self.data_home / "icons" / "hicolor" / "scalable" / "apps" / ICON_FILE

    @property
    def metainfo(self) -> Path:
        return self.data_home / "metainfo" / METAINFO_FILE

    def all(self) -> tuple[Path, Path, Path]:
        return (self.desktop, self.icon, self.metainfo)


def install_desktop_entry(
    command: list[str] | None = None, data_home: Path | None = None
) -> DesktopEntryFiles:
    """Write the launcher entry, icon and metainfo into the user's data dir."""
    files = DesktopEntryFiles(data_home or xdg_data_home())
    _write(files.desktop, render_desktop_entry(command or launch_command()))
    _write(files.icon, data_file(ICON_FILE))
    _write(files.metainfo, data_file(METAINFO_FILE))
    _refresh_caches(files)
    return files


def uninstall_desktop_entry(data_home: Path | None = None) -> list[Path]:
    """Remove what install_desktop_entry wrote; returns the files that were there."""
    files = DesktopEntryFiles(data_home or xdg_data_home())
    removed = [p for p in files.all() if p.exists()]
    for path in removed:
        path.unlink()
    _refresh_caches(files)
    return removed


def _refresh_caches(files: DesktopEntryFiles) -> None:
    # Menus pick new entries up by themselves on most desktops; these tools only speed it up,
    # so their absence or failure is not an error.
    for argv in (
        ["update-desktop-database", "-q", str(files.desktop.parent)],
        ["gtk-update-icon-cache", "-q", "-t", str(files.data_home / "icons" / "hicolor")],
    ):
        if shutil.which(argv[0]) and Path(argv[-1]).is_dir():
            subprocess.run(argv, check=False, capture_output=True, timeout=20)
