"""Health checks for `claude-rpg doctor` and the first-run panel: each finding says what to do."""

from __future__ import annotations

import datetime as dt
import enum
import os
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from desktop import config
from desktop.core.hooks.api_client import app_health
from desktop.core.hooks.command import command_for, script_port
from desktop.core.hooks.fallback import fallback_spool, trusted
from desktop.core.hooks.installer import HOOK_EVENTS, SettingsError, hooked_events, load_settings
from desktop.core.hooks.spool import records_in
from desktop.core.remote.hosts import HostsError, load_hosts
from desktop.core.remote.probe import host_findings, probe
from desktop.core.remote.ssh import control_dir
from desktop.core.tmux.client import TmuxClient
from desktop.core.usage import statusline
from desktop.paths import DataPaths, claude_config_dir, data_dir_flag
from desktop.store.backup import BACKUP_EVERY, last_backup_time, list_backups
from desktop.store.problems import ProblemKind, check_file

# The Claude Code release the app is tested against (tests/e2e drive exactly this one).
TESTED_CLAUDE_VERSION = (2, 1, 197)
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")
PROBE_TIMEOUT_S = 2.0


class Level(enum.Enum):
    """How bad a finding is: only FAIL makes doctor exit non-zero."""

    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    """One check's result: a sentence, and for a problem the command or step that fixes it."""

    topic: str
    level: Level
    message: str
    fix: str | None = None


@dataclass(frozen=True)
class DoctorTarget:
    """What to check: this data dir, port, tmux server and Claude settings file."""

    paths: DataPaths
    port: int
    tmux_socket: str | None = None
    claude_settings: Path | None = None

    @property
    def settings_path(self) -> Path:
        return self.claude_settings or claude_config_dir() / "settings.json"


