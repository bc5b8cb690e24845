"""Start-up's catch-up reads only the events after progression's cursor, not the whole log."""

from __future__ import annotations

from pathlib import Path

from desktop.core.history.transfer import add_events
from desktop.store.repos import ProgressionRepo
from tests.core.progression_events import Core, replay_all


def cursor(core: Core) -> tuple[int, int]:
    with core.db.session() as s:
        repo = ProgressionRepo(s)
        return repo.cursor(), repo.last_event_id()


def test_the_live_path_moves_the_cursor_to_the_last_event(tmp_path: Path) -> None:
    core = Core(tmp_path / "claude-rpg.sqlite3")
    replay_all(core.ingest)
    seen, last = cursor(core)
    assert seen == last > 0
    # Nothing after the cursor: catch-up has nothing to read.
    assert core.progression.catch_up() == 0
    core.close()


def test_events_stored_past_progression_are_caught_up_once(tmp_path: Path) -> None:
    core = Core(tmp_path / "claude-rpg.sqlite3")
    replay_all(core.ingest)
    xp_before = {p.id: p.xp for p in core.personas.all()}
    row = {
        "dedupe_key": "repaired:1",
        "event_name": "PostToolUse",
        "session_id": "5351decd-f30e-47f2-adfb-f078d7f2db8d",
        "stamp": 1_800_000_000.0,
        "tool_name": "Write",
        "cwd": "/home/dev/project",
        "record": '{"summary":"/home/dev/project/x.py","outcome":"ok"}',
    }
    assert add_events(core.db, [row]) == (1, 0)  # as a repair stores a salvaged event
    seen, last = cursor(core)
    assert seen < last
    assert core.progression.catch_up() == 1
    assert cursor(core) == (last, last)
    gained = {p.id: p.xp - xp_before.get(p.id, 0) for p in core.personas.all()}
    [(persona_id, xp)] = [(pid, x) for pid, x in gained.items() if x]
    ledger = core.progression.ledger(persona_id) or []
    assert ("writes", 3) in {(line.rule, line.amount) for line in ledger if line.event_id == last}
    assert xp >= 3
    assert core.progression.catch_up() == 0
    core.close()


def test_a_rebuild_leaves_the_cursor_at_the_last_event(tmp_path: Path) -> None:
    from desktop.core.progression.rebuild import rebuild

    core = Core(tmp_path / "claude-rpg.sqlite3", live=False)
    replay_all(core.ingest)
    assert cursor(core)[0] == 0
    rebuild(core.db)
    seen, last = cursor(core)
    assert seen == last > 0
    core.close()
