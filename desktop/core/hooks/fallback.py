"""The fallback spool: where the hook puts an event its data dir cannot take.

The hook writes each event into `<data dir>/spool`; when that fails (the disk is full, the
data dir is mounted read-only) it writes the same record into a fallback spool on another
filesystem instead, and the app drains both alike (desktop.core.hooks.spool). The fallback
is user-only and per data dir (`spool-<hash of the data dir>`), inside a folder of the
user's own:

- `$XDG_RUNTIME_DIR/claude-rpg` when XDG_RUNTIME_DIR names a folder the user owns (the
  login session's own tmpfs, mode 0700, made by systemd-logind);
- else `/dev/shm/claude-rpg-<uid>` when /dev/shm is a folder (a tmpfs on Linux);
- else `/tmp/claude-rpg-<uid>`.

The first is private by construction; the other two live in folders anyone can write, so
the hook makes its folder with umask 077 and writes into it only when it is a real folder
(not a symlink) owned by the user, and the app reads it only on the same terms (`trusted`):
a folder or symlink another user planted there is never written to nor read from. These
are memory filesystems: a record waits there only until the app stores it (at once when
the database can be written, else as soon as it can), and is lost if the machine is turned
off before; that is still one chance more than a full disk gives.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path

RUNTIME_FOLDER = "claude-rpg"
SHARED_CANDIDATES = (Path("/dev/shm"), Path("/tmp"))


def fallback_top(env: Mapping[str, str] | None = None) -> Path:
    """The user's own folder that holds the fallback spools (see the module docstring)."""
    env = os.environ if env is None else env
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime) and _owned_folder(Path(runtime)):
        return Path(runtime) / RUNTIME_FOLDER
    shared = next((p for p in SHARED_CANDIDATES if p.is_dir()), SHARED_CANDIDATES[-1])
    return shared / f"{RUNTIME_FOLDER}-{os.getuid()}"


def fallback_spool(root: Path, env: Mapping[str, str] | None = None) -> Path:
    """The fallback spool for the data dir `root`."""
    digest = hashlib.sha256(str(root.expanduser().resolve()).encode()).hexdigest()[:16]
    return fallback_top(env) / f"spool-{digest}"


def trusted(spool: Path) -> bool:
    """Is this fallback spool, and the folder holding it, a real folder of this user's?"""
    return _owned_folder(spool.parent) and _owned_folder(spool)


def _owned_folder(folder: Path) -> bool:
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
