"""The progression tables on a real SQLite file: idempotent ledger, unique badges, ranking."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from desktop.store.db import Database
from desktop.store.migrations import MIGRATIONS, migrate
from desktop.store.models import HookEvent, XpAward
from desktop.store.repos import (
    AwardRow,
    BadgeRow,
    EventRepo,
    PersonaRepo,
    ProgressionRepo,
    sql_time,
)

WHEN = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "claude-rpg.sqlite3")
    yield database
    database.close()


def add_persona(db: Database, session_id: str) -> int:
    with db.session() as s:
        persona, _ = PersonaRepo(s).insert_if_absent(session_id, session_id.title(), "seed")
        assert persona.id is not None
        return persona.id


def add_event(db: Database, key: str, session_id: str, name: str = "Stop") -> int:
    with db.session() as s:
        EventRepo(s).append(
            HookEvent(
                dedupe_key=key, event_name=name, session_id=session_id, stamp=1.0, payload="{}"
            )
        )
        event_id = ProgressionRepo(s).event_id(key)
        assert event_id is not None
        return event_id


def award(persona_id: int, event_id: int, rule: str, amount: int) -> AwardRow:
    return AwardRow(persona_id, event_id, rule, amount, f"{rule} for a test", WHEN)


def test_one_award_per_event_and_rule(db: Database) -> None:
    pid = add_persona(db, "s1")
    eid = add_event(db, "k1", "s1")
    with db.session() as s:
        repo = ProgressionRepo(s)
        assert repo.add_awards([award(pid, eid, "turns", 5), award(pid, eid, "badge:x", 5)]) == 2
        assert repo.add_awards([award(pid, eid, "turns", 5)]) == 0
        assert repo.xp_total(pid) == 10
        assert [(a.rule, a.amount) for a in repo.ledger(pid, 10)] == [
            ("turns", 5),
            ("badge:x", 5),
        ]
        assert [a.rule for a in repo.ledger(pid, 1)] == ["badge:x"]  # the newest, oldest first


def test_one_badge_per_persona_and_key(db: Database) -> None:
    pid = add_persona(db, "s1")
    first, second = add_event(db, "k1", "s1"), add_event(db, "k2", "s1")
    with db.session() as s:
        repo = ProgressionRepo(s)
        repo.add_badges([BadgeRow(pid, "first_turn", first, WHEN)])
        repo.add_badges([BadgeRow(pid, "first_turn", second, WHEN)])
        [badge] = repo.badges(pid)
    assert badge.event_id == first


def test_leaderboard_orders_by_xp_then_age_and_counts_badges(db: Database) -> None:
    ids = [add_persona(db, sid) for sid in ("a", "b", "c")]
    eid = add_event(db, "k1", "a")
    with db.session() as s:
        repo = ProgressionRepo(s)
        repo.set_persona_xp(ids[0], 10, 1)
        repo.set_persona_xp(ids[1], 90, 2)
        repo.set_persona_xp(ids[2], 10, 1)
        repo.add_badges([BadgeRow(ids[2], k, eid, WHEN) for k in "xy"])
        board = [(p.id, p.xp, badges) for p, badges in repo.leaderboard(10)]
        assert [(p.id, badges) for p, badges in repo.leaderboard(1)] == [(ids[1], 0)]
    assert board == [(ids[1], 90, 0), (ids[0], 10, 0), (ids[2], 10, 2)]


def test_events_to_apply_follow_each_personas_cursor(db: Database) -> None:
    a, b = add_persona(db, "a"), add_persona(db, "b")
    e1 = add_event(db, "k1", "a")
    add_event(db, "k2", "a", name="MessageDisplay")
    e3 = add_event(db, "k3", "b")
    e4 = add_event(db, "k4", "a")
    names = ("Stop",)
    with db.session() as s:
        repo = ProgressionRepo(s)
        assert [(e.id, e.persona_id) for e in repo.events_to_apply(names)] == [
            (e1, a),
            (e3, b),
            (e4, a),
        ]
        repo.save_state(a, e1, "{}")
        assert [e.id for e in repo.events_to_apply(names)] == [e3, e4]
        assert [e.id for e in repo.events_to_apply(names, after_id=e3)] == [e4]
        assert [e.id for e in repo.events_to_apply(names, rebuild=True)] == [e1, e3, e4]
        assert [e.id for e in repo.events_to_apply(names, limit=1, rebuild=True)] == [e1]


def test_lock_for_write_keeps_other_writers_out_until_commit(db: Database) -> None:
    pid = add_persona(db, "s1")
    other = sqlite3.connect(db.path, timeout=0)
    with db.session() as s:
        repo = ProgressionRepo(s)
        repo.lock_for_write()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("UPDATE persona SET xp = 1")
        repo.set_persona_xp(pid, 7, 1)
    other.execute("UPDATE persona SET level = 2")
    other.commit()
    assert other.execute("SELECT xp, level FROM persona").fetchall() == [(7, 2)]
    other.close()


def test_step_two_keeps_the_data_of_a_version_one_database(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "old.sqlite3")
    migrate(conn, MIGRATIONS[:1])
    conn.execute(
        "INSERT INTO persona (session_id, name, avatar_seed, created_at, xp, level) "
        "VALUES ('s1', 'Old Otter', 'seed', '2026-01-01 00:00:00', 0, 1)"
    )
    conn.commit()
    assert migrate(conn) == len(MIGRATIONS)
    assert conn.execute("SELECT name FROM persona").fetchall() == [("Old Otter",)]
    assert conn.execute("SELECT count(*) FROM xp_award").fetchone() == (0,)
    conn.close()


def test_plain_sql_times_read_back_through_the_orm(db: Database) -> None:
    """The per-event writes format datetimes themselves; the ORM must read the same instant."""
    pid = add_persona(db, "s1")
    eid = add_event(db, "k1", "s1")
    berlin = timezone(timedelta(hours=1))
    times = [
        WHEN,
        datetime(2026, 3, 2, 12, 0, 0, 123456, tzinfo=UTC),
        datetime(1999, 12, 31, 23, tzinfo=berlin),
    ]
    with db.session() as s:
        ProgressionRepo(s).add_awards(
            [AwardRow(pid, eid, f"rule{n}", 1, "why", when) for n, when in enumerate(times)]
        )
        s.add(
            XpAward(persona_id=pid, event_id=eid, rule="orm", amount=1, reason="", awarded_at=WHEN)
        )
    with db.session() as s:
        read = [a.awarded_at for a in ProgressionRepo(s).ledger(pid, 10)]
    assert read == [*times, WHEN]  # the same instants (aware datetimes compare by instant)
    with db.engine.connect() as conn:  # and the very text the ORM writes for that column
        stored = dict(conn.exec_driver_sql("SELECT rule, awarded_at FROM xp_award").all())
    assert stored["orm"] == stored["rule0"] == sql_time(WHEN) == "2026-03-02 12:00:00.000000"
    assert stored["rule2"] == "1999-12-31 22:00:00.000000"
    with pytest.raises(ValueError, match="no time zone"):
        sql_time(datetime(2026, 3, 2))


def test_a_persona_row_read_past_the_orm_equals_the_orm_object(db: Database) -> None:
    pid = add_persona(db, "s1")
    with db.session() as s:
        ProgressionRepo(s).set_persona_xp(pid, 420, 4)
    with db.session() as s:
        row = PersonaRepo(s).row(pid)
        orm = PersonaRepo(s).get(pid)
        assert PersonaRepo(s).row(pid + 1) is None
    assert row is not None and orm is not None
    assert row._asdict() == orm.model_dump()
    assert row.created_at.tzinfo is not None
