"""Sample projects for the screenshots: the recorded real hook events replayed into two real
git repositories, through the app's own ingest and progression, read by the project service."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop.core.hooks.payload import IncomingEvent
from desktop.core.ingest import EventIngest
from desktop.core.panes import PaneRegistry
from desktop.core.personas import PersonaService
from desktop.core.progression.service import ProgressionService
from desktop.core.projects.service import ProjectService
from desktop.core.projects.tracker import ProjectTracker
from desktop.core.sessions import SessionTracker
from desktop.store.db import Database

REPO = Path(__file__).resolve().parents[1]
RECORDINGS = {
    "claude-code-2.1.197-hook-events": "website",
    "claude-code-2.1.197-progression-events": "api-server",
}
RECORDED_CWD = "/home/dev/project"
BASE_STAMP = 1_700_000_000.0
# The end of the replayed day: the report and the streak are read as of then.
NOW = datetime.fromtimestamp(BASE_STAMP, UTC).replace(hour=23, minute=59)


def _moved(value: Any, new: str) -> Any:
    if isinstance(value, str) and value.startswith(RECORDED_CWD):
        return new + value[len(RECORDED_CWD) :]
    if isinstance(value, dict):
        return {k: _moved(v, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_moved(v, new) for v in value]
    return value


def _git_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    env = {"GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@x.invalid"}
    env |= {
        "GIT_COMMITTER_NAME": "s",
        "GIT_COMMITTER_EMAIL": "s@x.invalid",
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    subprocess.run(["git", "-C", str(path), "commit", "-q", "--allow-empty", "-m", "first"],
                   check=True, env=env)  # fmt: skip
    return path


def replayed_projects(root: Path) -> tuple[ProjectService, Database]:
    """A project service over a database holding the recorded events, as of NOW."""
    db = Database(root / "claude-rpg.sqlite3")
    registry = PaneRegistry()
    personas = PersonaService(db)
    ingest = EventIngest(db, personas, SessionTracker(db, registry))
    ingest.add_writer(ProgressionService(db, personas, tz=UTC).store_batch)
    for stem, name in RECORDINGS.items():
        repo = _git_repo(root / name)
        path = REPO / "tests" / "fixtures" / f"{stem}.jsonl"
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            row = json.loads(line)
            payload = _moved(row["payload"], str(repo))
            ingest.ingest(
                IncomingEvent(
                    payload,
                    payload["hook_event_name"],
                    payload["session_id"],
                    f"{stem}:{i}",
                    BASE_STAMP + float(row["t"]),
                )
            )
    return ProjectService(ProjectTracker(registry), registry, db, clock=lambda: NOW), db
