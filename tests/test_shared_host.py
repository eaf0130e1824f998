"""`socdesk init --shared GROUP`: one database on one SSH host, used by every member of a group.

The real thing: the `socdesk` command in subprocesses, real groups and users created for the test
(as root; skipped with the reason otherwise), real -wal/-shm files made by SQLite itself.
"""

from __future__ import annotations

import grp
import json
import os
import secrets
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared_setup import (
    LOGIN_UMASK,
    Account,
    Done,
    Interpreter,
    as_account,
    assert_error,
    interpreter_for,
    mode_of,
    my_group,
    ok,
    run_socdesk,
    snapshot_tree,
    temporary_accounts,
    traversable_dir,
    why_no_accounts,
)
from socdesk import shared_host
from socdesk.domain.errors import InvalidInput

# Holds the database open as one user while others write: it reads the cards when it opens, waits
# for a line on stdin, reads them again and closes.
HOLDER = """
import json, sys
from pathlib import Path
from socdesk.store import open_store
store = open_store(Path(sys.argv[1]), actor="holder")
print(json.dumps(sorted(c.title for c in store.list_cards())), flush=True)
sys.stdin.readline()
print(json.dumps(sorted(c.title for c in store.list_cards())), flush=True)
store.close()
"""


# ---------------------------------------------------------------------- refusals: nothing changes


def test_unknown_group_is_refused_and_nothing_is_created_or_changed(tmp_path: Path) -> None:
    unknown = f"nosuch{secrets.token_hex(4)}"
    fresh = tmp_path / "fresh" / "team.db"
    assert_error(run_socdesk("--db", str(fresh), "init", "--shared", unknown), "unknown group", unknown)
    assert sorted(os.listdir(tmp_path)) == []

    existing = tmp_path / "existing" / "team.db"
    ok(run_socdesk("--db", str(existing), "init"))
    before = snapshot_tree(tmp_path)
    assert_error(run_socdesk("--db", str(existing), "init", "--shared", unknown), "unknown group")
    assert snapshot_tree(tmp_path) == before


def test_a_file_that_is_not_socdesks_keeps_its_group_and_mode(tmp_path: Path) -> None:
    notes = tmp_path / "team" / "notes.db"
    notes.parent.mkdir()
    notes.write_bytes(b"handover notes, not a database\n" * 40)
    notes.chmod(0o640)
    before = snapshot_tree(tmp_path)
    assert_error(run_socdesk("--db", str(notes), "init", "--shared", my_group()), "not an SQLite database")
    assert snapshot_tree(tmp_path) == before


@pytest.mark.parametrize("fstype", ["nfs4", "fuse.sshfs", "cifs"])
def test_a_network_filesystem_is_refused_before_anything_changes(tmp_path: Path, fstype: str) -> None:
    mounts = tmp_path / "mounts"
    (tmp_path / "srv").mkdir()  # the mount point
    mounts.write_text(f"/dev/vda / ext4 rw 0 0\nfiler:/export/soc {tmp_path / 'srv'} {fstype} rw 0 0\n")
    with pytest.raises(InvalidInput, match="network filesystem") as refused:
        shared_host.prepare(tmp_path / "srv" / "soc" / "team.db", my_group(), mounts_file=mounts)
    assert fstype in str(refused.value) and "nothing was changed" in str(refused.value)
    assert sorted(os.listdir(tmp_path)) == ["mounts", "srv"] and os.listdir(tmp_path / "srv") == []


def test_a_home_or_system_directory_is_never_given_to_the_group(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o750)
    env = {**os.environ, "HOME": str(home)}
    before = snapshot_tree(tmp_path)
    refused = run_socdesk("--db", str(home / "team.db"), "init", "--shared", my_group(), env=env)
    assert_error(refused, "a home directory", "a directory of its own", "nothing was changed")
    assert snapshot_tree(tmp_path) == before
    for system in ("/", "/tmp", "/srv", "/home"):  # the guard alone: nothing else runs
        with pytest.raises(InvalidInput, match="a system directory"):
            shared_host._refuse_a_directory_with_other_uses(Path(system))


# ---------------------------------------------------------------------- what it sets


