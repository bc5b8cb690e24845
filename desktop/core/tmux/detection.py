"""Is this pane running Claude? Pure functions over what tmux and /proc report."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum

from desktop.core.tmux.procs import Proc, ProcessTable

CLAUDE_NAMES = frozenset({"claude", "claude.exe"})
# The native installer runs a binary named after its version, e.g. 2.1.139.
_VERSION_NAME = re.compile(r"^\d+\.\d+\.\d+$")


class TitleGlyph(StrEnum):
    """What the first character of the pane title Claude sets says."""

    NONE = ""  # not a title Claude set (or titles are turned off)
    BUSY = "busy"  # a braille spinner: a turn is running
    QUIET = "quiet"  # ✳: idle at the prompt, or a dialog waits for an answer


_SPINNER = range(0x2801, 0x2900)  # braille patterns (U+2800 itself is blank)
QUIET_GLYPH = "✳"


def title_glyph(title: str) -> TitleGlyph:
    """Read the glyph Claude puts in front of its pane title (`⠂ Fix tests`, `✳ Claude Code`)."""
    first = title.lstrip()[:1]
    if not first:
        return TitleGlyph.NONE
    if ord(first) in _SPINNER:
        return TitleGlyph.BUSY
    if first == QUIET_GLYPH:
        return TitleGlyph.QUIET
    return TitleGlyph.NONE


@dataclass(frozen=True)
class RawPane:
    """A pane as `tmux list-panes -a` prints it."""

    pane_id: str
    session_name: str
    window_index: str
    pane_index: str
    pane_pid: int | None
    current_command: str
    current_path: str
    title: str
    dead: bool

    @property
    def target(self) -> str:
        return f"{self.session_name}:{self.window_index}.{self.pane_index}"


def is_claude_name(name: str) -> bool:
    """A process or command name that is Claude Code."""
    return name in CLAUDE_NAMES or bool(_VERSION_NAME.match(name))


def is_claude_proc(proc: Proc) -> bool:
    """A process that is Claude Code: by its name, its argv[0], or node running the CLI."""
    if is_claude_name(proc.comm) or is_claude_name(os.path.basename(proc.argv0)):
        return True
    # Older npm installs run `node .../@anthropic-ai/claude-code/cli.js`.
    return os.path.basename(proc.argv0) == "node" and "claude-code" in proc.argv1


def proc_version(proc: Proc | None) -> str:
    """The Claude release a process runs, when its name says it (the native installer's)."""
    if proc is None:
        return ""
    for name in (proc.comm, os.path.basename(proc.argv0)):
        if _VERSION_NAME.match(name):
            return name
    return ""


def find_claude(pane: RawPane, procs: ProcessTable) -> Proc | None:
    """The Claude process in a pane, or None. The first one found from the pane's root down."""
    if pane.pane_pid is None or pane.dead:
        return None
    for proc in procs.descendants(pane.pane_pid):
        if is_claude_proc(proc):
            return proc
    return None


def pane_runs_claude(pane: RawPane, procs: ProcessTable) -> tuple[bool, Proc | None]:
    """Whether the pane runs Claude, and its process when /proc shows it."""
    if pane.dead:
        return False, None
    proc = find_claude(pane, procs)
    if proc is not None:
        return True, proc
    # /proc may be unreadable (another user's panes, a container); trust tmux's word then.
    return is_claude_name(pane.current_command), None
