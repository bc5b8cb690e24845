"""Claude Code's status line: a snippet that keeps the JSON Claude hands it, then runs the
user's own statusLine command with the same input and prints exactly what it prints.

Claude 2.1.197 runs the statusLine command with `/bin/sh -c` (dash on Debian) in the
session's folder, with the session id in $CLAUDE_CODE_SESSION_ID, and pipes one JSON
document (ending in a newline) on every change. Our command (installed with the hooks,
removed with them) is plain sh, on one line:

    t=<their command> ; case ... s=<session id> ; f=<data dir>/status/$s.json ;
    g=<data dir>/status/.$s.$$.tmp ; if { cat > "$g" ; } 2>/dev/null ; then
      { mv -f "$g" "$f" 2>/dev/null ; eval "$t" ; } < "$g" ;
    else eval "$t" ; fi # claude-rpg-statusline

The input goes to a temp file of its own, which is then renamed over the session's one
file: the folder holds one file per session however often the status line runs, app up
or down, and the app never reads a half-written one. Their command runs in the same shell
with the temp file, opened before the rename, as its stdin: it reads the very bytes
Claude sent (another run of the snippet renames another file) and what it prints is what
Claude shows. `cat` and `mv` are the two programs it starts (bench/statusline_cost.py);
no shell builtin copies stdin or renames. When the file cannot be made (the data dir is
gone) the redirection fails before `cat` reads anything, and their command gets Claude's
stdin itself. A user without a statusLine gets ours only when asked
(`hooks install --statusline`): it prints nothing, but any status line, even an empty one,
takes the place of Claude's footer hint.
Uninstalling puts their command back (it is the `t=` word of ours).
"""

from __future__ import annotations

import copy
import shlex
from pathlib import Path
from typing import Any

from desktop.paths import DataPaths

MARKER = "claude-rpg-statusline"
STATUS_DIR = "status"


def status_dir(paths: DataPaths) -> Path:
    return paths.root / STATUS_DIR


def command_for(folder: Path, theirs: str) -> str:
    """Our statusLine command for a status folder, carrying the user's own command ('')."""
    return (
        f"t={shlex.quote(theirs)} ; "
        "case ${CLAUDE_CODE_SESSION_ID-} in ''|*[!0-9A-Za-z-]*) s=unknown ;; "
        "*) s=$CLAUDE_CODE_SESSION_ID ;; esac ; "
        f"f={shlex.quote(str(folder))}/$s.json ; g={shlex.quote(str(folder))}/.$s.$$.tmp ; "
        'if { cat > "$g" ; } 2>/dev/null ; '
        'then { mv -f "$g" "$f" 2>/dev/null ; eval "$t" ; } < "$g" ; '
        'else eval "$t" ; fi '
        f"# {MARKER}"
    )


def is_ours(status_line: Any) -> bool:
    return (
        isinstance(status_line, dict)
        and isinstance(status_line.get("command"), str)
        and status_line["command"].rstrip().endswith(f"# {MARKER}")
    )


def is_current(status_line: Any, folder: Path) -> bool:
    """Is this our status line as this release writes it for this status folder? (Earlier
    releases kept a file per run; `hooks install` rewrites theirs.)"""
    if not is_ours(status_line):
        return False
    command = status_line["command"]
    return bool(command == command_for(folder, their_command(command)))


def their_command(command: str) -> str:
    """The user's own command inside ours (its first word, `t=...`)."""
    first = shlex.split(command, comments=True)[0]
    return first[len("t=") :]


def with_ours(settings: dict[str, Any], folder: Path, always: bool = False) -> dict[str, Any]:
    """A copy whose statusLine runs our snippet around the user's own (idempotent); with
    none of theirs, only when `always` (it then prints nothing)."""
    out = copy.deepcopy(settings)
    current = out.get("statusLine")
    if is_ours(current):
        assert isinstance(current, dict)
        theirs = their_command(current["command"])
        base = dict(current)
    elif isinstance(current, dict):
        command = current.get("command")
        theirs = command if isinstance(command, str) else ""
        base = dict(current)
    elif current is None and always:
        theirs, base = "", {"type": "command"}
    else:
        # None of theirs: Claude then shows its own footer hint, which even an empty status
        # line would replace, so none is added unless asked for. One we do not understand
        # is kept out of our way too.
        return out
    base["command"] = command_for(folder, theirs)
    out["statusLine"] = base
    return out


def without_ours(settings: dict[str, Any]) -> dict[str, Any]:
    """A copy with the user's statusLine as it was before we wrapped it."""
    out = copy.deepcopy(settings)
    current = out.get("statusLine")
    if not is_ours(current):
        return out
    assert isinstance(current, dict)
    theirs = their_command(current["command"])
    rest = {k: v for k, v in current.items() if k != "command"}
    if not theirs and rest == {"type": "command"}:
        del out["statusLine"]  # they had none
    else:
        out["statusLine"] = {**current, "command": theirs}
    return out


def describe(status_line: Any) -> str:
    """One line for `hooks status`: whose status line runs, and whether ours wraps it."""
    if is_ours(status_line):
        theirs = their_command(status_line["command"])
        return f"ours, running yours: {theirs}" if theirs else "ours (you have none of your own)"
    if isinstance(status_line, dict) and isinstance(status_line.get("command"), str):
        return f"yours, not wrapped (run `claude-rpg hooks install`): {status_line['command']}"
    return "none (`claude-rpg hooks install --statusline` adds ours)"