def test_init_shared_sets_group_setgid_and_modes_whatever_the_umask_and_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "srv" / "soc" / "team.db"
    group = my_group()
    gid = grp.getgrnam(group).gr_gid
    first = ok(run_socdesk("--db", str(db), "init", "--shared", group, "--sample", umask=0o077))
    assert "loaded sample data" in first.stdout and f"created {db}" in first.stdout
    assert mode_of(db.parent) == 0o2770 and db.parent.stat().st_gid == gid
    assert mode_of(db) == 0o660 and db.stat().st_gid == gid
    assert f"export SOCDESK_DB={db}" in first.stdout
    assert "ssh -t " in first.stdout and " socdesk" in first.stdout
    assert "2770" in first.stdout and "0660" in first.stdout
    cards = json.loads(ok(run_socdesk("--db", str(db), "card", "list", "--json")).stdout)
    assert len(cards) > 10
    # SQLite made the -wal/-shm of that run, and removed them on its last close.
    assert sorted(os.listdir(db.parent)) == ["team.db"]

    db.chmod(0o600)  # drifted since; a re-run puts it right and changes nothing else
    again = ok(run_socdesk("--db", str(db), "init", "--shared", group))
    assert f"database ready at {db}" in again.stdout
    assert mode_of(db.parent) == 0o2770 and mode_of(db) == 0o660 and db.stat().st_gid == gid
    assert json.loads(ok(run_socdesk("--db", str(db), "card", "list", "--json")).stdout) == cards
    before = snapshot_tree(db.parent)
    ok(run_socdesk("--db", str(db), "init", "--shared", group))
    assert snapshot_tree(db.parent) == before


