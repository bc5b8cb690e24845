"""`claude-rpg desktop-entry install|uninstall`: the app launcher for pip and pipx installs."""

from __future__ import annotations

import argparse
import sys

from desktop.freedesktop import install_desktop_entry, launch_command, uninstall_desktop_entry


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    entry = sub.add_parser("desktop-entry", help="add claude-rpg to the desktop's application menu")
    entry_sub = entry.add_subparsers(dest="desktop_entry_command", required=True)
    install_p = entry_sub.add_parser(
        "install", help="write the launcher, icon and metainfo under $XDG_DATA_HOME"
    )
    install_p.set_defaults(func=cmd_install)
    uninstall_p = entry_sub.add_parser("uninstall", help="remove what install wrote")
    uninstall_p.set_defaults(func=cmd_uninstall)


def cmd_install(_args: argparse.Namespace) -> int:
    command = launch_command()
    try:
        files = install_desktop_entry(command)
    except OSError as e:
        print(
            f"claude-rpg: could not write the launcher ({e.strerror}: {e.filename}); "
            "check that your data folder is writable and run the command again",
            file=sys.stderr,
        )
        return 1
    print(f"claude-rpg: launcher installed: {files.desktop} (runs {' '.join(command)})")
    print(f"claude-rpg: icon: {files.icon}")
    return 0


def cmd_uninstall(_args: argparse.Namespace) -> int:
    removed = uninstall_desktop_entry()
    if not removed:
        print("claude-rpg: no launcher was installed; nothing to remove")
        return 0
    for path in removed:
        print(f"claude-rpg: removed {path}")
    return 0
