"""`claude-rpg progression rebuild` as a separate process, also while the live path writes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.core.progression.rebuild import rebuild
from desktop.paths import DataPaths
from tests.core.progression_events import Core, all_rows, incoming, replay_all

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def live(data_dir: Path) -> Iterator[Core]:
    # tz=None: the machine's zone, as the app and the command both use it.
    core = Core(DataPaths(data_dir).database, tz=None)
    yield core
    core.close()


def test_rebuild_prints_every_persona_and_changes_nothing_that_was_right(
    live: Core, data_dir: Path
) -> None:
    replay_all(live.ingest)
    before = live.snapshot()
    done = run_cli("progression", "rebuild", "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["id", "persona", "xp", "before", "xp", "now", "level", "badges"]
    assert len(lines) == 2 + len(before)
    assert lines[-1].startswith(f"claude-rpg: rebuilt {len(before)} personas from ")
    assert lines[-1].endswith("; 0 changed their XP")
    assert live.snapshot() == before


def test_rebuild_without_a_database_says_what_to_do(tmp_path: Path) -> None:
    done = run_cli("progression", "rebuild", "--data-dir", str(tmp_path / "nothing"))
    assert done.returncode == 1
    assert "no database at" in done.stderr and "--data-dir" in done.stderr
    assert not (tmp_path / "nothing").exists()  # looking created nothing


def test_rebuild_while_events_keep_arriving(live: Core, data_dir: Path) -> None:
    replay_all(live.ingest)
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop", "progression", "rebuild", "--data-dir", str(data_dir)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    rounds = 0
    # New deliveries (new dedupe keys) of the recorded events, until the rebuild is done:
    # whatever the interleaving, the live path must carry on from what the rebuild wrote.
    while proc.poll() is None or rounds == 0:
        rounds += 1
        for stem, i, row in all_rows():
            live.ingest.ingest(incoming(f"{stem}-again{rounds}", i, row))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "claude-rpg: rebuilt" in out, err
    after_both = live.snapshot()
    rebuild(live.db, tz=None)
    assert live.snapshot() == after_both
