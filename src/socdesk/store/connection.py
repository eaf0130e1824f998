"""Opening the shared SQLite file safely: refuse what we must not touch, then set it up for many processes."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from pathlib import Path

from socdesk.store.errors import StoreUnavailable

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000


def _marked_writable(path: Path) -> bool:
    """True when both the permission bits and the OS allow writing (root ignores the bits; we do not)."""
    mode = path.stat().st_mode
    return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) and os.access(path, os.W_OK)


def _check_wal_files(path: Path) -> None:
    """-wal/-shm another user's socdesk created and did not share (no setgid directory): refuse clearly,
    rather than let SQLite fail with "unable to open database file"."""
    for side in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            writable = _marked_writable(side)
        except FileNotFoundError:  # none yet, or removed by the last close meanwhile
            continue
        if not writable:
            raise StoreUnavailable(
                f"cannot write {side}: another user's socdesk created it and it is not shared with you; "
                "`socdesk doctor` says how to set the directory up for the team"
            )


def check_file(path: Path, *, create: bool) -> None:
    """Refuse, with a reason, any file socdesk must not open for writing. Touches nothing."""
    if path.exists():
        if not path.is_file():
            raise StoreUnavailable(f"{path} is not a file; give --db the path of a socdesk database")
        if path.stat().st_size > 0:
            try:
                with path.open("rb") as handle:
                    header = handle.read(len(SQLITE_HEADER))
            except PermissionError:
                raise StoreUnavailable(f"cannot read {path}: permission denied") from None
            if header != SQLITE_HEADER:
                raise StoreUnavailable(f"{path} is not an SQLite database; socdesk left it untouched")
        if not _marked_writable(path):
            raise StoreUnavailable(
                f"{path} is read-only; socdesk needs to write to it (check its mode and owner)"
            )
    elif not create:
        raise StoreUnavailable(f"no database at {path}; create it with `socdesk init` (or pass --db)")
    _check_wal_files(path)
    directory = path.parent
    if directory.exists() and not _marked_writable(directory):
        raise StoreUnavailable(
            f"cannot write in {directory}: SQLite needs to create {path.name}-wal and {path.name}-shm "
            "beside the database (see `socdesk init --help` for shared set-ups)"
        )


# SQLite's primary result codes for a file that is damaged or whose disk gives out.
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_NOTADB = 10, 11, 13, 26


def _disk_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free == 0
    except OSError:
        return False


def disk_trouble(error: sqlite3.Error) -> bool:
    """Whether ``error`` is the disk's (full, or failing I/O) rather than the file's or the SQL's."""
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) in (SQLITE_IOERR, SQLITE_FULL)


def sqlite_failure(error: sqlite3.Error, path: Path | None) -> StoreUnavailable:
    """SQLite failing on the file itself as one line a person can act on (instead of a traceback)."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    where = str(path) if path is not None else "the database"
    if code == SQLITE_FULL or (path is not None and code == SQLITE_IOERR and _disk_full(path)):
        return StoreUnavailable(
            f"the disk holding {where} is full ({error}); nothing was written: free some space and try again"
        )
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return StoreUnavailable(
            f"{where} is damaged ({error}); socdesk left it untouched: `socdesk doctor` checks it"
        )
    return StoreUnavailable(f"cannot use {where} ({error}); nothing was written: is its disk failing?")


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (we issue BEGIN IMMEDIATE ourselves) that waits for locks."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def enable_wal(conn: sqlite3.Connection) -> None:
    """WAL lets readers and one writer work at once; FULL sync keeps acknowledged writes on disk."""
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if mode.lower() != "wal":
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreUnavailable(f"could not switch the database to WAL mode (got {mode!r})")
    conn.execute("PRAGMA synchronous = FULL")
