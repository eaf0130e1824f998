"""`socdesk doctor`: healthy set-ups pass every check; each broken one fails the right check, with a fix.

The real command in subprocesses against real files; the mounts file and the thresholds, which the
command reads from the host, are passed to the functions directly. The doctor changes nothing, so
every test also checks that the directory and the file are as they were.
"""

from __future__ import annotations

import grp
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared_setup import (
    Done,
    mode_of,
    my_group,
    ok,
    run_socdesk,
    snapshot_tree,
    temporary_accounts,
    traversable_dir,
    why_no_accounts,
)
from socdesk.doctor import Thresholds, as_text, check_sqlite, exit_code, run_checks
from socdesk.mounts import mount_of, read_mounts
from socdesk.store.migrations import MIGRATIONS_TABLE

CHECKS = [
    "sqlite",
    "database",
    "journal_mode",
    "integrity",
    "schema",
    "directory",
    "file_access",
    "wal_shm",
    "filesystem",
    "disk_space",
]
NO_DISK_LIMITS = Thresholds(warn_free_bytes=0, fail_free_bytes=0)


def local_mounts(tmp: Path) -> Path:
    mounts = tmp / "mounts"
    mounts.write_text("/dev/vda / ext4 rw,relatime 0 0\ntmpfs /dev/shm tmpfs rw 0 0\n")
    return mounts


def doctor_json(db: Path, env: dict[str, str] | None = None) -> tuple[Done, dict[str, dict[str, str]]]:
    done = run_socdesk("doctor", "--json", *(["--db", str(db)] if env is None else []), env=env)
    assert done.returncode in (0, 1), done.stderr
    listed = json.loads(done.stdout)
    assert [c["name"] for c in listed] == CHECKS
    assert all(set(c) == {"name", "status", "found", "fix"} for c in listed)
    assert all(c["status"] in ("ok", "warn", "fail") for c in listed)
    assert all(c["fix"] for c in listed if c["status"] == "fail")  # nothing fails without its fix
    return done, {c["name"]: c for c in listed}


def assert_fails(db: Path, name: str, *fix_fragments: str) -> dict[str, dict[str, str]]:
    """Exit 1, check ``name`` failed with a fix naming ``fix_fragments``, in JSON and in the text."""
    done, checks = doctor_json(db)
    assert done.returncode == 1, done.stdout
    assert checks[name]["status"] == "fail", checks[name]
    for fragment in fix_fragments:
        assert fragment in checks[name]["fix"], checks[name]
    text = run_socdesk("doctor", "--db", str(db))
    assert text.returncode == 1
    assert f"FAIL  {name}" in text.stdout
    fixes = text.stdout.split("to fix:\n", 1)[1]
    assert checks[name]["fix"] in fixes
    assert text.stderr.startswith("error: failed checks:") and name in text.stderr
    return checks


def all_ok_but_disk(checks: dict[str, dict[str, str]]) -> None:
    """The host's free space is not the test's to choose (the functions' tests cover it)."""
    assert checks["disk_space"]["status"] in ("ok", "warn")
    assert {n: c["status"] for n, c in checks.items() if n != "disk_space"} == dict.fromkeys(
        CHECKS[:-1], "ok"
    )


