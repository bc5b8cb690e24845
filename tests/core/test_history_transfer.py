"""`claude-rpg export` and `import`: a round trip keeps everything, twice changes nothing."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.core.history.transfer import ImportFileError, export_lines, import_from
from desktop.core.hooks.payload import IncomingEvent
from desktop.store.db import Database
from desktop.store.repos import PersonaRepo
from tests.core.progression_events import Core, replay_all

REPO = Path(__file__).resolve().parents[2]


def table_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """What an import is about, in comparable form (ids and creation times aside)."""
    conn = sqlite3.connect(path)
    try:
        return {
            "events": conn.execute(
                "SELECT dedupe_key, event_name, session_id, pane_id, claude_pid, stamp,"
                " received_at, tool_name, cwd, record FROM hook_event ORDER BY dedupe_key"
            ).fetchall(),
            "personas": conn.execute(
                "SELECT session_id, name, avatar_seed, xp, level FROM persona ORDER BY session_id"
            ).fetchall(),
            "links": conn.execute(
                "SELECT ps.session_id, p.session_id FROM persona_session ps"
                " JOIN persona p ON p.id = ps.persona_id ORDER BY ps.session_id"
            ).fetchall(),
            "ledger": conn.execute(
                "SELECT p.session_id, a.rule, a.amount, a.reason, a.awarded_at FROM xp_award a"
                " JOIN persona p ON p.id = a.persona_id ORDER BY 1, 5, 2"
            ).fetchall(),
            "badges": conn.execute(
                "SELECT p.session_id, b.badge_key FROM badge b"
                " JOIN persona p ON p.id = b.persona_id ORDER BY 1, 2"
            ).fetchall(),
        }
    finally:
        conn.close()


@pytest.fixture
def source(tmp_path: Path) -> Core:
    core = Core(tmp_path / "source" / "claude-rpg.sqlite3")
    replay_all(core.ingest)
    # A session /clear continued: its id leads to the first persona, and it has an event.
    with core.db.session() as s:
        PersonaRepo(s).link_session("cleared-session", 1, "continued")
    core.ingest.ingest(
        IncomingEvent({"cwd": "/p"}, "Stop", "cleared-session", "cleared:1", 1_800_000_000.0)
    )
    return core


def test_round_trip_keeps_log_personas_and_progression(source: Core, tmp_path: Path) -> None:
    text = "".join(export_lines(source.db))
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["kind"] == "header"
    assert {line["kind"] for line in lines[1:]} == {"persona", "event"}
    # /clear links travel with their persona.
    assert any(line.get("sessions") for line in lines if line["kind"] == "persona")

    target = Database(tmp_path / "target" / "claude-rpg.sqlite3")
    report = import_from(target, io.StringIO(text))
    target.close()
    assert report.events_added == sum(line["kind"] == "event" for line in lines)
    assert report.events_known == 0
    assert table_rows(target.path) == table_rows(source.db.path)
    source.close()


def test_importing_twice_changes_nothing(source: Core, tmp_path: Path) -> None:
    text = "".join(export_lines(source.db))
    target = Database(tmp_path / "target" / "claude-rpg.sqlite3")
    import_from(target, io.StringIO(text))
    once = table_rows(target.path)
    again = import_from(target, io.StringIO(text))
    target.close()
    assert (again.events_added, again.personas_added, again.sessions_linked) == (0, 0, 0)
    assert again.events_known == len(once["events"])
    assert table_rows(target.path) == once
    # And into the very database it came from: nothing new either.
    back = import_from(source.db, io.StringIO(text))
    assert back.events_added == 0
    source.close()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "the file is empty"),
        ("not json\n", "line 1 is not JSON"),
        ('{"kind": "persona", "session_id": "x"}\n', "not a claude-rpg history header"),
        ('{"kind":"header","format":"claude-rpg-history","version":99}\n', "upgrade claude-rpg"),
        (
            '{"kind":"header","format":"claude-rpg-history","version":1}\n{"kind":"event"}\n',
            "line 2: an event without a valid",
        ),
    ],
)
def test_a_bad_file_gets_a_sentence(tmp_path: Path, text: str, words: str) -> None:
    db = Database(tmp_path / "claude-rpg.sqlite3")
    with pytest.raises(ImportFileError, match=words):
        import_from(db, io.StringIO(text))
    db.close()


def test_the_commands_write_a_user_only_file_and_import_it(source: Core, tmp_path: Path) -> None:
    source.close()
    out = tmp_path / "history.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = [sys.executable, "-m", "desktop"]
    data = ["--data-dir", str(source.db.path.parent)]
    done = subprocess.run([*run, "export", *data, "-o", str(out)], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    assert os.stat(out).st_mode & 0o777 == 0o600
    fresh = ["--data-dir", str(tmp_path / "fresh")]
    first = subprocess.run([*run, "import", *fresh, str(out)], env=env, capture_output=True)
    assert first.returncode == 0, first.stderr.decode()
    second = subprocess.run([*run, "import", *fresh, str(out)], env=env, capture_output=True)
    assert b"imported 0 events and 0 personas" in second.stdout
    missing = subprocess.run(
        [*run, "import", *fresh, str(tmp_path / "nope")], env=env, capture_output=True
    )
    assert missing.returncode == 1 and b"no file at" in missing.stderr
    assert table_rows(tmp_path / "fresh" / "claude-rpg.sqlite3") == table_rows(source.db.path)