def test_existing_wal_and_shm_get_the_group_and_mode_too(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "soc" / "team.db"
    ok(run_socdesk("--db", str(db), "init"))
    holder = sqlite3.connect(db)  # someone has it open: its -wal/-shm exist, mode 0644 like the file
    try:
        holder.execute("SELECT count(*) FROM cards").fetchone()
        wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
        assert mode_of(wal) == 0o644 and mode_of(shm) == 0o644
        ok(run_socdesk("--db", str(db), "init", "--shared", my_group()))
        assert mode_of(wal) == 0o660 and mode_of(shm) == 0o660
        assert wal.stat().st_gid == shm.stat().st_gid == grp.getgrnam(my_group()).gr_gid
    finally:
        holder.close()


# ---------------------------------------------------------------------- two real users


@dataclass
class Team:
    base: Path
    group: grp.struct_group
    one: Account
    two: Account
    python: Interpreter

    def env(self, account: Account, db: Path) -> dict[str, str]:
        home = self.base / f"home-{account.name}"
        if not home.exists():
            home.mkdir()
            os.chown(home, account.uid, account.gid)
        return {
            **self.python.env,
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "SOCDESK_DB": str(db),
        }

    def socdesk(self, account: Account, db: Path, *args: str) -> Done:
        return run_socdesk(
            *args, env=self.env(account, db), argv=self.python.argv, cwd=self.base, **as_account(account)
        )

    def hold(
        self, account: Account, db: Path, *, umask: int = LOGIN_UMASK
    ) -> tuple[subprocess.Popen[str], list[str]]:
        """``account`` opens the database and keeps it open; returns the process and what it saw."""
        holder = subprocess.Popen(
            [*self.python.argv, "-c", HOLDER, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(account, db),
            cwd=self.base,
            **as_account(account, umask=umask),  # type: ignore[arg-type]
        )
        line = holder.stdout.readline() if holder.stdout else ""
        assert line, holder.communicate()[1]
        return holder, json.loads(line)


def release(holder: subprocess.Popen[str]) -> list[str]:
    """Let a holder read once more and close; what it saw last."""
    out, err = holder.communicate("\n", timeout=60)
    assert holder.returncode == 0, err
    return json.loads(out.splitlines()[-1])


@pytest.fixture
def team() -> Iterator[Team]:
    reason = why_no_accounts()
    if reason:
        pytest.skip(reason)
    with temporary_accounts() as accounts, traversable_dir() as base:
        group = accounts.group()
        one, two = accounts.user(group.gr_name), accounts.user(group.gr_name)
        python = interpreter_for(one)
        if isinstance(python, str):
            pytest.skip(python)
        yield Team(base, group, one, two, python)


def test_two_members_share_one_database_and_each_others_wal_and_shm(team: Team) -> None:
    db = team.base / "soc" / "team.db"
    ok(run_socdesk("--db", str(db), "init", "--shared", team.group.gr_name))
    wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
    holders: list[subprocess.Popen[str]] = []
    try:
        first, seen = team.hold(team.one, db)  # user one opens first: SQLite creates -wal/-shm
        holders.append(first)
        assert seen == []
        for side in (wal, shm):
            st = side.stat()  # the creator's owner, the directory's group, the database's mode (umask 022)
            made = (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
            assert made == (team.one.uid, team.group.gr_gid, 0o660)
        ok(team.socdesk(team.two, db, "card", "add", "two, while one holds it", "--type", "operations"))
        before = snapshot_tree(db.parent)
        ok(run_socdesk("--db", str(db), "doctor"))  # root reads it without taking one's files over
        assert snapshot_tree(db.parent) == before

        second, seen = team.hold(team.two, db)  # both hold it now, on one's -wal/-shm
        holders.append(second)
        assert seen == ["two, while one holds it"]
        assert release(first) == ["two, while one holds it"]  # one sees two's write, then closes
        assert wal.stat().st_uid == team.one.uid  # still there: two holds it open
        ok(team.socdesk(team.one, db, "card", "add", "one, while two holds it", "--type", "business"))
        assert release(second) == ["one, while two holds it", "two, while one holds it"]
        assert not wal.exists() and not shm.exists()  # two closed last and removed what one created

        for account in (team.one, team.two):
            listed = ok(team.socdesk(account, db, "card", "list", "--json"))
            titles = {c["title"] for c in json.loads(listed.stdout)}
            assert titles == {"one, while two holds it", "two, while one holds it"}
        actors = {e["actor"] for e in json.loads(ok(team.socdesk(team.one, db, "log", "--json")).stdout)}
        assert {team.one.name, team.two.name} <= actors

        # Even under umask 077, SQLite gives them the database's mode.
        strict, _ = team.hold(team.two, db, umask=0o077)
        holders.append(strict)
        assert mode_of(wal) == mode_of(shm) == 0o660 and wal.stat().st_gid == team.group.gr_gid
        release(strict)

        doctor = ok(team.socdesk(team.one, db, "doctor", "--json"))  # a member, not root
        statuses = {c["name"]: c["status"] for c in json.loads(doctor.stdout)}
        assert all(s == "ok" for name, s in statuses.items() if name != "disk_space"), statuses
        assert sorted(os.listdir(db.parent)) == ["team.db"]  # the doctor created nothing
    finally:
        for holder in holders:
            if holder.poll() is None:
                holder.kill()
                holder.wait()


def test_without_shared_the_second_user_cannot_write_and_is_told_why(team: Team) -> None:
    plain = team.base / "plain"
    plain.mkdir()
    os.chown(plain, team.one.uid, team.one.gid)
    plain.chmod(0o755)
    db = plain / "team.db"
    ok(team.socdesk(team.one, db, "init"))
    ok(team.socdesk(team.one, db, "card", "add", "one's own card", "--type", "business"))
    assert mode_of(db) == 0o644 and db.stat().st_uid == team.one.uid

    refused = team.socdesk(team.two, db, "card", "add", "two's card", "--type", "business")
    assert_error(refused, "read-only")
    holder, _ = team.hold(team.one, db)  # and while one holds it open, with one's -wal/-shm
    try:
        assert_error(team.socdesk(team.two, db, "card", "add", "two's card", "--type", "business"))
    finally:
        release(holder)
    titles = [c["title"] for c in json.loads(ok(team.socdesk(team.one, db, "card", "list", "--json")).stdout)]
    assert titles == ["one's own card"]

    doctor = team.socdesk(team.two, db, "doctor", "--json")
    assert doctor.returncode == 1
    checks = {c["name"]: c for c in json.loads(doctor.stdout)}
    assert checks["file_access"]["status"] == "fail"
    assert f"private to {team.one.name}" in checks["file_access"]["found"]
    assert "init --shared" in checks["file_access"]["fix"]


def test_a_shared_directory_without_setgid_fails_the_second_user_clearly(team: Team) -> None:
    db = team.base / "soc" / "team.db"
    ok(run_socdesk("--db", str(db), "init", "--shared", team.group.gr_name))
    db.parent.chmod(0o770)  # setgid lost: -wal/-shm get their creator's own group
    holder, _ = team.hold(team.one, db)
    try:
        assert Path(f"{db}-wal").stat().st_gid == team.one.gid
        refused = team.socdesk(team.two, db, "card", "add", "two's card", "--type", "business")
        assert_error(refused, "-wal", "not shared with you", "socdesk doctor")
        doctor = team.socdesk(team.two, db, "doctor", "--json")
        assert doctor.returncode == 1
        checks = {c["name"]: c for c in json.loads(doctor.stdout)}
        assert checks["directory"]["status"] == "fail" and "setgid" in checks["directory"]["found"]
        assert "chmod 2770" in checks["directory"]["fix"]
        assert checks["wal_shm"]["status"] == "fail"
    finally:
        release(holder)


def test_a_caller_outside_the_group_is_refused_before_anything_changes(team: Team) -> None:
    outsider_dir = team.base / "outsider"
    outsider_dir.mkdir()
    os.chown(outsider_dir, team.one.uid, team.one.gid)
    db = outsider_dir / "soc" / "team.db"
    other = grp.getgrgid(0).gr_name  # a group user one is not in
    refused = team.socdesk(team.one, db, "init", "--shared", other)
    assert_error(refused, "not in group", other)
    assert os.listdir(outsider_dir) == []
