"""Schema migrations, versioned with SQLite's PRAGMA user_version."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence

log = logging.getLogger(__name__)

# Each entry moves the schema from version i to i+1. Never edit a released step: add one.
MIGRATIONS: Sequence[str] = (
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
)

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer claude-rpg than this one."""


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, steps: Sequence[str] = MIGRATIONS) -> int:
    """Bring the schema up to date, one transaction per step; return the final version."""
    version = current_version(conn)
    if version > len(steps):
        raise SchemaTooNewError(
            f"the database is at schema version {version}, newer than this claude-rpg knows "
            f"({len(steps)}); upgrade claude-rpg or start with another --data-dir"
        )
    for target, script in enumerate(steps[version:], start=version + 1):
        # executescript() commits on its own, so the version bump rides in the same script.
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {target};\nCOMMIT;")
        log.info("database schema migrated to version %d", target)
    return current_version(conn)
