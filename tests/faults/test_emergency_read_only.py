"""The data dir's file system turned read-only under the running app, as after a disk error.

A file system mounted read-write cannot be remounted read-only while the app holds its
database open for writing (EBUSY); the kernel does it anyway when the file system reports
an error and is mounted `errors=remount-ro` (ext4's usual setting): from then on every
write fails, through open files too. The test mounts a small ext4 image (a loop device)
as the data dir in a private mount namespace and makes ext4 report an error through its
own switch (/sys/fs/ext4/<device>/trigger_fs_error). The hook then writes to the fallback
spool, the app cannot store and says so, and keeps running; ext4 needs a check and a new
mount to be written again, so the app is stopped, the file system checked and mounted
again, and the app started: every event sent is stored.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from desktop.core.hooks.fallback import fallback_spool
from desktop.paths import DataPaths
from tests.core.test_spool import fire, numbered
from tests.faults.conftest import hooked_app, stored_count, stored_keys, wait_until
from tests.faults.private_mount import mount_namespace_unavailable, run_inside, skip_outside
from tests.support.app_process import AppProcess


def ext4_unavailable(where: Path) -> str | None:
    """Why an ext4 image cannot be mounted on a loop device here, or None."""
    reason = mount_namespace_unavailable()
    if reason is not None:
        return reason
    if shutil.which("mkfs.ext4") is None or shutil.which("e2fsck") is None:
        return "mkfs.ext4 and e2fsck (e2fsprogs) are not installed"
    image = where / "probe.img"
    subprocess.run(["truncate", "-s", "4M", str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True, capture_output=True)
    mount_point = where / "probe"
    mount_point.mkdir()
    probe = subprocess.run(
        ["unshare", "-m", "mount", "-o", "loop", str(image), str(mount_point)],
        capture_output=True,
        check=False,
    )
    image.unlink()
    if probe.returncode != 0:
        return f"no loop device to mount an ext4 image on ({probe.stderr.decode().strip()})"
    return None


def test_a_file_system_turned_read_only_under_the_app_loses_no_event(tmp_path: Path) -> None:
    reason = ext4_unavailable(tmp_path)
    if reason is not None:
        pytest.skip(reason)
    run_inside(__file__, "test_inside_a_private_mount_namespace", tmp_path)


def mount_image(image: Path, data: Path) -> str:
    """Mount the image read-write on `data`; the loop device's name (loop3)."""
    subprocess.run(["mount", "-o", "loop,errors=remount-ro", str(image), str(data)], check=True)
    found = subprocess.run(
        ["findmnt", "-no", "SOURCE", str(data)], capture_output=True, text=True, check=True
    )
    return Path(found.stdout.strip()).name


def health(app: AppProcess) -> dict[str, object]:
    found = app.get("/api/health")
    assert isinstance(found, dict)
    return found


def test_inside_a_private_mount_namespace(tmp_path: Path) -> None:
    skip_outside()
    image, data = tmp_path / "disk.img", tmp_path / "data"
    subprocess.run(["truncate", "-s", "32M", str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True, capture_output=True)
    data.mkdir(mode=0o700)
    device = mount_image(image, data)
    data.chmod(0o700)
    paths = DataPaths(data)
    fallback = fallback_spool(data)
    app = hooked_app(data, tmp_path / "no-tmux.sock").start()
    events = numbered(30)
    try:
        fire(paths, events[:10])
        wait_until(lambda: stored_count(paths.database) == 10, "the first events stored")

        # No flush here: the fault comes right after the first events were stored and their
        # spool records deleted, as a power cut or a disk error would. A record is deleted
        # only once the commit that stored it is on disk (synchronous=FULL, see
        # desktop/store/db.py), so those events must survive it; before, their commits were
        # still in the page cache and were dropped with it, the records already gone.
        # The disk reports an error: ext4 turns read-only at once, open files included.
        Path(f"/sys/fs/ext4/{device}/trigger_fs_error").write_text("1\n")
        with pytest.raises(OSError, match="Read-only file system"):
            (paths.spool / "probe").write_text("the file system is read-only now")
        fire(paths, events[10:25])  # through the installed hook, as Claude runs it

        def problems() -> tuple[str, str]:
            found = health(app)
            store, spool = found["store"], found["spool"]
            assert isinstance(store, dict) and isinstance(spool, dict)
            return str(store["problem"] or ""), str(spool["problem"] or "")

        wait_until(lambda: all(problems()), "the read-only file system reported")
        store_problem, spool_problem = problems()
        assert store_problem.startswith(f"The database {paths.database} cannot be written")
        assert (
            "its file system turned read-only after a disk error; check the disk (fsck) and "
            "mount it again" in store_problem
        )
        assert spool_problem.startswith(
            f"Hook events cannot be written to the spool {paths.spool} (writing there "
            f"failed); they go to the fallback spool {fallback} meanwhile"
        )
        spool = health(app)["spool"]
        assert isinstance(spool, dict) and spool["fallback"]["waiting"] == 15  # type: ignore[index]
        assert app.proc is not None and app.proc.poll() is None, "the app keeps running"
        app.stop()
        fire(paths, events[25:])  # with the app down too: to the fallback spool

        # The way back from an emergency read-only mount: check the file system, mount it
        # again, start the app.
        subprocess.run(["umount", str(data)], check=True)
        checked = subprocess.run(["e2fsck", "-fy", str(image)], capture_output=True, check=False)
        assert checked.returncode in (0, 1), checked.stdout  # 1: errors found and fixed
        mount_image(image, data)
        app.start()
        wait_until(lambda: not list(fallback.glob("*.rec")), "the fallback spool drained")
        stored = stored_keys(paths.database)
        assert len(stored) == 30, f"{30 - len(stored)} of the 30 events sent were lost"
        assert not list(paths.spool.glob("*.rec"))
        assert app.stop() == 0
    finally:
        app.stop()
        subprocess.run(["umount", "-l", str(data)], check=False)