def run_fix(fix: str, tmp: Path) -> None:
    """Apply a printed fix exactly as a person would paste it, with this checkout's `socdesk` on PATH."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    wrapper = bin_dir / "socdesk"
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m socdesk "$@"\n')
    wrapper.chmod(0o755)
    path = os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])
    subprocess.run(["bash", "-c", fix], check=True, capture_output=True, env={**os.environ, "PATH": path})


@pytest.fixture
def shared_db() -> Iterator[Path]:
    """A fresh `init --shared` set-up in a directory other users can reach (with this user's group)."""
    with traversable_dir() as base:
        db = base / "soc" / "team.db"
        ok(run_socdesk("--db", str(db), "init", "--shared", my_group()))
        yield db


@pytest.fixture
def team_group() -> Iterator[grp.struct_group]:
    """A group that is nobody's own: a directory writable by it is shared even without setgid."""
    reason = why_no_accounts()
    if reason:
        pytest.skip(reason)
    with temporary_accounts() as accounts:
        yield accounts.group()


# ---------------------------------------------------------------------- healthy


def test_a_fresh_shared_set_up_passes_every_check(shared_db: Path, tmp_path: Path) -> None:
    before = snapshot_tree(shared_db.parent)
    done, checks = doctor_json(shared_db)
    assert done.returncode == 0 and done.stderr == ""
    all_ok_but_disk(checks)
    assert "shared with group" in checks["directory"]["found"] and "setgid" in checks["directory"]["found"]
    checked = run_checks(shared_db, mounts_file=local_mounts(tmp_path), thresholds=NO_DISK_LIMITS)
    assert [c.status for c in checked] == ["ok"] * len(CHECKS)
    assert exit_code(checked) == 0 and as_text(shared_db, checked).endswith("all checks passed")
    assert snapshot_tree(shared_db.parent) == before


def test_a_private_default_set_up_passes_as_private(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "SOCDESK_DB"},
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
    }
    ok(run_socdesk("init", env=env))
    db = tmp_path / "xdg" / "socdesk" / "socdesk.db"
    assert db.is_file()
    done, checks = doctor_json(db, env=env)  # found through the default path, as a user would run it
    assert done.returncode == 0, done.stdout
    all_ok_but_disk(checks)
    assert checks["directory"]["found"].startswith("private: only")
    assert checks["file_access"]["found"].startswith("private:")
    text = ok(run_socdesk("doctor", env=env))
    assert f"socdesk doctor: {db}" in text.stdout


def test_warnings_alone_exit_0(shared_db: Path, tmp_path: Path) -> None:
    free = shutil.disk_usage(shared_db.parent).free
    checked = run_checks(
        shared_db, mounts_file=local_mounts(tmp_path), thresholds=Thresholds(warn_free_bytes=free * 2)
    )
    assert {c.name: c.status for c in checked}["disk_space"] == "warn"
    assert exit_code(checked) == 0
    assert "no failures, 1 warnings" in as_text(shared_db, checked)


# ---------------------------------------------------------------------- broken files


def test_a_file_that_is_not_sqlite_fails_and_stays_byte_for_byte(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_bytes(b"shift handover notes\nnot a database at all \x00\xff\n" * 200)
    before = snapshot_tree(tmp_path)
    checks = assert_fails(notes, "database", "SOCDESK_DB")
    assert "not an SQLite database" in checks["database"]["found"]
    assert checks["integrity"]["status"] == checks["schema"]["status"] == "warn"  # could not be checked
    assert snapshot_tree(tmp_path) == before


def test_a_missing_file_fails_with_init_and_nothing_is_created(tmp_path: Path) -> None:
    db = tmp_path / "nowhere" / "team.db"
    checks = assert_fails(db, "database", f"socdesk --db {db} init")
    assert checks["disk_space"]["status"] in ("ok", "warn") and checks["filesystem"]["status"] == "ok"
    assert os.listdir(tmp_path) == []


def test_a_rollback_journal_database_fails_and_the_fix_switches_it_to_wal(tmp_path: Path) -> None:
    db = tmp_path / "team.db"
    ok(run_socdesk("--db", str(db), "init"))
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    conn.close()
    before = db.read_bytes()
    checks = assert_fails(db, "journal_mode", "init")
    assert "rollback journal" in checks["journal_mode"]["found"]
    assert db.read_bytes() == before
    run_fix(checks["journal_mode"]["fix"].split("#")[0], tmp_path)
    assert doctor_json(db)[0].returncode == 0


def test_a_newer_schema_fails_with_upgrade_socdesk_and_stays_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "team.db"
    ok(run_socdesk("--db", str(db), "init"))
    conn = sqlite3.connect(db)
    conn.execute(
        f"INSERT INTO {MIGRATIONS_TABLE} (migration_set, name, applied_at) VALUES (?, ?, ?)",
        ("socdesk", "9999_future", "2030-01-01 00:00:00"),
    )
    conn.commit()
    conn.close()
    before = snapshot_tree(tmp_path)
    checks = assert_fails(db, "schema", "upgrade socdesk")
    assert "9999_future" in checks["schema"]["found"] and "newer" in checks["schema"]["found"]
    assert snapshot_tree(tmp_path) == before


def test_a_corrupt_page_fails_integrity_and_the_file_stays_byte_for_byte(tmp_path: Path) -> None:
    db = tmp_path / "team.db"
    ok(run_socdesk("--db", str(db), "init", "--sample"))
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events'").fetchone()[0]
    conn.close()
    assert pages > 10 and 1 < root < pages  # a page in the middle of a multi-page file
    with db.open("r+b") as handle:  # garbage over the page's b-tree header and first cells
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * 64)
    corrupted = snapshot_tree(tmp_path)
    checks = assert_fails(db, "integrity", ".recover")
    assert "corrupt" in checks["integrity"]["found"]
    assert checks["database"]["status"] == "ok" and checks["journal_mode"]["status"] == "ok"
    assert snapshot_tree(tmp_path) == corrupted


