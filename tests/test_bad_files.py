"""The database file itself in a bad way, through the real `socdesk` command: refused, and left as it was.

For each condition — a read-only file, a directory without write permission, a schema from a newer
socdesk, a file that is not SQLite (text, random bytes, an SQLite header over a body cut short), a
zero-length file, another application's SQLite file, a directory given as the database, no file at
all — a read (`card list`), the standard-library read paths (`card list --json`, `now`), a write
(`card add`) and `init` (which may create or upgrade) each exit 1 with one ``error:`` line naming the
problem, and the directory holding the file is byte-for-byte and mode-for-mode what it was. `doctor`,
which reads damaged files on purpose, must not change them either.

This runs as root in CI, and root ignores permission bits: socdesk decides by the mode bits itself
(``connection._marked_writable``), so the read-only cases are real refusals, not the OS's.

A **full disk** needs a filesystem that can fill up: as root, a 2 MiB tmpfs is mounted for the test
(unmounted afterwards, even on failure), else the test is skipped saying why.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bad_input_helpers import Outcome, assert_refused, db_bytes, integrity, run_cli
from socdesk.store.migrations import MIGRATIONS_TABLE

READ = ("card", "list")
FAST_READ = ("card", "list", "--json")
NOW = ("now",)
WRITE = ("card", "add", "Triage the reported phish", "--type", "unplanned")
INIT = ("init",)


def sample_db(path: Path) -> Path:
    """The sample team, every connection closed (no -wal/-shm beside it)."""
    done = run_cli(["--db", str(path), "init", "--sample"])
    assert done.code == 0, done.describe()
    assert db_bytes(path).companions == ()
    return path


def state(directory: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry under ``directory`` (itself included): its mode bits and, for files, its bytes."""
    found = {".": (stat.S_IMODE(directory.stat().st_mode), None)}
    for entry in sorted(directory.rglob("*")):
        mode = stat.S_IMODE(entry.lstat().st_mode)
        found[str(entry.relative_to(directory))] = (mode, entry.read_bytes() if entry.is_file() else None)
    return found


def outcome(argv: tuple[str, ...], result: Any) -> Outcome:
    return Outcome(argv, result.returncode, result.stdout, result.stderr)


# ------------------------------------------------------------------------------------------ the conditions
# Each makes, under ``root``, a database path in a bad way and returns it with the fragment every
# refusal must name. ``root`` is what must not change.


def read_only_file(root: Path) -> tuple[Path, str]:
    path = sample_db(root / "team.db")
    path.chmod(0o444)
    return path, "is read-only"


def locked_directory(root: Path) -> tuple[Path, str]:
    path = sample_db(root / "team.db")
    root.chmod(0o555)
    return path, "cannot write in"


def newer_schema(root: Path) -> tuple[Path, str]:
    path = sample_db(root / "team.db")
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(
            f"INSERT INTO {MIGRATIONS_TABLE} (migration_set, name, applied_at) VALUES ('socdesk', ?, ?)",
            ("9999_future", "2030-01-01 00:00:00"),
        )
        conn.commit()
    return path, "written by a newer socdesk"


def text_file(root: Path) -> tuple[Path, str]:
    path = root / "team.db"
    path.write_text("handover: quiet night, two phish reports, nothing else\n" * 40, encoding="utf-8")
    return path, "not an SQLite database"


def random_bytes(root: Path) -> tuple[Path, str]:
    path = root / "team.db"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(5000))
    return path, "not an SQLite database"


def cut_short(root: Path) -> tuple[Path, str]:
    """The first pages of a real database: its header is right, the rest is missing."""
    whole = sample_db(root / "whole.db").read_bytes()
    (root / "whole.db").unlink()
    path = root / "team.db"
    path.write_bytes(whole[:5000])
    return path, "cannot read it"


def header_only(root: Path) -> tuple[Path, str]:
    path = root / "team.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 84)
    return path, "cannot read it"


def zero_length(root: Path) -> tuple[Path, str]:
    path = root / "team.db"
    path.touch()
    return path, "is empty"


def foreign_sqlite(root: Path) -> tuple[Path, str]:
    path = root / "invoices.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
        conn.execute("INSERT INTO invoices (amount) VALUES (12.5)")
        conn.commit()
    return path, "not a socdesk database"


def a_directory(root: Path) -> tuple[Path, str]:
    path = root / "team.db"
    path.mkdir()
    (path / "notes.txt").write_text("not a database\n", encoding="utf-8")
    return path, "is not a file"


def no_file(root: Path) -> tuple[Path, str]:
    return root / "team.db", "no database at"


