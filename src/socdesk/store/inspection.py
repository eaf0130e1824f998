"""Looking at a database file without changing it: its header, integrity and schema, read-only.

Used by ``socdesk doctor``, which must leave a broken file byte-for-byte as it found it. Even a
``mode=ro`` connection to a WAL database changes things beside it: it creates ``-wal`` and ``-shm``
when they are missing (and leaves them behind), gives an empty ``-wal`` the database's mode, and, run
by root, hands both to the database's owner. So the file is opened ``mode=ro`` only when that open
changes nothing; otherwise ``immutable=1``, which reads the main file alone and touches no other file
(the commits still in a ``-wal`` are then not seen; with no ``-wal`` there are none).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from socdesk.store.connection import BUSY_TIMEOUT_MS, SQLITE_HEADER
from socdesk.store.migrations import MIGRATION_SET, MIGRATIONS_TABLE, known_names

HEADER_SIZE = 100
JOURNAL_VERSIONS = {1: "rollback journal", 2: "WAL"}


@dataclass(frozen=True)
class Header:
    """The facts the first 100 bytes of an SQLite file state (sqlite.org/fileformat.html)."""

    page_size: int
    write_version: int  # 1 = rollback journal, 2 = WAL; persists in the file
    read_version: int
    page_count: int

    @property
    def is_wal(self) -> bool:
        return self.write_version == 2 and self.read_version == 2

    @property
    def journal(self) -> str:
        return JOURNAL_VERSIONS.get(self.write_version, f"unknown (file format {self.write_version})")


def parse_header(data: bytes) -> Header | None:
    """The header of an SQLite file, or None when ``data`` does not start like one."""
    if len(data) < HEADER_SIZE or not data.startswith(SQLITE_HEADER):
        return None
    raw_size = int.from_bytes(data[16:18], "big")
    return Header(
        page_size=65536 if raw_size == 1 else raw_size,
        write_version=data[18],
        read_version=data[19],
        page_count=int.from_bytes(data[28:32], "big"),
    )


def read_header(path: Path) -> bytes:
    """The first 100 bytes of ``path`` (fewer if it is shorter). Raises OSError."""
    with path.open("rb") as handle:
        return handle.read(HEADER_SIZE)


def wal_files(path: Path) -> tuple[Path, Path]:
    return Path(f"{path}-wal"), Path(f"{path}-shm")


@dataclass
class ReadOnlyDatabase:
    conn: sqlite3.Connection
    main_file_only: str | None
    """Why only the main file is read (opened immutable), or None when the -wal is read too."""

    def close(self) -> None:
        self.conn.close()


def _why_not_plain(path: Path, header: Header) -> str | None:
    """Why a plain read-only open would change a file beside the database; None when it would not."""
    if not header.is_wal:
        return None  # a rollback-journal reader opens no other file
    try:
        database = path.stat()
        sides = [side.stat() for side in wal_files(path)]
    except OSError:
        return "there is no -wal/-shm"  # SQLite would create them
    for st in sides:
        if os.geteuid() == 0 and (st.st_uid, st.st_gid) != (database.st_uid, database.st_gid):
            return "opening the -wal/-shm as root would give them the database's owner"
        if st.st_size == 0 and stat.S_IMODE(st.st_mode) != stat.S_IMODE(database.st_mode) & 0o777:
            return "opening the empty -wal would give it the database's mode"
    return None


def open_read_only(path: Path, header: Header) -> ReadOnlyDatabase:
    """A read-only connection that changes no file; sqlite3.Error surfaces on the first query."""
    why = _why_not_plain(path, header)
    uri = Path(path).absolute().as_uri() + ("?mode=ro" if why is None else "?mode=ro&immutable=1")
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA query_only = ON")
    return ReadOnlyDatabase(conn, why)


def integrity_problems(conn: sqlite3.Connection, *, limit: int = 10) -> list[str]:
    """What ``PRAGMA integrity_check`` reports (an empty list when the file is sound)."""
    found = [str(row[0]) for row in conn.execute(f"PRAGMA integrity_check({int(limit)})")]
    return [] if found == ["ok"] else found


SchemaKind = Literal["empty", "foreign", "current", "older", "newer"]


@dataclass(frozen=True)
class SchemaState:
    kind: SchemaKind
    applied: tuple[str, ...]
    known: tuple[str, ...]

    @property
    def pending(self) -> list[str]:
        return [name for name in self.known if name not in self.applied]

    @property
    def unknown(self) -> list[str]:
        return [name for name in self.applied if name not in self.known]


def schema_state(conn: sqlite3.Connection) -> SchemaState:
    """Where this file's schema stands against the migrations this socdesk knows. Reads only.

    The same judgement as ``migrations.check_schema`` (which refuses, where this one describes).
    """
    known = tuple(known_names())
    sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    tables = {row[0] for row in conn.execute(sql)}
    if not tables:
        return SchemaState("empty", (), known)
    if MIGRATIONS_TABLE not in tables:
        return SchemaState("foreign", (), known)
    try:
        sql = f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY id"
        applied = tuple(str(row[0]) for row in conn.execute(sql, (MIGRATION_SET,)))
    except sqlite3.OperationalError:  # a table of that name, but not sqlite-utils' bookkeeping
        return SchemaState("foreign", (), known)
    if not applied:
        return SchemaState("foreign", (), known)
    if any(name not in known for name in applied):
        return SchemaState("newer", applied, known)
    if any(name not in applied for name in known):
        return SchemaState("older", applied, known)
    return SchemaState("current", applied, known)


def json_functions_available() -> bool:
    """The store reads event payloads with json_extract (built in since 3.38, optional before)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("SELECT json_extract('{\"a\": 1}', '$.a')")
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()
    return True