def test_a_read_only_file_fails_file_access(tmp_path: Path) -> None:
    db = tmp_path / "team.db"
    ok(run_socdesk("--db", str(db), "init"))
    db.chmod(0o444)
    before = snapshot_tree(tmp_path)
    checks = assert_fails(db, "file_access", f"chmod u+w {db}")
    assert "read-only" in checks["file_access"]["found"]
    assert checks["integrity"]["status"] == checks["schema"]["status"] == "ok"  # still read, read-only
    assert snapshot_tree(tmp_path) == before


# ---------------------------------------------------------------------- broken sharing


def test_a_database_file_600_in_a_shared_directory_fails_and_the_fix_works(
    shared_db: Path, tmp_path: Path
) -> None:
    shared_db.chmod(0o600)
    checks = assert_fails(shared_db, "file_access", f"chgrp {my_group()} {shared_db}", "chmod 660")
    assert "0600" in checks["file_access"]["found"]
    run_fix(checks["file_access"]["fix"], tmp_path)
    all_ok_but_disk(doctor_json(shared_db)[1])


def test_a_group_directory_without_setgid_fails_and_the_fix_works(
    team_group: grp.struct_group, tmp_path: Path
) -> None:
    with traversable_dir() as base:
        db = base / "soc" / "team.db"
        ok(run_socdesk("--db", str(db), "init", "--shared", team_group.gr_name))
        db.parent.chmod(0o770)  # group rwx but no setgid: still shared with the group, and broken
        checks = assert_fails(db, "directory", "chmod 2770", f"chgrp {team_group.gr_name}")
        assert "no setgid" in checks["directory"]["found"]
        assert f"shared with group {team_group.gr_name}" in checks["directory"]["found"]
        run_fix(checks["directory"]["fix"], tmp_path)
        all_ok_but_disk(doctor_json(db)[1])


def test_a_database_moved_in_with_another_group_fails_file_access(
    team_group: grp.struct_group, tmp_path: Path
) -> None:
    with traversable_dir() as base:
        db = base / "soc" / "team.db"
        ok(run_socdesk("--db", str(db), "init", "--shared", team_group.gr_name))
        os.chown(db, -1, 0)  # as `mv` leaves it: the group it had where it came from
        checks = assert_fails(db, "file_access", f"chgrp {team_group.gr_name} {db}")
        assert checks["directory"]["status"] == "ok"
        run_fix(checks["file_access"]["fix"].split("#")[0], tmp_path)
        all_ok_but_disk(doctor_json(db)[1])


def test_a_wal_not_writable_by_the_group_fails_while_someone_holds_it(
    shared_db: Path, tmp_path: Path
) -> None:
    holder = sqlite3.connect(shared_db)  # someone has it open: -wal and -shm exist
    try:
        holder.execute("SELECT count(*) FROM cards").fetchone()
        wal = Path(f"{shared_db}-wal")
        wal.chmod(0o640)
        checks = assert_fails(shared_db, "wal_shm", f"chgrp {my_group()} {wal}", "chmod 660")
        assert "team.db-wal" in checks["wal_shm"]["found"] and "0640" in checks["wal_shm"]["found"]
        # SQLite would have given the empty -wal the database's mode on opening it: the doctor did not.
        assert mode_of(wal) == 0o640
        assert checks["integrity"]["status"] == "ok" and "main file only" in checks["integrity"]["found"]
        run_fix(checks["wal_shm"]["fix"].split("#")[0], tmp_path)
        all_ok_but_disk(doctor_json(shared_db)[1])
        assert holder.execute("SELECT count(*) FROM cards").fetchone()[0] == 0
    finally:
        holder.close()


# ---------------------------------------------------------------------- the host: functions, injected