Condition = Callable[[Path], tuple[Path, str]]
CONDITIONS: list[Condition] = [
    read_only_file,
    locked_directory,
    newer_schema,
    text_file,
    random_bytes,
    cut_short,
    header_only,
    zero_length,
    foreign_sqlite,
    a_directory,
    no_file,
]
# init may create (no file, a zero-length placeholder): those two are not refusals for it.
INIT_CREATES = {no_file, zero_length}


@pytest.fixture
def restore_modes(tmp_path: Path) -> Iterator[None]:
    yield
    for entry in [tmp_path, *tmp_path.rglob("*")]:
        with contextlib.suppress(OSError):
            entry.chmod(0o755 if entry.is_dir() else 0o644)


@pytest.mark.parametrize("condition", CONDITIONS, ids=lambda c: c.__name__)
def test_a_bad_database_file_is_refused_and_left_as_it_was(
    condition: Condition, socdesk: Any, tmp_path: Path, restore_modes: None
) -> None:
    root = tmp_path / "shared"
    root.mkdir()
    path, fragment = condition(root)
    before = state(root)
    commands = [READ, FAST_READ, NOW, WRITE] + ([] if condition in INIT_CREATES else [INIT])
    with ThreadPoolExecutor(max_workers=2) as pool:  # refusals: none of them writes
        results = list(pool.map(lambda argv: socdesk(*argv, db=path), commands))
    for argv, result in zip(commands, results, strict=True):
        assert_refused(outcome(argv, result), 1, [fragment])
    assert state(root) == before
    if path.is_file():
        doctor = socdesk("doctor", db=path)
        assert "Traceback" not in doctor.stdout + doctor.stderr
        assert state(root) == before  # doctor reads damaged files on purpose, and changes nothing


def test_init_turns_a_zero_length_placeholder_into_a_database(socdesk: Any, tmp_path: Path) -> None:
    path, _ = zero_length(tmp_path)
    assert socdesk("init", db=path).returncode == 0
    assert integrity(path) == "ok"
    assert socdesk(*READ, db=path).stdout == "no cards\n"


# ------------------------------------------------------------------------------------------ a full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs, mounted for this test only (root only), unmounted afterwards whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("a full disk needs a small filesystem to fill: mounting a tmpfs needs root")
    if shutil.which("mount") is None or shutil.which("umount") is None:
        pytest.skip("no mount/umount command to make a small filesystem with")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?): {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True, timeout=30).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, timeout=30)


def fill(disk: Path) -> Path:
    """Write a ballast file until the filesystem has no byte left."""
    ballast = disk / "ballast"
    descriptor = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for size in (1 << 16, 1 << 10, 1):
            try:
                while os.write(descriptor, b"\0" * size):
                    pass
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
    finally:
        os.close(descriptor)
    assert shutil.disk_usage(disk).free == 0
    return ballast


def cards(socdesk: Any, path: Path) -> list[dict[str, Any]]:
    done = socdesk(*FAST_READ, db=path)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def test_a_full_disk_is_refused_clearly_and_loses_nothing(small_disk: Path, socdesk: Any) -> None:
    path = small_disk / "team.db"
    assert socdesk("init", "--sample", db=path).returncode == 0
    assert (
        socdesk("card", "add", "Committed before the disk filled", "--type", "business", db=path).returncode
        == 0
    )
    committed = cards(socdesk, path)
    assert db_bytes(path).companions == ()

    # Nobody has the file open: SQLite cannot even make the -shm it needs to read, so every command,
    # read or write, is refused as a full disk. The main file keeps every byte.
    ballast = fill(small_disk)
    main = path.read_bytes()
    for argv in (READ, FAST_READ, NOW, WRITE):
        assert_refused(outcome(argv, socdesk(*argv, db=path)), 1, ["disk holding", "is full"])
    assert path.read_bytes() == main
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # whatever SQLite began, it wrote no change

    # A console has the file open (so -wal/-shm exist): reads still work, a write is refused as a full
    # disk inside its transaction, rolled back, and the file stays sound.
    ballast.unlink()
    with closing(sqlite3.connect(path)) as holder:
        assert holder.execute("SELECT count(*) FROM cards").fetchone()[0] == len(committed)
        ballast = fill(small_disk)
        assert_refused(outcome(WRITE, socdesk(*WRITE, db=path)), 1, ["disk holding", "is full"])
        assert cards(socdesk, path) == committed
        assert holder.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ballast.unlink()
    # Space again: writes work, and everything committed before is there.
    added = socdesk(*WRITE, db=path)
    assert added.returncode == 0, added.stderr
    after = cards(socdesk, path)
    assert all(card in after for card in committed) and len(after) == len(committed) + 1
    assert integrity(path) == "ok"
