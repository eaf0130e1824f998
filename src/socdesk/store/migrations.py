"""Ordered schema migrations, applied by sqlite-utils ``Migrations`` in one IMMEDIATE transaction.

Add a migration by appending a function decorated with ``@migration("NNNN_name")``; never edit one
that has shipped. sqlite-utils is imported only when something is pending, so everyday commands
(and shell prompts) do not pay for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from socdesk.store.connection import disk_trouble, sqlite_failure
from socdesk.store.errors import StoreUnavailable

if TYPE_CHECKING:
    from sqlite_utils import Database

MIGRATION_SET = "socdesk"
MIGRATIONS_TABLE = "_sqlite_migrations"  # sqlite-utils' own bookkeeping table
Migration = Callable[["Database"], None]
_ordered: list[tuple[str, Migration]] = []


def migration(name: str) -> Callable[[Migration], Migration]:
    def register(fn: Migration) -> Migration:
        if any(existing == name for existing, _ in _ordered):
            raise ValueError(f"migration {name} is registered twice")
        _ordered.append((name, fn))
        return fn

    return register


def statements(script: str) -> list[str]:
    """Split SQL into statements (trigger bodies included) without running anything."""
    found: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement: {pending.strip()[:60]!r}")
    return found


def run_script(db: Database, script: str) -> None:
    # Not executescript(): Python's sqlite3 commits the open transaction before running a script,
    # which would let half a migration land on disk.
    for statement in statements(script):
        db.execute(statement)


@migration("0001_board")
def _board(db: Database) -> None:
    from socdesk.domain.models import DEFAULT_COLUMNS

    run_script(
        db,
        """
        CREATE TABLE people (
            handle  TEXT PRIMARY KEY,
            name    TEXT NOT NULL,
            roles   TEXT NOT NULL DEFAULT '[]',
            version INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE columns (
            id        INTEGER PRIMARY KEY,
            name      TEXT NOT NULL UNIQUE COLLATE NOCASE,
            position  INTEGER NOT NULL UNIQUE,
            wip_limit INTEGER CHECK (wip_limit IS NULL OR wip_limit >= 1),
            stage     TEXT NOT NULL CHECK (stage IN ('queue', 'active', 'done')),
            version   INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE cards (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
            description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
            type        TEXT NOT NULL CHECK (type IN ('business', 'operations', 'engineering', 'unplanned')),
            priority    TEXT NOT NULL DEFAULT 'medium'
                        CHECK (priority IN ('critical', 'high', 'medium', 'low')),
            kind        TEXT NOT NULL DEFAULT 'task' CHECK (kind IN ('task', 'detection')),
            column_id   INTEGER NOT NULL REFERENCES columns(id),
            position    INTEGER NOT NULL,
            assignee    TEXT REFERENCES people(handle),
            security    INTEGER NOT NULL DEFAULT 0 CHECK (security IN (0, 1)),
            labels      TEXT NOT NULL DEFAULT '[]',
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL,
            started_at  TEXT,
            done_at     TEXT,
            version     INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX cards_by_column ON cards (column_id, position);
        CREATE INDEX cards_by_assignee ON cards (assignee);
        CREATE TABLE events (
            id        INTEGER PRIMARY KEY AUTOINCREMENT,
            at        TEXT NOT NULL,
            actor     TEXT NOT NULL,
            action    TEXT NOT NULL,
            entity    TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            before    TEXT,
            after     TEXT,
            meta      TEXT
        );
        CREATE INDEX events_by_entity ON events (entity, entity_id, id);
        CREATE TRIGGER events_never_updated BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER events_never_deleted BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        """,
    )
    db.conn.executemany(
        "INSERT INTO columns (name, position, wip_limit, stage) VALUES (?, ?, ?, ?)",
        [(c.name, c.position, c.wip_limit, c.stage.value) for c in DEFAULT_COLUMNS],
    )


@migration("0002_column_since")
def _column_since(db: Database) -> None:
    # When each card entered its column: the last move in its history, else its creation.
    run_script(
        db,
        """
        ALTER TABLE cards ADD COLUMN column_since TEXT;
        UPDATE cards SET column_since = coalesce(
            (SELECT max(at) FROM events
             WHERE entity = 'card' AND entity_id = CAST(cards.id AS TEXT) AND action = 'card.move'),
            created_at);
        """,
    )


@migration("0003_duty")
def _duty(db: Database) -> None:
    run_script(
        db,
        """
        ALTER TABLE people ADD COLUMN email TEXT;
        CREATE TABLE rotations (
            role             TEXT PRIMARY KEY CHECK (role IN ('engineer', 'analyst')),
            members          TEXT NOT NULL,
            shift_hours      INTEGER NOT NULL CHECK (shift_hours BETWEEN 1 AND 672),
            handover_weekday INTEGER CHECK (handover_weekday IS NULL OR handover_weekday BETWEEN 0 AND 6),
            handover_time    TEXT NOT NULL,
            tz               TEXT NOT NULL,
            start_date       TEXT NOT NULL,
            version          INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE overrides (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            role       TEXT NOT NULL CHECK (role IN ('engineer', 'analyst')),
            person     TEXT NOT NULL REFERENCES people(handle),
            starts_at  TEXT NOT NULL,
            ends_at    TEXT NOT NULL CHECK (ends_at > starts_at),
            reason     TEXT NOT NULL DEFAULT '',
            swap_id    INTEGER,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            version    INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX overrides_by_end ON overrides (ends_at);
        CREATE TABLE handover_notes (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            role        TEXT NOT NULL CHECK (role IN ('engineer', 'analyst')),
            handover_at TEXT NOT NULL,
            author      TEXT NOT NULL,
            text        TEXT NOT NULL,
            cards       TEXT NOT NULL DEFAULT '[]',
            created_at  TEXT NOT NULL
        );
        CREATE INDEX handover_notes_by_time ON handover_notes (handover_at, id);
        """,
    )


@migration("0004_handshake")
def _handshake(db: Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE team_settings (
            key     TEXT PRIMARY KEY,
            value   TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE meetings (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            agenda       TEXT NOT NULL,
            scheduled_at TEXT,
            started_at   TEXT NOT NULL,
            ended_at     TEXT,
            started_by   TEXT NOT NULL,
            duty         TEXT NOT NULL DEFAULT '{}',
            kpis         TEXT NOT NULL,
            version      INTEGER NOT NULL DEFAULT 1
        );
        -- Only one meeting runs at a time, whatever the writers do.
        CREATE UNIQUE INDEX meetings_one_running ON meetings ((ended_at IS NULL)) WHERE ended_at IS NULL;
        CREATE TABLE topics (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            text         TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 300),
            submitted_by TEXT NOT NULL,
            submitted_at TEXT NOT NULL,
            meeting_id   INTEGER REFERENCES meetings(id),
            deferred     INTEGER NOT NULL DEFAULT 0 CHECK (deferred IN (0, 1)),
            outcome      TEXT NOT NULL DEFAULT '',
            card_id      INTEGER,
            version      INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX topics_by_meeting ON topics (meeting_id, id);
        CREATE TABLE meeting_log (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            at         TEXT NOT NULL,
            actor      TEXT NOT NULL,
            kind       TEXT NOT NULL,
            section    INTEGER,
            topic_id   INTEGER,
            card_id    INTEGER,
            minutes    INTEGER NOT NULL DEFAULT 0,
            text       TEXT NOT NULL DEFAULT '',
            data       TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX meeting_log_by_meeting ON meeting_log (meeting_id, id);
        CREATE TRIGGER meeting_log_never_updated BEFORE UPDATE ON meeting_log
            BEGIN SELECT RAISE(ABORT, 'the meeting log is append-only'); END;
        CREATE TRIGGER meeting_log_never_deleted BEFORE DELETE ON meeting_log
            BEGIN SELECT RAISE(ABORT, 'the meeting log is append-only'); END;
        """,
    )


@migration("0005_retro")
def _retro(db: Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE retros (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            title         TEXT NOT NULL,
            objectives    TEXT NOT NULL DEFAULT '',
            period_from   TEXT NOT NULL,
            period_to     TEXT NOT NULL,
            vote_budget   INTEGER NOT NULL CHECK (vote_budget >= 1),
            anonymous     INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
            hide_notes    INTEGER NOT NULL CHECK (hide_notes IN (0, 1)),
            facilitator   TEXT NOT NULL,
            started_at    TEXT NOT NULL,
            phase         TEXT NOT NULL,
            closed_at     TEXT,
            closing_notes TEXT NOT NULL DEFAULT '',
            version       INTEGER NOT NULL DEFAULT 1
        );
        -- One retro is open at a time, whatever the writers do.
        CREATE UNIQUE INDEX retros_one_open ON retros ((closed_at IS NULL)) WHERE closed_at IS NULL;
        CREATE TABLE retro_themes (
            id       INTEGER PRIMARY KEY AUTOINCREMENT,
            retro_id INTEGER NOT NULL REFERENCES retros(id),
            name     TEXT NOT NULL,
            version  INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE retro_notes (
            id       INTEGER PRIMARY KEY AUTOINCREMENT,
            retro_id INTEGER NOT NULL REFERENCES retros(id),
            note_column TEXT NOT NULL CHECK (note_column IN ('well', 'not-well', 'improve')),
            text     TEXT NOT NULL,
            author   TEXT,
            theme_id INTEGER REFERENCES retro_themes(id),
            version  INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX retro_notes_by_retro ON retro_notes (retro_id, id);
        -- An anonymous retro stores no author, whatever the writer sends.
        CREATE TRIGGER retro_notes_anonymous BEFORE INSERT ON retro_notes
            WHEN NEW.author IS NOT NULL AND (SELECT anonymous FROM retros WHERE id = NEW.retro_id) = 1
            BEGIN SELECT RAISE(ABORT, 'an anonymous retro stores no author'); END;
        CREATE TRIGGER retro_notes_anonymous_update BEFORE UPDATE OF author ON retro_notes
            WHEN NEW.author IS NOT NULL AND (SELECT anonymous FROM retros WHERE id = NEW.retro_id) = 1
            BEGIN SELECT RAISE(ABORT, 'an anonymous retro stores no author'); END;
        CREATE TABLE retro_votes (
            id       INTEGER PRIMARY KEY AUTOINCREMENT,
            retro_id INTEGER NOT NULL REFERENCES retros(id),
            voter    TEXT NOT NULL,
            note_id  INTEGER REFERENCES retro_notes(id),
            theme_id INTEGER REFERENCES retro_themes(id),
            at       TEXT NOT NULL,
            CHECK ((note_id IS NULL) <> (theme_id IS NULL))
        );
        CREATE INDEX retro_votes_by_voter ON retro_votes (retro_id, voter);
        -- The vote budget holds in the file itself, not only in the code that writes it.
        CREATE TRIGGER retro_votes_budget BEFORE INSERT ON retro_votes
            WHEN (SELECT count(*) FROM retro_votes WHERE retro_id = NEW.retro_id AND voter = NEW.voter)
                 >= (SELECT vote_budget FROM retros WHERE id = NEW.retro_id)
            BEGIN SELECT RAISE(ABORT, 'vote budget spent'); END;
        CREATE TABLE retro_actions (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            retro_id   INTEGER NOT NULL REFERENCES retros(id),
            text       TEXT NOT NULL,
            owner      TEXT NOT NULL,
            due        TEXT NOT NULL,
            type       TEXT NOT NULL,
            card_id    INTEGER,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX retro_actions_by_retro ON retro_actions (retro_id, id);
        CREATE TABLE retro_timer (
            id       INTEGER PRIMARY KEY AUTOINCREMENT,
            retro_id INTEGER NOT NULL REFERENCES retros(id),
            at       TEXT NOT NULL,
            actor    TEXT NOT NULL,
            phase    TEXT NOT NULL,
            kind     TEXT NOT NULL,
            minutes  INTEGER NOT NULL DEFAULT 0
        );
        CREATE TRIGGER retro_timer_never_updated BEFORE UPDATE ON retro_timer
            BEGIN SELECT RAISE(ABORT, 'the retro timer log is append-only'); END;
        CREATE TRIGGER retro_timer_never_deleted BEFORE DELETE ON retro_timer
            BEGIN SELECT RAISE(ABORT, 'the retro timer log is append-only'); END;
        -- Where cards sat over time (cumulative flow): only card placements are indexed, by card
        -- (each card's last place before a period) and by time (the moves in a period).
        CREATE INDEX events_placements_by_card ON events (entity_id, at)
            WHERE entity = 'card' AND action IN ('card.add', 'card.move', 'card.restore', 'card.delete');
        CREATE INDEX events_placements_by_time ON events (at)
            WHERE entity = 'card' AND action IN ('card.add', 'card.move', 'card.restore', 'card.delete');
        """,
    )


def known_names() -> list[str]:
    return [name for name, _ in _ordered]


def _user_tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return {row[0] for row in rows}


def _database_file(conn: sqlite3.Connection) -> Path | None:
    try:
        name = conn.execute("PRAGMA database_list").fetchone()[2]
    except sqlite3.Error:
        return None
    return Path(name) if name else None


def check_schema(conn: sqlite3.Connection) -> list[str]:
    """Return the pending migration names, refusing foreign and newer databases. Reads only."""
    try:
        tables = _user_tables(conn)
    except sqlite3.DatabaseError as error:  # an SQLite header over a damaged or foreign body
        if disk_trouble(error):  # or a full disk (no room for the -shm): the file itself is fine
            raise sqlite_failure(error, _database_file(conn)) from None
        raise StoreUnavailable(
            f"this file starts like an SQLite database but SQLite cannot read it ({error}); "
            "socdesk left it untouched"
        ) from None
    if not tables:
        return known_names()
    if MIGRATIONS_TABLE not in tables:
        raise StoreUnavailable("this SQLite file is not a socdesk database; socdesk left it untouched")
    applied = [
        row[0]
        for row in conn.execute(
            f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY id",
            (MIGRATION_SET,),
        )
    ]
    if not applied:
        raise StoreUnavailable("this SQLite file is not a socdesk database; socdesk left it untouched")
    unknown = [name for name in applied if name not in known_names()]
    if unknown:
        raise StoreUnavailable(
            f"this database was written by a newer socdesk (schema {applied[-1]}, this socdesk knows up to "
            f"{known_names()[-1]}); upgrade socdesk to use it. The file was left untouched"
        )
    return [name for name in known_names() if name not in applied]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations in one BEGIN IMMEDIATE transaction; return the names applied.

    The pending list is read again inside the write lock, so two processes upgrading the same file at
    once apply each migration exactly once.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        pending = check_schema(conn)
        if pending:
            from sqlite_utils import Database
            from sqlite_utils.migrations import Migrations

            migrations = Migrations(MIGRATION_SET)
            for name, fn in _ordered:
                migrations(name=name)(fn)
            migrations.apply(Database(conn))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return pending
