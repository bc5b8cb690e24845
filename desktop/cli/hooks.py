"""`claude-rpg hooks ...`: install our hooks into Claude Code's settings.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop.cli.common import add_common, data_paths
from desktop.core.hooks.command import write_script
from desktop.core.hooks.installer import HOOK_EVENTS, SettingsError, install
from desktop.paths import claude_config_dir


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hooks = sub.add_parser("hooks", help="manage the Claude Code hooks")
    hooks_sub = hooks.add_subparsers(dest="hooks_command", required=True)
    install_p = hooks_sub.add_parser("install", help="write our hooks into settings.json")
    add_common(install_p)
    install_p.add_argument("--settings", type=Path, default=None, help="settings.json to change")
    install_p.add_argument(
        "--events", default=None, help="comma-separated hook events (default: all we use)"
    )
    install_p.set_defaults(func=cmd_install)


def settings_path(args: argparse.Namespace) -> Path:
    return args.settings or claude_config_dir() / "settings.json"


def cmd_install(args: argparse.Namespace) -> int:
    paths = data_paths(args)
    settings = settings_path(args)
    events = HOOK_EVENTS
    if args.events:
        events = tuple(e.strip() for e in args.events.split(",") if e.strip())
    try:
        script = write_script(paths, args.port)
        install(settings, script, events)
    except SettingsError as e:
        print(f"claude-rpg: {e}", file=sys.stderr)
        return 1
    print(f"claude-rpg: hooks for {len(events)} events installed in {settings}")
    return 0
