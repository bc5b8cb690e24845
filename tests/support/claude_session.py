"""High-level helpers: start the real claude CLI in a private tmux pane, type, record hooks."""

from __future__ import annotations

import json
import os
import re
import shlex
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.claude_cli import (
    check_offline_env,
    claude_bin,
    offline_env,
    seed_home,
)
from tests.support.fake_anthropic import FakeAnthropic
from tests.support.private_tmux import PrivateTmux

# The idle footer of 2.1.197. It shows once the input box accepts keys (~0.5 s after launch,
# with the pane title turning to "✳ Claude Code" and SessionStart firing at the same moment).
# With a statusLine command installed (claude-rpg's hooks install one), the status line takes
# the place of "? for shortcuts" and only "← for agents" is left of that footer.
# A working footer reads "esc to interrupt · ← for agents": that line is not ready.
READY = re.compile(r"\? for shortcuts|(?m:^)(?![^\n]*esc to interrupt)[^\n]*← for agents")
# Shown while a turn runs (spinner line above the input box).
WORKING = re.compile(r"esc to interrupt")
PERMISSION_DIALOG = re.compile(r"Do you want to proceed\?")

HOOK_EVENTS: tuple[str, ...] = (
    "SessionStart",
    "SessionEnd",
    "UserPromptSubmit",
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "PostToolUseFailure",
    "PostToolBatch",
    "Notification",
    "Stop",
    "StopFailure",
    "SubagentStart",
    "SubagentStop",
    "PreCompact",
    "PostCompact",
)


def start_claude(
    tmux: PrivateTmux,
    fake: FakeAnthropic,
    home: Path,
    cwd: Path,
    args: Sequence[str] = (),
    extra_env: dict[str, str] | None = None,
    timeout: float = 20.0,
    ready: str | re.Pattern[str] = READY,
) -> str:
    """Start the real CLI offline in a new window, wait for its prompt, and return the pane id."""
    cwd.mkdir(parents=True, exist_ok=True)
    seed_home(home, [cwd])
    env = offline_env(home, fake.base_url, extra_env)
    check_offline_env(env)
    pane = tmux.new_window([str(claude_bin()), *args], cwd=cwd, env=env)
    tmux.wait_for(pane, ready, timeout)
    # Check the real process, not just what we meant to give it.
    verify_offline_process(int(tmux.pane_info(pane)["pane_pid"]))
    return pane


def input_box(screen: str) -> str:
    """Return the text of claude's input box: the lines between the last two ``───`` rules."""
    lines = screen.splitlines()
    rules = [i for i, line in enumerate(lines) if re.fullmatch(r"\s*─{20,}\s*", line)]
    if len(rules) < 2:
        return ""
    body = " ".join(line.strip() for line in lines[rules[-2] + 1 : rules[-1]])
    return re.sub(r"^❯\s?", "", body).strip()


def type_prompt(
    tmux: PrivateTmux, pane: str, text: str, submit: bool = True, timeout: float = 5.0
) -> None:
    """Type one line literally into claude's input box, wait for its echo, then press Enter."""
    if "\n" in text:
        raise ValueError("type_prompt types one line; send Enter or keys separately")
    tmux.send_text(pane, text)
    # Enter in the same read as the text can be taken as part of a paste: wait for the echo.
    # Compared without whitespace: a long line wraps inside the box at any character.
    tail = "".join(text.split())[-40:]
    deadline = time.monotonic() + timeout
    while tail not in "".join(input_box(tmux.capture(pane)).split()):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{text!r} never showed in the input box of {pane}; screen:\n{tmux.capture(pane)}"
            )
        time.sleep(0.02)
    if submit:
        tmux.send_keys(pane, "Enter")


def process_environ(pid: int) -> dict[str, str]:
    """Return the environment a running process was started with."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.decode("utf-8", "replace").partition("=") for item in raw.split(b"\0") if item)
    return {key: value for key, _, value in pairs}


def verify_offline_process(pid: int) -> dict[str, str]:
    """Assert that process pid is the pinned claude running with the offline env; return env."""
    exe = Path(f"/proc/{pid}/exe").resolve()
    wanted = claude_bin().resolve()
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    paths = [Path(os.fsdecode(arg)).resolve() for arg in cmdline if arg.startswith(b"/")]
    # $CLAUDE_RPG_TEST_CLAUDE_BIN may name a launcher (node script, wrapper) rather than the binary.
    if exe != wanted and wanted not in paths and exe.name not in ("claude", "claude.exe"):
        raise AssertionError(f"pane process {pid} is {exe} {cmdline!r}, not {wanted}")
    env = process_environ(pid)
    check_offline_env(env)
    return env


@dataclass(frozen=True)
class HookCall:
    """One recorded hook call: what the hook read on stdin and the $TMUX_PANE it saw."""

    t_ns: int
    tmux_pane: str
    hook_arg: str
    payload: dict[str, Any]

    @property
    def event(self) -> str:
        return str(self.payload.get("hook_event_name", self.hook_arg))

    @property
    def session_id(self) -> str:
        return str(self.payload.get("session_id", ""))


class HookRecorder:
    """Command hooks that record each call as one JSON file in a folder, for assertions."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def command(self, event: str) -> str:
        """Return the shell command of one hook (run by /bin/sh; prints nothing, exits 0)."""
        d = shlex.quote(str(self.directory))
        e = shlex.quote(event)
        # One file a call, written then renamed: parallel handlers never interleave and a
        # reader never sees half a file.
        return (
            'n=$(date +%s%N).$$; { printf \'{"t_ns":%s,"tmux_pane":"%s",'
            '"hook_arg":"%s","payload":%s}\\n\' "${n%.*}" "$TMUX_PANE" '
            f'{e} "$(cat)" > {d}/.$n && mv {d}/.$n {d}/$n.json; }} >/dev/null 2>&1; exit 0'
        )

    def settings(self, events: Iterable[str] = HOOK_EVENTS, timeout: int = 10) -> dict[str, Any]:
        """Return a settings.json ``hooks`` section that records every given event."""
        hooks = {
            event: [
                {
                    "matcher": "*",
                    "hooks": [
                        {"type": "command", "command": self.command(event), "timeout": timeout}
                    ],
                }
            ]
            for event in events
        }
        return {"hooks": hooks}

    def calls(self) -> list[HookCall]:
        """Return every recorded call, in the order the hooks started."""
        found: list[HookCall] = []
        for path in self.directory.glob("*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            found.append(
                HookCall(
                    t_ns=int(data["t_ns"]),
                    tmux_pane=str(data["tmux_pane"]),
                    hook_arg=str(data["hook_arg"]),
                    payload=dict(data["payload"]),
                )
            )
        return sorted(found, key=lambda c: (c.t_ns, c.event))

    def events(self) -> list[str]:
        return [c.event for c in self.calls()]

    def wait_for(
        self,
        event: str,
        timeout: float = 10.0,
        where: Callable[[HookCall], bool] | None = None,
        count: int = 1,
    ) -> HookCall:
        """Wait until ``count`` calls of ``event`` (matching ``where``) arrived; return the last."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [c for c in self.calls() if c.event == event and (where is None or where(c))]
            if len(matching) >= count:
                return matching[count - 1]
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"hook {event} x{count} not seen within {timeout}s; got {self.events()}"
                )
            time.sleep(0.02)
