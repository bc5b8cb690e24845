"""`claude-rpg hooks install | uninstall | status`: our hooks in Claude Code's settings.json."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from desktop.cli.common import add_common, data_paths
from desktop.core.hooks.api_client import app_health
from desktop.core.hooks.command import (
    HookScriptError,
    find_bash,
    script_port,
    write_script,
)
from desktop.core.hooks.fallback import fallback_spool
from desktop.core.hooks.installer import (
    HOOK_EVENTS,
    SettingsError,
    apply,
    hooked_events,
    load_settings,
    plan_install,
    plan_uninstall,
)
from desktop.core.hooks.spool import records_in
from desktop.core.usage import statusline
from desktop.paths import claude_config_dir

_EVENT_NAME = re.compile(r"^[A-Z][A-Za-z]{1,63}$")
PROBE_TIMEOUT_S = 1.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hooks = sub.add_parser("hooks", help="install, remove or check the Claude Code hooks")
    hooks_sub = hooks.add_subparsers(dest="hooks_command", required=True)
    commands = (
        ("install", cmd_install, "merge our hooks into settings.json (keeps everything else)"),
        ("uninstall", cmd_uninstall, "remove our hooks from settings.json (and nothing else)"),
        ("status", cmd_status, "hooked events, whether the app answers, the claude version"),
    )
    for name, func, help_text in commands:
        parser = hooks_sub.add_parser(name, help=help_text)
        add_common(parser)
        parser.add_argument(
            "--settings",
            type=Path,
            default=None,
            help="settings.json to use (default: $CLAUDE_CONFIG_DIR/settings.json, "
            "else ~/.claude/settings.json)",
        )
        if name != "status":
            parser.add_argument(
                "--dry-run", action="store_true", help="print the change as a diff; write nothing"
            )
        if name == "install":
            parser.add_argument(
                "--events",
                default=None,
                help=f"comma-separated hook events (default: all {len(HOOK_EVENTS)} we use)",
            )
            parser.add_argument(
                "--statusline",
                action="store_true",
                help="also add our status line when you have none (it prints nothing, but "
                "takes the place of Claude's footer hint); a statusLine of yours is always "
                "wrapped, and keeps printing what it prints",
            )
        parser.set_defaults(func=func)


def settings_path(args: argparse.Namespace) -> Path:
    path: Path = args.settings or claude_config_dir() / "settings.json"
    return path.expanduser()


def say(message: str) -> None:
    print(f"claude-rpg: {message}")


def fail(message: str) -> int:
    print(f"claude-rpg: {message}", file=sys.stderr)
    return 1


def parse_events(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return HOOK_EVENTS
    events = tuple(dict.fromkeys(e.strip() for e in raw.split(",") if e.strip()))
    bad = [e for e in events if not _EVENT_NAME.match(e)]
    if bad or not events:
        raise ValueError(
            f"{', '.join(bad) or raw!r} is not a hook event name; use names such as "
            f"{', '.join(HOOK_EVENTS[:3])}, separated by commas"
        )
    return events


def cmd_install(args: argparse.Namespace) -> int:
    paths = data_paths(args)
    settings = settings_path(args)
    try:
        events = parse_events(args.events)
        bash = find_bash()
        change = plan_install(settings, paths.hook_script, events, args.statusline)
    except (ValueError, SettingsError, HookScriptError) as e:
        return fail(str(e))
    if args.dry_run:
        say(f"dry run: would write the hook script {paths.hook_script} (port {args.port})")
        print(change.diff() or f"no change to {settings}: the hooks are already there")
        return 0
    try:
        # The script first: settings.json must never point at a script that is not there.
        write_script(paths, args.port, bash)
        backup = apply(change)
    except OSError as e:
        return fail(f"could not write {e.filename or settings}: {e.strerror or e}; nothing changed")
    if not change.changed:
        say(f"the hooks for {len(events)} events were already in {settings}; nothing changed")
    else:
        kept = f" (the previous file is in {backup})" if backup else ""
        say(f"hooks for {len(events)} events installed in {settings}{kept}")
    say(f"they send events to 127.0.0.1:{args.port}; start the app with the same --port")
    return 0


def cmd_uninstall(args: argparse.Namespace) -> int:
    settings = settings_path(args)
    try:
        change = plan_uninstall(settings)
    except SettingsError as e:
        return fail(str(e))
    removed = hooked_events(change.before)
    if args.dry_run:
        print(change.diff() or f"no change to {settings}: it has no claude-rpg hooks")
        return 0
    try:
        backup = apply(change)
    except OSError as e:
        return fail(f"could not write {settings}: {e.strerror or e}; nothing changed")
    if not change.changed:
        say(f"{settings} has no claude-rpg hooks; nothing changed")
    else:
        kept = f" (the previous file is in {backup})" if backup else ""
        say(f"removed the claude-rpg hooks for {len(removed)} events from {settings}{kept}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    paths = data_paths(args)
    settings = settings_path(args)
    try:
        current = load_settings(settings)
    except SettingsError as e:
        return fail(str(e))
    hooked = hooked_events(current)
    missing = [e for e in HOOK_EVENTS if e not in hooked]
    print(f"settings:  {settings}")
    print(f"hooked:    {', '.join(hooked) if hooked else 'none'}")
    print(f"status:    {statusline.describe(current.get('statusLine'))}")
    if missing:
        print(f"missing:   {', '.join(missing)} (run `claude-rpg hooks install`)")
    port = script_port(paths.hook_script)
    if port is None:
        print(f"script:    {paths.hook_script} is missing (run `claude-rpg hooks install`)")
        port = args.port
    else:
        print(f"script:    {paths.hook_script} (sends to 127.0.0.1:{port})")
    waiting = count_spooled(paths.spool) + count_spooled(fallback_spool(paths.root))
    health = app_health(port, paths, PROBE_TIMEOUT_S)
    if health is None:
        print(f"app:       not answering on 127.0.0.1:{port}; {waiting} events wait in the spool")
    else:
        version = health.get("version", "?")
        print(f"app:       claude-rpg {version} answers on 127.0.0.1:{port}")
    print(f"claude:    {claude_version()}")
    return 1 if missing else 0


def count_spooled(spool: Path) -> int:
    return len(records_in(spool))


def claude_version() -> str:
    """What `claude --version` says for the claude on PATH."""
    claude = shutil.which("claude")
    if claude is None:
        return "not found on PATH"
    try:
        done = subprocess.run(
            [claude, "--version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{claude} --version did not run ({e})"
    first = (done.stdout.strip().splitlines() or ["no version printed"])[0]
    return f"{first} at {claude}"
