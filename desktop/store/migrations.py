"""Schema migrations, versioned with SQLite's PRAGMA user_version.

A step is SQL run in one transaction, or a `DataStep`: Python that converts rows in small
batches, each committed with a high-water mark, so a migration killed halfway resumes where
it stopped. Before the first step runs on a database that holds data, a copy of it is made
with SQLite's backup API next to it.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# (what is being done, rows done, rows in all): how a long step reports its progress.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DataStep:
    """A migration step that converts rows in batches and sets user_version itself at the end."""

    name: str
    run: Callable[[sqlite3.Connection, int, Progress], None]


def _compact_event_log(conn: sqlite3.Connection, target: int, progress: Progress) -> None:
    """Version 4: replace each stored payload by its compact record, redact the ledger."""
    # Imported here: the store otherwise knows nothing of what a payload means.
    from desktop.core.history.record import compact
    from desktop.core.history.redact import redact

    def event_row(row: tuple[Any, ...]) -> tuple[object, ...]:
        event_id, name, text = row
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        facts = compact(name, payload if isinstance(payload, dict) else {})
        return (facts.tool_name or None, facts.cwd or None, facts.record_json(), event_id)

    def award_row(row: tuple[Any, ...]) -> tuple[object, ...]:
        return (redact(row[1]), row[0])

    events = convert_in_batches(
        conn,
        "compacting stored events",
        "hook_event",
        "SELECT id, event_name, payload FROM hook_event WHERE id > ? ORDER BY id LIMIT ?",
        "UPDATE hook_event SET tool_name = ?, cwd = ?, record = ?, payload = '' WHERE id = ?",
        event_row,
        progress,
    )
    # Ledger reasons quoted the tool's input as it came (a command, with its secrets).
    convert_in_batches(
        conn,
        "redacting the XP ledger",
        "xp_award",
        "SELECT id, reason FROM xp_award WHERE id > ? ORDER BY id LIMIT ?",
        "UPDATE xp_award SET reason = ? WHERE id = ?",
        award_row,
        progress,
    )
    if events:  # a new database has nothing to give back
        # Marked before the drop commits: a VACUUM killed or failed later is run again.
        mark_vacuum_due(conn)
    conn.executescript(
        "BEGIN IMMEDIATE;\n"
        "ALTER TABLE hook_event DROP COLUMN payload;\n"
        "DROP TABLE migration_mark;\n"
        f"PRAGMA user_version = {target};\n"
        "COMMIT;"
    )
    # The dropped payloads leave most of the file empty: migrate() gives it back at its end
    # (reclaim_space), and again at the next open if that VACUUM is killed or fails.


CONVERT_BATCH = 2000


def convert_in_batches(
    conn: sqlite3.Connection,
    what: str,
    table: str,
    select_sql: str,
    update_sql: str,
    convert: Callable[[tuple[Any, ...]], tuple[object, ...]],
    progress: Progress,
    batch: int = CONVERT_BATCH,
) -> int:
    """Rewrite every row of `table` past the stored high-water mark, one transaction per batch.

    The mark is committed with each batch, so a process killed halfway starts over at the
    first row it had not converted. Returns how many rows the table holds.
    """
    (total,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    row = conn.execute("SELECT high_water FROM migration_mark WHERE name = ?", (what,)).fetchone()
    mark = int(row[0]) if row else 0
    (done,) = conn.execute(f"SELECT count(*) FROM {table} WHERE id <= ?", (mark,)).fetchone()
    if not total:
        return 0
    if done:
        log.info("%s: resuming after row %d (%d of %d done)", what, mark, done, total)
    progress(what, done, total)
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows = conn.execute(select_sql, (mark, batch)).fetchall()
            if rows:
                conn.executemany(update_sql, [convert(r) for r in rows])
                mark = int(rows[-1][0])
                conn.execute(
                    "INSERT INTO migration_mark (name, high_water) VALUES (?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET high_water = excluded.high_water",
                    (what, mark),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        done += len(rows)
        progress(what, min(done, total), total)
        if len(rows) < batch:
            return int(total)


# Each entry moves the schema from version i to i+1. Never edit a released step: add one.
MIGRATIONS: Sequence[str | DataStep] = (
    # 1: the first schema.
    """
    CREATE TABLE persona (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id VARCHAR NOT NULL UNIQUE,
        name VARCHAR NOT NULL,
        avatar_seed VARCHAR NOT NULL,
        created_at DATETIME NOT NULL,
        xp INTEGER NOT NULL DEFAULT 0,
        level INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX ix_persona_session_id ON persona (session_id);
    CREATE TABLE persona_session (
        session_id VARCHAR NOT NULL PRIMARY KEY,
        persona_id INTEGER NOT NULL REFERENCES persona (id),
        linked_at DATETIME NOT NULL,
        reason VARCHAR NOT NULL DEFAULT 'created'
    );
    CREATE INDEX ix_persona_session_persona_id ON persona_session (persona_id);
    CREATE TABLE pane_binding (
        pane_id VARCHAR NOT NULL PRIMARY KEY,
        session_id VARCHAR NOT NULL,
        persona_id INTEGER NOT NULL REFERENCES persona (id),
        pane_pid INTEGER,
        claude_pid INTEGER,
        claude_start_ticks INTEGER,
        bound_at DATETIME NOT NULL,
        event_name VARCHAR NOT NULL DEFAULT ''
    );
    CREATE INDEX ix_pane_binding_session_id ON pane_binding (session_id);
    CREATE TABLE hook_event (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        dedupe_key VARCHAR NOT NULL UNIQUE,
        event_name VARCHAR NOT NULL,
        session_id VARCHAR NOT NULL,
        pane_id VARCHAR,
        claude_pid INTEGER,
        stamp FLOAT NOT NULL,
        received_at DATETIME NOT NULL,
        payload VARCHAR NOT NULL
    );
    CREATE INDEX ix_hook_event_event_name ON hook_event (event_name);
    CREATE INDEX ix_hook_event_session_id ON hook_event (session_id);
    CREATE INDEX ix_hook_event_stamp ON hook_event (stamp);
    CREATE TABLE challenge (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        persona_id INTEGER NOT NULL REFERENCES persona (id),
        kind VARCHAR NOT NULL,
        title VARCHAR NOT NULL,
        description VARCHAR NOT NULL,
        target INTEGER NOT NULL,
        progress INTEGER NOT NULL DEFAULT 0,
        created_at DATETIME NOT NULL,
        completed_at DATETIME
    );
    CREATE INDEX ix_challenge_persona_id ON challenge (persona_id);
    """,
    # 2: progression: the XP ledger, earned badges, per-persona counters.
    """
    CREATE TABLE xp_award (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        persona_id INTEGER NOT NULL REFERENCES persona (id),
        event_id INTEGER NOT NULL REFERENCES hook_event (id),
        rule VARCHAR NOT NULL,
        amount INTEGER NOT NULL,
        reason VARCHAR NOT NULL,
        awarded_at DATETIME NOT NULL,
        UNIQUE (event_id, rule)
    );
    CREATE INDEX ix_xp_award_persona_id ON xp_award (persona_id);
    CREATE TABLE badge (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        persona_id INTEGER NOT NULL REFERENCES persona (id),
        badge_key VARCHAR NOT NULL,
        event_id INTEGER NOT NULL REFERENCES hook_event (id),
        earned_at DATETIME NOT NULL,
        UNIQUE (persona_id, badge_key)
    );
    CREATE TABLE progression_state (
        persona_id INTEGER NOT NULL PRIMARY KEY REFERENCES persona (id),
        last_event_id INTEGER NOT NULL DEFAULT 0,
        memo VARCHAR NOT NULL DEFAULT '{}',
        updated_at DATETIME NOT NULL
    );
    """,
    # 3: session insight: token usage per assistant reply, read from Claude's transcripts.
    """
    CREATE TABLE usage_reply (
        session_id VARCHAR NOT NULL,
        reply_key VARCHAR NOT NULL,
        ts FLOAT NOT NULL,
        model VARCHAR NOT NULL,
        sidechain INTEGER NOT NULL DEFAULT 0,
        agent_id VARCHAR NOT NULL DEFAULT '',
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0,
        cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (session_id, reply_key)
    );
    CREATE INDEX ix_usage_reply_ts ON usage_reply (ts);
    CREATE TABLE usage_turn (
        session_id VARCHAR NOT NULL,
        line_uuid VARCHAR NOT NULL,
        ts FLOAT NOT NULL,
        PRIMARY KEY (session_id, line_uuid)
    );
    CREATE TABLE usage_session (
        session_id VARCHAR NOT NULL PRIMARY KEY,
        session_model VARCHAR NOT NULL DEFAULT '',
        model VARCHAR NOT NULL DEFAULT '',
        context_tokens INTEGER NOT NULL DEFAULT 0,
        context_ts FLOAT NOT NULL DEFAULT 0
    );
    CREATE TABLE transcript_cursor (
        path VARCHAR NOT NULL PRIMARY KEY,
        session_id VARCHAR NOT NULL,
        sidechain INTEGER NOT NULL DEFAULT 0,
        device INTEGER NOT NULL DEFAULT 0,
        inode INTEGER NOT NULL DEFAULT 0,
        file_offset INTEGER NOT NULL DEFAULT 0,
        tail_crc INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX ix_transcript_cursor_session_id ON transcript_cursor (session_id);
    """,
    # 4: events of remote hosts, as each host's feed sent them; (host, remote_id) is the
    # per-host cursor that makes a catch-up exactly-once.
    """
    CREATE TABLE remote_event (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        host VARCHAR NOT NULL,
        remote_id INTEGER NOT NULL,
        event_name VARCHAR NOT NULL,
        session_id VARCHAR NOT NULL,
        pane_id VARCHAR,
        claude_pid INTEGER,
        stamp FLOAT NOT NULL,
        received_at DATETIME NOT NULL,
        UNIQUE (host, remote_id)
    );
    """,
    # 5: the compact event log (desktop/core/history/record.py): columns for the facts kept
    # per event, the high-water marks of conversions in progress, and the id up to which
    # progression has seen every event (so start-up reads only what came after it).
    """
    ALTER TABLE hook_event ADD COLUMN tool_name VARCHAR;
    ALTER TABLE hook_event ADD COLUMN cwd VARCHAR;
    ALTER TABLE hook_event ADD COLUMN record VARCHAR NOT NULL DEFAULT '{}';
    CREATE TABLE migration_mark (
        name VARCHAR NOT NULL PRIMARY KEY,
        high_water INTEGER NOT NULL
    );
    CREATE TABLE progression_cursor (
        id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
        last_event_id INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 6: every stored payload becomes its compact record; the payload column goes.
    DataStep("compact the event log", _compact_event_log),
    # 7: retention's mark: the last event (by stamp, id) whose details were dropped.
    """
    CREATE TABLE retention_mark (
        name VARCHAR NOT NULL PRIMARY KEY,
        stamp FLOAT NOT NULL,
        last_id INTEGER NOT NULL
    );
    """,
    # 8: the leaderboard reads the top of this index, not every persona.
    """
    CREATE INDEX ix_persona_xp ON persona (xp DESC, id);
    """,
    # 9: remote hosts' personas as their hosts sent them (the host computes their XP: the
    # desktop only mirrors it), keyed by (host, session_id), apart from this machine's
    # persona table whose queries assume a session id is unique.
    """
    CREATE TABLE remote_persona (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        host VARCHAR NOT NULL,
        session_id VARCHAR NOT NULL,
        remote_id INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        avatar_seed VARCHAR NOT NULL,
        created_at DATETIME NOT NULL,
        xp INTEGER NOT NULL DEFAULT 0,
        level INTEGER NOT NULL DEFAULT 1,
        updated_at DATETIME NOT NULL,
        UNIQUE (host, session_id)
    );
    CREATE INDEX ix_remote_persona_host_remote_id ON remote_persona (host, remote_id);
    CREATE INDEX ix_remote_persona_xp ON remote_persona (xp DESC, id);
    """,
    # 10: each store's identity, made with the database (a backup copy keeps it, a new
    # database gets another), so a desktop tells a host's reset store from the one it read;
    # a remote event is keyed by the store its id belongs to, and each host's current store
    # is kept ('' for rows stored before stores had ids: the host's first hello names it).
    """
    CREATE TABLE store_meta (
        key VARCHAR NOT NULL PRIMARY KEY,
        value VARCHAR NOT NULL
    );
    INSERT INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));
    CREATE TABLE remote_event_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        host VARCHAR NOT NULL,
        store VARCHAR NOT NULL DEFAULT '',
        remote_id INTEGER NOT NULL,
        event_name VARCHAR NOT NULL,
        session_id VARCHAR NOT NULL,
        pane_id VARCHAR,
        claude_pid INTEGER,
        stamp FLOAT NOT NULL,
        received_at DATETIME NOT NULL,
        UNIQUE (host, store, remote_id)
    );
    INSERT INTO remote_event_new (id, host, store, remote_id, event_name, session_id, pane_id,
        claude_pid, stamp, received_at)
    SELECT id, host, '', remote_id, event_name, session_id, pane_id, claude_pid, stamp,
        received_at FROM remote_event ORDER BY id;
    DROP TABLE remote_event;
    ALTER TABLE remote_event_new RENAME TO remote_event;
    CREATE TABLE remote_store (
        host VARCHAR NOT NULL PRIMARY KEY,
        store VARCHAR NOT NULL,
        seen_at DATETIME NOT NULL
    );
    """,
)


SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer claude-rpg than this one."""


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _quiet(_what: str, _done: int, _total: int) -> None:
    pass


class LogProgress:
    """Progress for the log file: one line per tenth of each long step (the app's start-up)."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        tenth = 10 if total <= 0 else done * 10 // total
        if self._last.get(what) != tenth:
            self._last[what] = tenth
            log.info("database migration: %s, %d%% (%d of %d)", what, tenth * 10, done, total)


def backup_path(database: Path, version: int) -> Path:
    """Where the copy made before migrating a database from `version` goes."""
    return database.with_name(f"{database.name}.v{version}.backup")


def backup(conn: sqlite3.Connection, dest: Path) -> None:
    """Copy the open database to `dest` (readable by the user only) with SQLite's backup API."""
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    target = sqlite3.connect(dest)
    try:
        conn.backup(target)
    finally:
        target.close()


def _midway(conn: sqlite3.Connection) -> bool:
    """Is a data step's conversion under way (a migration was stopped halfway)?"""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migration_mark'"
    ).fetchone()
    return found is not None and conn.execute("SELECT 1 FROM migration_mark").fetchone() is not None


def pending(conn: sqlite3.Connection, steps: Sequence[str | DataStep] = MIGRATIONS) -> int:
    """How many steps a migration would run on this database."""
    return max(0, len(steps) - current_version(conn))


RECLAIM_WHAT = "giving the freed space back (VACUUM)"
# Next to the database file while a VACUUM is due (a step emptied much of the file).
VACUUM_DUE_SUFFIX = ".vacuum-due"


def _vacuum_marker(conn: sqlite3.Connection) -> Path | None:
    """The marker file of this connection's database; None for one in memory."""
    for _seq, name, file in conn.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file + VACUUM_DUE_SUFFIX)
    return None


def mark_vacuum_due(conn: sqlite3.Connection) -> None:
    """Note, durably and before the step that empties the file commits, that a VACUUM is
    due. (The pages a dropped column leaves are half-empty, not free: SQLite's free-page
    count cannot tell that the file needs one.)"""
    marker = _vacuum_marker(conn)
    if marker is None:
        return
    fd = os.open(marker, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    folder = os.open(marker.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def reclaim_space(conn: sqlite3.Connection, progress: Progress | None = None) -> bool:
    """Run the VACUUM a step marked due; True if it ran to the end.

    The marker goes only once the VACUUM has finished: one killed halfway rolls back and
    leaves it, so the next open runs it again; one that fails (the disk is full, another
    process holds the database) is logged and tried at the next open.
    """
    marker = _vacuum_marker(conn)
    if marker is None or not marker.exists():
        return False
    report = progress or _quiet
    report(RECLAIM_WHAT, 0, 1)
    try:
        conn.execute("VACUUM")
    except sqlite3.Error as e:
        log.warning("VACUUM failed (%s); the space is given back at the next start", e)
        return False
    marker.unlink(missing_ok=True)
    report(RECLAIM_WHAT, 1, 1)
    return True


def migrate(
    conn: sqlite3.Connection,
    steps: Sequence[str | DataStep] = MIGRATIONS,
    progress: Progress | None = None,
    backup_to: Path | None = None,
) -> int:
    """Bring the schema up to date; return the final version.

    SQL steps run in one transaction each; a DataStep converts in resumable batches. When
    `backup_to` is given and the database holds data, it is copied there first (once: a
    resumed migration keeps the copy made before the first attempt). Then, steps or not,
    free space left by a step (or by a VACUUM that never finished) is given back.
    """
    version = current_version(conn)
    if version > len(steps):
        raise SchemaTooNewError(
            f"the database is at schema version {version}, newer than this claude-rpg knows "
            f"({len(steps)}); upgrade claude-rpg or start with another --data-dir"
        )
    if backup_to is not None and 0 < version < len(steps) and not _midway(conn):
        log.info("copying the database to %s before migrating it", backup_to)
        backup(conn, backup_to)
    report = progress or _quiet
    for target, step in enumerate(steps[version:], start=version + 1):
        if isinstance(step, DataStep):
            log.info("database migration to version %d: %s", target, step.name)
            step.run(conn, target, report)
        else:
            # executescript() commits on its own, so the version bump rides in the same script.
            conn.executescript(f"BEGIN;\n{step}\nPRAGMA user_version = {target};\nCOMMIT;")
        log.info("database schema migrated to version %d", target)
    reclaim_space(conn, report)
    return current_version(conn)