@pytest.mark.parametrize("fstype", ["nfs4", "fuse.sshfs", "cifs", "9p", "ceph"])
def test_a_network_filesystem_fails_loudly(shared_db: Path, tmp_path: Path, fstype: str) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/vda / ext4 rw 0 0\nfiler:/soc {shared_db.parent.parent} {fstype} rw 0 0\n")
    checked = run_checks(shared_db, mounts_file=mounts, thresholds=NO_DISK_LIMITS)
    statuses = {c.name: c.status for c in checked}
    assert statuses == {**dict.fromkeys(CHECKS, "ok"), "filesystem": "fail"}
    network = next(c for c in checked if c.name == "filesystem")
    assert "NETWORK FILESYSTEM" in network.found and fstype in network.found and "corrupt" in network.found
    assert network.fix and "export" in network.fix and "import" in network.fix
    assert exit_code(checked) == 1
    text = as_text(shared_db, checked)
    assert "FAIL  filesystem" in text and "NETWORK FILESYSTEM" in text and network.fix in text


def test_the_longest_mount_point_wins_and_escapes_are_read(tmp_path: Path) -> None:
    for name in ("x/local", "x/remote", "xy", "with space"):
        (tmp_path / name).mkdir(parents=True)
    mounts = tmp_path / "mounts"
    escaped = str(tmp_path).replace(" ", "\\040") + "/with\\040space"  # as the kernel writes a space
    mounts.write_text(
        "/dev/vda / ext4 rw 0 0\n"
        f"filer:/a {tmp_path}/x nfs4 rw 0 0\n"
        f"/dev/vdb {tmp_path}/x/local xfs rw 0 0\n"
        f"/dev/vdc {tmp_path}/xy ext4 rw 0 0\n"
        f"filer:/b {escaped} nfs rw 0 0\n"
    )
    listed = read_mounts(mounts)

    def fstype(path: Path) -> str | None:
        mount = mount_of(path, listed)
        return mount.fstype if mount else None

    assert fstype(tmp_path / "x" / "local" / "new" / "team.db") == "xfs"  # not yet there: its parent's
    assert fstype(tmp_path / "x" / "remote" / "team.db") == "nfs4"
    assert fstype(tmp_path / "xy" / "team.db") == "ext4"  # /x is no prefix of /xy
    assert fstype(tmp_path / "with space" / "team.db") == "nfs"
    assert fstype(Path("/")) == "ext4"


def test_filesystem_it_cannot_tell_is_a_warning(shared_db: Path, tmp_path: Path) -> None:
    fuse = tmp_path / "fuse-mounts"
    fuse.write_text(f"/dev/vda / ext4 rw 0 0\nvault {shared_db.parent.parent} fuse.gocryptfs rw 0 0\n")
    for mounts_file, words in ((tmp_path / "no-such-file", "cannot tell"), (fuse, "FUSE")):
        checked = run_checks(shared_db, mounts_file=mounts_file, thresholds=NO_DISK_LIMITS)
        filesystem = next(c for c in checked if c.name == "filesystem")
        assert filesystem.status == "warn" and words in filesystem.found and filesystem.fix
        assert exit_code(checked) == 0


def test_free_disk_under_the_threshold_fails(shared_db: Path, tmp_path: Path) -> None:
    free = shutil.disk_usage(shared_db.parent).free
    checked = run_checks(
        shared_db, mounts_file=local_mounts(tmp_path), thresholds=Thresholds(fail_free_bytes=free * 2)
    )
    disk = next(c for c in checked if c.name == "disk_space")
    assert disk.status == "fail" and "nearly full" in disk.found and disk.fix and "df -h" in disk.fix
    assert exit_code(checked) == 1
    assert [c.name for c in checked if c.status != "ok"] == ["disk_space"]


def test_an_sqlite_library_too_old_fails(shared_db: Path, tmp_path: Path) -> None:
    assert check_sqlite("3.21.0").status == "fail" and check_sqlite("3.22.0").status == "ok"
    assert check_sqlite("3.40.1", (3, 41, 0)).status == "fail"
    checked = run_checks(
        shared_db, mounts_file=local_mounts(tmp_path), thresholds=NO_DISK_LIMITS, sqlite_version="3.7.17"
    )
    sqlite = checked[0]
    assert sqlite.name == "sqlite" and sqlite.status == "fail" and "3.22.0" in sqlite.found and sqlite.fix
    assert exit_code(checked) == 1
