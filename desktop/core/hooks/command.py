"""The hook command Claude Code runs: a bash file sourced by the shell Claude starts.

Chosen by measurement (bench/hook_cost.py): starting any program costs Claude about a
millisecond and curl several, and waiting for the app's reply ties every tool call to the
app's event loop (which also draws the UI). So the hook waits for nothing and, under bash,
starts no program for a payload up to READ_CHUNK bytes (a longer one is read by `cat`) nor
for the spool cap's check (only a drop at the cap runs `rm`): the shell Claude already
started reads this file, writes the event to the spool (one new file per event: written
before Claude goes on, so nothing is lost if the app is down or dies) and rings the app's
doorbell, one UDP datagram to 127.0.0.1 carrying the event's id and no secret. Claude
2.1.197 starts hooks with /bin/sh, which on Debian is dash: there the script hands over to
bash with one exec. The app then reads the file, stores the event and deletes the file
(desktop.core.hooks.spool); what it missed it finds by watching the spool. When the spool
cannot take the record (a full disk, a read-only data dir), the hook writes it to the
fallback spool on another filesystem (desktop.core.hooks.fallback), which the app drains
alike; only that failure path starts programs (`rm`, `mkdir`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shlex
import shutil
from pathlib import Path

from desktop.config import DEFAULT_SPOOL_CAP_MB, configured_settings
from desktop.core.hooks.fallback import fallback_spool
from desktop.core.usage import statusline
from desktop.paths import DataPaths, default_config_dir

log = logging.getLogger(__name__)

# Marks the script we write; our settings.json handlers are recognised by STAMP_VAR.
MARKER = "claude-rpg-hook"
STAMP_VAR = "CLAUDE_RPG_STAMP"
EVENT_VAR = "CLAUDE_RPG_EVENT"
# A spool record: this first field, then id, stamp, pane, pid, event and the payload's
# length in bytes, tab-separated, on one line; then the payload and a newline. The length
# tells a complete record from one still being written, without a rename (a new process).
SPOOL_MAGIC = "claude-rpg-spool/1"
SPOOL_SUFFIX = ".rec"
# bash reads a pipe one byte per call: payloads longer than this are read by `cat` at once.
READ_CHUNK = 4096
# The spool cap counts each record as its payload plus this (its header line, rounded up).
RECORD_OVERHEAD = 128
# The cap is checked on at least one record in this many (more when the spool is large).
CAP_EVERY_MIN = 16
# Where a cap check leaves how many records it dropped: `.dropped-<record id>-<n>`, a file
# per count (releases before appended to one `.dropped` file, still read).
DROPPED_PREFIX = ".dropped-"
DROPPED_FILE = ".dropped"
# The spare copy of the hook script lives in this folder of the config dir (see spare_script).
SPARE_DIR = "hooks"
EVERY_FILE = ".every"

_SCRIPT = """\
#!{bash}
# {marker}: written by `claude-rpg hooks install`, which rewrites it; edits are lost.
# For each hook Claude Code runs `[ -f <file> ] && ... {stamp_var}=$EPOCHREALTIME
# {event_var}=<event> . <file>; exit 0`: the shell Claude started reads this file (under
# bash no program starts for a payload up to {chunk} bytes).
# It writes the event to the spool, then rings claude-rpg's doorbell (UDP, 127.0.0.1:{port})
# and goes: the app reads the spool file. It prints nothing and exits 0 whatever happens:
# on SessionStart and UserPromptSubmit anything printed would reach Claude's context, and a
# failing hook shows an error to the user.
exec >/dev/null 2>&1
{gate}# sh (Claude 2.1.197 runs hooks with /bin/sh: dash on Debian) or zsh: hand over to bash,
# the one with /dev/udp and $EPOCHREALTIME (exec: one program, no fork).
[ -n "${{BASH_VERSION-}}" ] || {{ [ -x {bash} ] && exec {bash} {script} \
"${{{event_var}-}}" "${{{stamp_var}-}}"; exit 0; }}
LC_ALL=C
shopt -s extglob nullglob
ev=${{{event_var}:-${{1:-Unknown}}}}
stamp=${{{stamp_var}:-${{2:-$EPOCHREALTIME}}}}
stamp=${{stamp/,/.}}
case $stamp in ''|*[!0-9.]*) stamp=$(date +%s.%N) ;; esac
pane=${{TMUX_PANE-}}
pane=${{pane//[!%0-9]/}}
pid=${{CLAUDE_PID:-$PPID}}
pid=${{pid//[!0-9]/}}
body=
IFS= read -r -N {chunk} body
[ ${{#body}} -lt {chunk} ] || body+=$(cat)
[ -n "$body" ] || exit 0
# The id ends in the payload's size: the cap check adds up the spool from the names alone.
id=$stamp-$$-${{#body}}
spool={spool}
umask 077
spool_write() {{
  printf '{magic}\\t%s\\t%s\\t%s\\t%s\\t%s\\t%d\\n%s\\n' \
"$id" "$stamp" "$pane" "$pid" "$ev" "${{#body}}" "$body" > "$spool/$id{suffix}"
}}
# A missing spool is made again; a full or unwritable one leaves no half record behind,
# and the record goes to the fallback spool on another filesystem (user-only: its folder
# is used only when it is a real folder, no symlink, owned by this user).
spool_write || {{ mkdir -p "$spool" && spool_write; }} || {{
  rm -f "$spool/$id{suffix}"
  top={fallback_top}
  spool={fallback}
  {{ [ ! -e "$top" ] || [ -O "$top" ]; }} && [ ! -L "$top" ] || exit 0
  [ -d "$spool" ] || mkdir -p "$spool" || exit 0
  [ ! -L "$top" ] && [ -O "$top" ] && [ ! -L "$spool" ] && [ -O "$spool" ] || exit 0
  spool_write || {{ rm -f "$spool/$id{suffix}"; exit 0; }}
}}
# The ring carries the id only: anyone may bind this port while the app is down.
printf '%s\\n' "$id" > /dev/udp/127.0.0.1/{port}
# The cap ({cap} bytes: payloads plus {overhead} a record), for when the app is down for
# long. Adding up the spool costs time in proportion to its records, so it is checked on
# about one record in $every, and $every is 1/64 of the records last seen (at least
# {every_min}): the work per hook stays flat and the spool overshoots by about 1/64.
cap_check() {{
  local -a recs sizes drop
  local IFS=+ total i removed lines
  # Only names this script writes (stamp-pid-size, size without a leading 0), so the sum
  # below can never be a bad expression (which would end the shell with status 1).
  recs=("$spool"/+([0-9.])-+([0-9])-[1-9]*([0-9]){suffix})
  printf '%d\\n' $(( ${{#recs[@]}} / 64 + {every_min} )) > "$spool/.every"
  sizes=("${{recs[@]##*-}}")
  sizes=("${{sizes[@]%{suffix}}}")
  total=$(( ${{sizes[*]}} + 0 + {overhead} * ${{#recs[@]}} ))
  # Oldest first (names sort by stamp), never the newest: drop until the rest fits.
  for (( i = 0; total > {cap} && i < ${{#recs[@]}} - 1; i++ )); do
    drop+=("${{recs[i]}}")
    total=$(( total - sizes[i] - {overhead} ))
  done
  # rm -v names what it removed: two checks at once never count a record twice. Each
  # count goes in a file of its own, its line written at once: the app deletes a file once
  # its line is whole, and never one a check may still write to.
  for (( i = 0; i < ${{#drop[@]}}; i += 1000 )); do
    removed=$(rm -fv -- "${{drop[@]:i:1000}}")
    [ -n "$removed" ] || continue
    lines=${{removed//[!$'\\n']/}}
    printf '%d\\n' $(( ${{#lines}} + 1 )) > "$spool/{dropped}$id-$i"
  done
}}
every={every_min}
read -r every < "$spool/.every"
case $every in ''|*[!0-9]*|0*) every={every_min} ;; esac
# In a forked subshell (no program starts): Claude goes on without waiting for the sum.
if (( RANDOM % every == 0 )); then cap_check </dev/null & fi
exit 0
"""

_PORT_IN_SCRIPT = re.compile(r"/dev/udp/127\.0\.0\.1/(\d+)")


class HookScriptError(Exception):
    """The hook script cannot be written; the message says what to do."""


def find_bash() -> Path:
    """The bash the hook hands over to when Claude's shell is zsh or sh."""
    found = shutil.which("bash")
    if found is None:
        raise HookScriptError(
            "bash was not found on PATH; the claude-rpg hook needs bash: install it "
            "and run `claude-rpg hooks install` again"
        )
    return Path(found).resolve()


def render_script(
    paths: DataPaths,
    port: int,
    bash: Path,
    cap_mb: int = DEFAULT_SPOOL_CAP_MB,
    every_min: int = CAP_EVERY_MIN,
    script: Path | None = None,
    app_pid: int | None = None,
) -> str:
    """The hook script's text for this data dir, port, bash and spool cap.

    `script` is where this copy lives (the data dir's hook script unless given): under sh
    it hands over to bash by running itself again. With `app_pid` (the spare copy) it does
    anything only while that process lives.
    """
    gate = ""
    if app_pid is not None:
        gate = (
            "# The spare copy: used only while the app that wrote it runs (kill -0 is a\n"
            "# builtin); an app removed with its data dir leaves nothing to spool for.\n"
            f"kill -0 {int(app_pid)} || exit 0\n"
        )
    fallback = fallback_spool(paths.root)
    return _SCRIPT.format(
        bash=shlex.quote(str(bash)),
        marker=MARKER,
        stamp_var=STAMP_VAR,
        event_var=EVENT_VAR,
        port=int(port),
        script=shlex.quote(str(script or paths.hook_script)),
        spool=shlex.quote(str(paths.spool)),
        fallback_top=shlex.quote(str(fallback.parent)),
        fallback=shlex.quote(str(fallback)),
        chunk=READ_CHUNK,
        magic=SPOOL_MAGIC,
        suffix=SPOOL_SUFFIX,
        cap=int(cap_mb) * 1024 * 1024,
        overhead=RECORD_OVERHEAD,
        every_min=int(every_min),
        gate=gate,
        dropped=DROPPED_PREFIX,
    )


def script_port(script: Path) -> int | None:
    """The port an installed hook script sends to, or None when it cannot be read."""
    try:
        found = _PORT_IN_SCRIPT.search(script.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return int(found.group(1)) if found else None


def write_script(
    paths: DataPaths, port: int, bash: Path | None = None, cap_mb: int | None = None
) -> Path:
    """Write the hook script (atomically, executable) and make sure the API secret exists.

    The spool cap is the saved setting unless `cap_mb` is given.
    """
    cap = cap_mb if cap_mb is not None else configured_settings().spool_cap_mb
    text = render_script(paths, port, bash or find_bash(), cap)
    paths.ensure()
    paths.secret()
    target = paths.hook_script
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o700)
    os.replace(tmp, target)
    # Where the status-line snippet keeps Claude's status JSON (user-only, as the data dir).
    statusline.status_dir(paths).mkdir(mode=0o700, exist_ok=True)
    return target


def spare_script(script: Path) -> Path:
    """The spare copy of a hook script, outside its data dir (in the user's config dir).

    The settings.json command runs it when the data dir's own script is missing (the data
    dir removed while the app runs, before the app puts it back): it spools the event as
    the script would, making the spool folder again (or using the fallback spool), so those
    hook calls are not lost. One per data dir, named after the script's path. Only the
    running app writes it (`write_spare`), and it works only while that app runs: with the
    app gone too (removed without `hooks uninstall`), nothing is spooled and the data dir
    is not made again.
    """
    digest = hashlib.sha256(str(script.absolute()).encode()).hexdigest()[:16]
    return default_config_dir() / SPARE_DIR / f"{MARKER}-{digest}"


def write_spare(paths: DataPaths, app_pid: int, cap_mb: int | None = None) -> bool:
    """Write the spare script for the running app `app_pid` (True if written).

    It follows the installed script's port, and the saved spool cap unless `cap_mb` is
    given; with no script installed there is none. A spare that cannot be written is
    logged and left: the data dir's script still works.
    """
    port = script_port(paths.hook_script)
    if port is None:
        return False
    spare = spare_script(paths.hook_script)
    try:
        cap = cap_mb if cap_mb is not None else configured_settings().spool_cap_mb
        text = render_script(paths, port, find_bash(), cap, script=spare, app_pid=app_pid)
        spare.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = spare.with_name(f".{spare.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.chmod(tmp, 0o700)
        os.replace(tmp, spare)
    except (OSError, HookScriptError) as e:
        log.warning("could not write the spare hook script %s (%s)", spare, e)
        return False
    return True


def remove_spare(paths: DataPaths) -> None:
    """Remove the spare script (the app stops: it would do nothing anyway)."""
    spare_script(paths.hook_script).unlink(missing_ok=True)


def refresh_script(paths: DataPaths) -> bool:
    """Rewrite an installed script that differs from this release's (same port); True if so.

    Scripts of older releases rang the doorbell with the secret; the app fixes them at start
    instead of waiting for the user to run `claude-rpg hooks install` again.
    """
    port = script_port(paths.hook_script)
    if port is None:
        return False
    try:
        text = render_script(paths, port, find_bash(), configured_settings().spool_cap_mb)
        if paths.hook_script.read_text(encoding="utf-8", errors="replace") == text:
            return False
        write_script(paths, port)
    except (OSError, HookScriptError):
        return False
    return True


def command_for(script: Path, event: str) -> str:
    """The settings.json command string for one event.

    Claude 2.1.197 runs it with `/bin/sh -c` (dash on Debian and Ubuntu, bash elsewhere),
    and users may run it under zsh: it must be safe in all three. `[` is a builtin in each,
    so the guard starts no program; it comes before `.` because dash aborts with status 2
    (a blocking hook error for Claude) on `.` of a missing file, bash fails with 1 and zsh
    with 127, each printing an error. The time is stamped before `.` reads the script into
    that same shell ($PPID there is the claude process). The script always exits, so the
    spare copy (`spare_script`) runs only when the data dir's script is missing or
    unreadable (the data dir removed, unmounted); the final `exit 0` makes both missing a
    silent no-op.
    """
    run = f"{STAMP_VAR}=$EPOCHREALTIME {EVENT_VAR}={event} ."
    return (
        "; ".join(
            f"[ -f {path} ] && [ -r {path} ] && {run} {path}"
            for path in (shlex.quote(str(script)), shlex.quote(str(spare_script(script))))
        )
        + "; exit 0"
    )


def is_our_command(command: str) -> bool:
    """Was this settings.json command string written by us (this version or an older one)?"""
    return f"{STAMP_VAR}=" in command and MARKER in command
