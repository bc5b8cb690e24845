"""A tiny tmpfs as a data dir, in a mount namespace of the test's own (root only).

A test that needs a disk that really fills up runs twice: the outer run re-runs its inner
test under `unshare -m --propagation private` (so no mount shows outside it) and skips,
saying why, where that cannot be done; the inner run mounts the tmpfs and does the work.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.app_process import REPO

INSIDE = "CLAUDE_RPG_FAULTS_MOUNT_NS"


def mount_namespace_unavailable() -> str | None:
    """Why the tmpfs cannot be mounted here, or None."""
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root (CI runs the tests as root)"
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "unshare and mount (util-linux) are not installed"
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "true"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        return f"no private mount namespace here ({probe.stderr.decode().strip()})"
    return None


def run_inside(test_file: str, test_name: str, tmp_path: Path) -> None:
    """Run `test_file::test_name` in a private mount namespace; fail with its output."""
    reason = mount_namespace_unavailable()
    if reason is not None:
        pytest.skip(reason)
    inner = f"{Path(test_file).relative_to(REPO)}::{test_name}"
    run = subprocess.run(
        [
            *("unshare", "-m", "--propagation", "private"),
            *(sys.executable, "-m", "pytest", inner, "-q", "-p", "no:cacheprovider"),
            # Hypothesis's plugin imports hypothesis only in pytest's closing summary; after
            # a Qt test in there, CPython 3.11.7 once failed that import's AST step
            # ("SystemError: AST constructor recursion depth mismatch") with the inner test
            # passed. No inner test uses hypothesis, so its plugin is not loaded in there.
            *("-p", "no:hypothesispytest"),
            *("--basetemp", str(tmp_path / "inner")),
        ],
        cwd=REPO,
        env={**os.environ, INSIDE: "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout


def skip_outside() -> None:
    """Skip an inner test that was not started by run_inside()."""
    if os.environ.get(INSIDE) != "1":
        pytest.skip("runs inside the private mount namespace its outer test makes")


@contextmanager
def tmpfs(folder: Path, size: str = "4m") -> Iterator[Path]:
    """`folder` as a tmpfs of `size` (created 0700) until the block ends."""
    folder.mkdir(mode=0o700, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        check=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Write a ballast file until the disk is full (ENOSPC); return it."""
    ballast = folder / "ballast"
    chunk = b"\0" * 65536
    # Unbuffered: a buffered file keeps the chunk that did not fit and tries it again on
    # close, which raised ENOSPC out of the `with` whenever the last write was cut short.
    with ballast.open("wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC
                break
    # Small writes may still fit in the last partial page: take those bytes too.
    with ballast.open("ab", buffering=0) as f:
        for size in (4096, 512, 64, 1):
            while True:
                try:
                    f.write(b"\0" * size)
                except OSError:
                    break
    return ballast