def _version_text(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def parse_version(text: str) -> tuple[int, int, int] | None:
    """The first x.y.z in `claude --version` output ("2.1.197 (Claude Code)")."""
    found = _VERSION.search(text)
    return (int(found[1]), int(found[2]), int(found[3])) if found else None


def find_claude() -> Path | None:
    """claude on PATH, else where the native installer and `claude migrate-installer` put it."""
    on_path = shutil.which("claude")
    if on_path:
        return Path(on_path)
    for candidate in (Path.home() / ".local/bin/claude", Path.home() / ".claude/local/claude"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def check_tmux(socket_path: str | None = None) -> Finding:
    if shutil.which("tmux") is None:
        return Finding(
            "tmux",
            Level.FAIL,
            "tmux is not installed, so there are no panes to watch.",
            "install it (Debian/Ubuntu: sudo apt install tmux; Fedora: sudo dnf install tmux)",
        )
    version = subprocess.run(
        ["tmux", "-V"], capture_output=True, text=True, timeout=10, check=False
    ).stdout.strip()
    listing = TmuxClient(socket_path).list_panes()
    if listing.problem is not None:
        return Finding(
            "tmux",
            Level.FAIL,
            f"{version}: {listing.problem}",
            "start tmux (run `tmux` in a terminal) and run claude inside it",
        )
    return Finding("tmux", Level.OK, f"{version}, server running with {len(listing.panes)} panes")


def check_claude() -> Finding:
    claude = find_claude()
    if claude is None:
        return Finding(
            "claude",
            Level.FAIL,
            "the claude CLI was not found on PATH.",
            "install Claude Code (https://docs.claude.com/claude-code) and make sure "
            "`claude --version` works in your shell",
        )
    try:
        result = subprocess.run(
            [str(claude), "--version"], capture_output=True, text=True, timeout=20, check=False
        )
        output = (result.stdout + result.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return Finding(
            "claude",
            Level.FAIL,
            f"{claude} --version did not run: {e}.",
            "reinstall Claude Code, then check that `claude --version` prints a version",
        )
    version = parse_version(output)
    if version is None:
        return Finding(
            "claude",
            Level.FAIL,
            f"{claude} --version printed no version ({output[:80]!r}).",
            "reinstall Claude Code, then check that `claude --version` prints a version",
        )
    tested = _version_text(TESTED_CLAUDE_VERSION)
    if version > TESTED_CLAUDE_VERSION:
        return Finding(
            "claude",
            Level.WARN,
            f"Claude Code {_version_text(version)} at {claude} is untested: claude-rpg is tested "
            f"with {tested}. Its hook events (new ones and new fields too) are kept, but its "
            "screen is not read for status; hooks, the title and the session file are.",
            "nothing to do; `claude-rpg doctor` stops warning once claude-rpg is tested with it",
        )
    if version < TESTED_CLAUDE_VERSION:
        return Finding(
            "claude",
            Level.WARN,
            f"Claude Code {_version_text(version)} at {claude} is older than {tested}, the "
            "release claude-rpg is tested with; some hook events may never arrive.",
            "update Claude Code (claude update)",
        )
    return Finding("claude", Level.OK, f"Claude Code {_version_text(version)} at {claude}")


def check_hooks(target: DoctorTarget) -> Finding:
    path = target.settings_path
    install = f"claude-rpg hooks install --port {target.port}{data_dir_flag(target.paths.root)}"
    try:
        settings = load_settings(path)
    except SettingsError as e:
        return Finding("hooks", Level.FAIL, str(e), f"fix the file, then run `{install}`")
    missing = [e for e in HOOK_EVENTS if e not in hooked_events(settings)]
    if len(missing) == len(HOOK_EVENTS):
        return Finding(
            "hooks",
            Level.FAIL,
            f"the claude-rpg hooks are not installed in {path}, so no session is identified.",
            f"run `{install}`",
        )
    if missing:
        return Finding(
            "hooks",
            Level.FAIL,
            f"{path} lacks the claude-rpg hook for {', '.join(missing)}.",
            f"run `{install}`",
        )
    script = target.paths.hook_script
    commands = {
        str(h.get("command", ""))
        for groups in settings.get("hooks", {}).values()
        for group in groups
        if isinstance(group, dict)
        for h in group.get("hooks", [])
        if isinstance(h, dict)
    }
    if not all(command_for(script, event) in commands for event in HOOK_EVENTS):
        return Finding(
            "hooks",
            Level.FAIL,
            f"the hooks in {path} were installed for another data dir or an older version.",
            f"run `{install}`",
        )
    if not os.access(script, os.X_OK):
        return Finding(
            "hooks", Level.FAIL, f"the hook script {script} is missing.", f"run `{install}`"
        )
    port = script_port(script)
    if port != target.port:
        return Finding(
            "hooks",
            Level.FAIL,
            f"the hook script sends events to port {port}, but the app listens on {target.port}.",
            f"run `{install}`",
        )
    status_line = settings.get("statusLine")
    if statusline.is_ours(status_line) and not statusline.is_current(
        status_line, statusline.status_dir(target.paths)
    ):
        return Finding(
            "hooks",
            Level.WARN,
            f"the status line in {path} was installed for another data dir or by an older "
            "version (one that keeps a file per status-line run).",
            f"run `{install}`",
        )
    return Finding("hooks", Level.OK, f"installed in {path} for port {target.port}")


def _port_free(port: int, kind: socket.SocketKind) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        if kind == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def check_listener(target: DoctorTarget) -> Finding:
    """The app needs TCP `port` (the API) and UDP `port` (the hooks' doorbell) on loopback."""
    port = target.port
    move = (
        "pick another port in Settings (or start with --port N), then run "
        "`claude-rpg hooks install --port N`"
    )
    tcp_free = _port_free(port, socket.SOCK_STREAM)
    udp_free = _port_free(port, socket.SOCK_DGRAM)
    if tcp_free and udp_free:
        return Finding("listener", Level.OK, f"port {port} is free (claude-rpg is not running)")
    health = None if tcp_free else app_health(port, target.paths, PROBE_TIMEOUT_S)
    if health is None:
        what = "TCP" if not tcp_free else "UDP"
        return Finding(
            "listener",
            Level.FAIL,
            f"{what} port {port} is in use by another program, so claude-rpg cannot "
            f"{'serve its API' if what == 'TCP' else 'hear hook events at once'} there.",
            move,
        )
    theirs = Path(str(health.get("data_dir", "")))
    if theirs.resolve() != target.paths.root.resolve():
        return Finding(
            "listener",
            Level.FAIL,
            f"port {port} is used by another claude-rpg (data dir {theirs}).",
            "quit that one, or give this one another port with --port N",
        )
    spool = health.get("spool")
    doorbell = spool.get("doorbell_error") if isinstance(spool, dict) else None
    if doorbell:
        return Finding(
            "listener",
            Level.WARN,
            f"claude-rpg {health.get('version', '?')} is answering on {port}, but {doorbell}.",
            f"find what holds UDP port {port} (ss -ulpn), or {move}",
        )
    return Finding(
        "listener", Level.OK, f"claude-rpg {health.get('version', '?')} is answering on {port}"
    )


def check_data_dir(paths: DataPaths) -> Finding:
    root = paths.root
    if not root.exists():
        parent = next((p for p in root.parents if p.exists()), None)
        if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK):
            return Finding(
                "data dir",
                Level.FAIL,
                f"{root} does not exist and cannot be created under {parent}.",
                "make that folder writable or start with --data-dir PATH",
            )
        return Finding("data dir", Level.OK, f"{root} will be created on first start")
    if not root.is_dir() or not os.access(root, os.W_OK | os.X_OK):
        return Finding(
            "data dir",
            Level.FAIL,
            f"{root} is not a writable folder.",
            "fix its permissions (chmod u+rwx) or start with --data-dir PATH",
        )
    database = paths.database.absolute()
    if not database.exists():
        return Finding("data dir", Level.OK, f"{root} is writable (no database yet)")
    problem = check_file(database)
    if problem is not None:
        flag = data_dir_flag(root)
        fix = (
            f"quit claude-rpg and run `claude-rpg db repair{flag}` (the damaged file is kept)"
            if problem.kind is ProblemKind.DAMAGED
            else "fix the file's permissions (chmod u+rw) or free space on its disk"
        )
        return Finding("data dir", Level.FAIL, problem.sentence(flag), fix)
    return Finding("data dir", Level.OK, f"{root} is writable; the database {database} is sound")


def check_fallback_spool(paths: DataPaths) -> list[Finding]:
    """Hook events waiting in the fallback spool (the data dir could not take them); [] if none."""
    spool = fallback_spool(paths.root)
    waiting = len(records_in(spool)) if trusted(spool) else 0
    if not waiting:
        return []
    return [
        Finding(
            "spool",
            Level.WARN,
            f"{waiting} hook events wait in the fallback spool {spool}: the data dir "
            f"{paths.root} could not take them when Claude sent them (a full disk or a "
            "read-only data dir). claude-rpg stores them from there once it can write its "
            "database.",
            "start claude-rpg, and free space or make the data dir writable if it says so "
            "(the fallback is in memory: they are lost if the machine is turned off first)",
        )
    ]


def _ago(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return f"{max(0, round(hours * 60))} min ago"
    return f"{hours:.0f} h ago" if hours < 48 else f"{hours / 24:.0f} days ago"


def check_backups(paths: DataPaths, now: dt.datetime | None = None) -> Finding:
    """When the last backup was made (the app takes one a day while it runs)."""
    now = now or dt.datetime.now(dt.UTC)
    kept = list_backups(paths.backups)
    last = last_backup_time(paths.backups)
    if last is None and not paths.database.exists():
        return Finding("backups", Level.OK, "none yet (there is no database yet)")
    when = (
        f"{last:%Y-%m-%d %H:%M} UTC ({_ago(now - last)}), {len(kept)} kept in {paths.backups}"
        if last is not None
        else ""
    )
    if last is None or now - last > 2 * BACKUP_EVERY:
        what = f"the last backup was made {when}" if last else f"no backup of {paths.database} yet"
        return Finding(
            "backups",
            Level.WARN,
            f"{what}; claude-rpg takes one a day while it runs.",
            "start claude-rpg, or run `claude-rpg db backup` now",
        )
    return Finding("backups", Level.OK, f"last made {when}")


def check_config(path: Path | None = None) -> Finding:
    path = path or config.default_config_file()
    try:
        config.load_settings(path)
    except config.ConfigError as e:
        return Finding("settings", Level.FAIL, str(e), "fix the file, or delete it for defaults")
    if not path.exists():
        return Finding("settings", Level.OK, f"defaults ({path} is written on the first save)")
    return Finding("settings", Level.OK, f"{path}")


def check_hosts(paths: DataPaths) -> list[Finding]:
    """Each remote host: reachable over ssh, a compatible claude-rpg running, hooks there."""
    try:
        hosts = load_hosts(paths.root)
    except HostsError as e:
        return [Finding("hosts", Level.FAIL, str(e), "fix or remove the file")]
    if not hosts:
        return []
    try:
        controls = control_dir(paths.root)
    except OSError as e:
        return [Finding("hosts", Level.FAIL, str(e))]
    return [
        Finding("hosts", Level.OK if fine else Level.FAIL, message, fix)
        for host in hosts
        for fine, message, fix in host_findings(probe(host, controls))
    ]


def run_checks(target: DoctorTarget) -> list[Finding]:
    """Every check, in the order a person would fix things."""
    return [
        check_config(),
        check_data_dir(target.paths),
        *check_fallback_spool(target.paths),
        check_backups(target.paths),
        check_tmux(target.tmux_socket),
        check_claude(),
        check_hooks(target),
        check_listener(target),
        *check_hosts(target.paths),
    ]
