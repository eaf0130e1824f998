"""Backups of the shared file while others keep writing, and restoring one into a new database.

A backup is made with SQLite's online backup API in one step: the copy is read inside a single read
transaction, so it is one consistent moment of the database even while other processes commit (WAL
lets them; they are never blocked). The copy is turned into a self-contained file (rollback journal,
no ``-wal``/``-shm`` beside it), checked with ``integrity_check``, flushed to disk and only then
renamed into place: a half-made backup never carries the backup's name.

Restoring copies a backup into a database path that does not exist yet (or is empty), the same way,
then opens it as a store (which upgrades an older backup's schema and switches it to WAL) and logs
``database.restore``; all of it happens beside the target and is renamed into place at the end, so
a failed restore leaves nothing behind.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from socdesk.domain.clock import Clock
from socdesk.store.connection import SQLITE_HEADER
from socdesk.store.errors import StoreUnavailable
from socdesk.store.migrations import check_schema


@dataclass(frozen=True)
class BackupSummary:
    """What a backup (or a restore) holds, to tell the person who made it."""

    path: Path
    cards: int
    events: int
    size: int

    def describe(self) -> str:
        return f"{self.cards} cards, {self.events} events, {self.size / 1024:.0f} KiB"


def _summary(conn: sqlite3.Connection, path: Path) -> BackupSummary:
    cards = conn.execute("SELECT count(*) FROM cards").fetchone()[0]
    events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    return BackupSummary(path=path, cards=int(cards), events=int(events), size=path.stat().st_size)


def _refuse_existing(target: Path, what: str) -> None:
    if target.is_dir():
        raise StoreUnavailable(f"{target} is a directory; give the path of the {what} file to write")
    if target.exists() and target.stat().st_size > 0:
        raise StoreUnavailable(f"{target} already exists; socdesk does not overwrite it (choose a new name)")
    if not target.parent.is_dir():
        raise StoreUnavailable(f"cannot write {target}: the folder {target.parent} does not exist")


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def _beside(target: Path) -> Iterator[Path]:
    """A scratch file next to ``target`` (same filesystem, so the final rename is atomic)."""
    scratch = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        yield scratch
    finally:
        for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm"), Path(f"{scratch}-journal")):
            leftover.unlink(missing_ok=True)


def _check_integrity(conn: sqlite3.Connection, what: str) -> None:
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise StoreUnavailable(f"{what} fails SQLite's integrity check: {'; '.join(problems[:3])}")


def backup_connection(source: sqlite3.Connection, target: Path) -> BackupSummary:
    """Write a consistent copy of ``source``'s database to the new file ``target``."""
    _refuse_existing(target, "backup")
    with _beside(target) as scratch:
        copy = sqlite3.connect(scratch, isolation_level=None)
        try:
            source.backup(copy)  # pages=-1: the whole database in one step, one read transaction
            copy.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
            _check_integrity(copy, "the backup")
        finally:
            copy.close()
        _fsync(scratch)
        os.replace(scratch, target)
    check = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        return _summary(check, target)
    finally:
        check.close()


def _open_backup(source: Path) -> sqlite3.Connection:
    """A read-only connection to a backup that is a socdesk database (of this socdesk or older)."""
    if not source.is_file():
        raise StoreUnavailable(f"no backup at {source}")
    with source.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise StoreUnavailable(f"{source} is not an SQLite database, so not a socdesk backup")
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True, isolation_level=None)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master").fetchone():
            raise StoreUnavailable(f"{source} is an empty SQLite file, not a socdesk backup")
        check_schema(conn)  # refuses another application's file and a newer socdesk's
        _check_integrity(conn, str(source))
    except sqlite3.DatabaseError as error:  # an SQLite header over a body cut short or damaged
        conn.close()
        raise StoreUnavailable(f"{source} is damaged ({error}), so not a usable backup") from None
    except BaseException:
        conn.close()
        raise
    return conn


def restore_backup(source: Path, target: Path, *, actor: str, clock: Clock | None = None) -> BackupSummary:
    """Restore the backup ``source`` as the new database ``target`` (absent or empty): all or nothing."""
    from socdesk.store.sqlite_store import SqliteStore

    _refuse_existing(target, "database")
    backup = _open_backup(source)
    with _beside(target) as scratch:
        try:
            copy = sqlite3.connect(scratch, isolation_level=None)
            try:
                backup.backup(copy)
            finally:
                copy.close()
        finally:
            backup.close()
        store = SqliteStore(scratch, actor=actor, clock=clock, create=True)  # upgrades; WAL
        try:
            store.record_restore(source, as_name=target.name)
        finally:
            store.close()  # the last connection: the WAL is checkpointed into the file and removed
        _fsync(scratch)
        os.replace(scratch, target)
    # Not read-only: the restored file is in WAL mode, and a read-only connection leaves -wal/-shm
    # behind (owned by whoever restored, which in a shared set-up locks the team out of them).
    check = sqlite3.connect(target)
    try:
        return _summary(check, target)
    finally:
        check.close()
