"""``socdesk doctor``: check the database and its set-up for a team, and say how to fix what is wrong.

It changes nothing: the file is read through its header and a read-only connection that creates no
``-wal``/``-shm`` (``store.inspection``), so a broken file stays byte-for-byte as it was. Each check
has a name, a status (ok / warn / fail), what it found and, when not ok, the command that fixes it.
Warnings do not fail the run: socdesk works, but something deserves attention.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from socdesk.file_access import (
    describe,
    group_name,
    group_usable,
    may_create_in,
    may_write,
    my_groups,
    team_group,
    untraversable_ancestors,
    user_name,
)
from socdesk.mounts import PROC_MOUNTS, existing_ancestor, filesystem_of
from socdesk.store.inspection import (
    Header,
    ReadOnlyDatabase,
    integrity_problems,
    json_functions_available,
    open_read_only,
    parse_header,
    read_header,
    schema_state,
    wal_files,
)

Status = Literal["ok", "warn", "fail"]
MARKS: dict[Status, str] = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}

# 3.22.0 is the first SQLite that lets a read-only connection use a WAL database whose -wal/-shm it
# cannot create (this doctor, and any reader without write access to the directory). Everything else
# socdesk relies on is older: WAL (3.7.0), partial indexes and `immutable` URIs (3.8.0), indexes on
# expressions (3.9.0). json_extract is checked on its own: it is a compile-time option before 3.38.
MIN_SQLITE = (3, 22, 0)
WARN_FREE_BYTES = 1 << 30  # 1 GiB: a busy WAL, an export and a VACUUM's copy all fit comfortably
FAIL_FREE_BYTES = 100 << 20  # 100 MiB: one large transaction or checkpoint away from SQLITE_FULL


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    found: str
    fix: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"name": self.name, "status": self.status, "found": self.found, "fix": self.fix}


@dataclass(frozen=True)
class Thresholds:
    min_sqlite: tuple[int, int, int] = MIN_SQLITE
    warn_free_bytes: int = WARN_FREE_BYTES
    fail_free_bytes: int = FAIL_FREE_BYTES


def _q(path: Path | str) -> str:
    return shlex.quote(str(path))


def _init_command(path: Path) -> str:
    return f"socdesk --db {_q(path)} init"


def _as_owner(st: os.stat_result, *commands: str) -> str:
    """``commands`` joined by ``&&``, each behind ``sudo`` when only the owner or root may run them."""
    sudo = "" if os.geteuid() in (0, st.st_uid) else "sudo "
    return " && ".join(sudo + command for command in commands)


def _regroup(st: os.stat_result, gid: int, path: Path, mode: str) -> str:
    return _as_owner(st, f"chgrp {_q(group_name(gid))} {_q(path)}", f"chmod {mode} {_q(path)}")


def _unchecked(name: str, why: str) -> Check:
    return Check(name, "warn", f"not checked: {why}", "fix the failing checks first, then run doctor again")


def human(size: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


# ---------------------------------------------------------------------- the library and the file


def check_sqlite(version: str, minimum: tuple[int, int, int] = MIN_SQLITE) -> Check:
    """The SQLite library this Python uses (not the sqlite3 shell's, which may differ)."""
    need = ".".join(map(str, minimum))
    parts = tuple(int(p) for p in version.split(".")[:3] if p.isdigit())
    fix = (
        "use a Python linked against a newer SQLite (a newer distribution release, or a Python built "
        "with a current libsqlite3); check with: python3 -c 'import sqlite3; print(sqlite3.sqlite_version)'"
    )
    if parts < minimum:
        return Check(
            "sqlite", "fail", f"SQLite {version}; socdesk needs {need} or later (read-only WAL openers)", fix
        )
    if not json_functions_available():
        return Check("sqlite", "fail", f"SQLite {version} was built without the JSON functions", fix)
    return Check("sqlite", "ok", f"SQLite {version} (socdesk needs {need} or later, with JSON functions)")


def check_database(path: Path) -> tuple[Check, Header | None]:
    """The file exists, is a regular file and starts like an SQLite database."""
    name = "database"
    try:
        st = path.stat()
    except FileNotFoundError:
        return Check(name, "fail", f"no database at {path}", _init_command(path)), None
    except OSError as error:
        return (
            Check(name, "fail", f"cannot look at {path}: {error.strerror}", "ask for access to its folder"),
            None,
        )
    if not stat.S_ISREG(st.st_mode):
        return Check(name, "fail", f"{path} is not a file", "point --db or SOCDESK_DB at a file"), None
    if st.st_size == 0:
        return Check(name, "fail", f"{path} is empty: not a database yet", _init_command(path)), None
    try:
        header = parse_header(read_header(path))
    except OSError as error:
        found = f"cannot read {path} ({describe(st)}): {error.strerror}"
        return Check(name, "fail", found, "see file_access below"), None
    if header is None:
        found = f"{path} is not an SQLite database ({human(st.st_size)}); socdesk refuses it, untouched"
        return Check(name, "fail", found, "point --db or SOCDESK_DB at the team's database"), None
    found = f"SQLite database, {human(st.st_size)} ({header.page_count} pages of {header.page_size} bytes)"
    return Check(name, "ok", found), header


def check_journal_mode(path: Path, header: Header | None) -> Check:
    """WAL, read from the header (bytes 18-19), where SQLite records it for good."""
    if header is None:
        return _unchecked("journal_mode", "no readable SQLite file")
    if header.is_wal:
        return Check("journal_mode", "ok", "WAL: readers keep reading while one process writes")
    found = f"{header.journal} mode: every write blocks every reader, and socdesk is built for WAL"
    return Check("journal_mode", "fail", found, f"{_init_command(path)}   # switches the file to WAL")


def _is_corruption(error: sqlite3.Error) -> bool:
    """Damage in the file, as opposed to not being allowed to open it (permissions, locks)."""
    name = getattr(error, "sqlite_errorname", "")
    return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))


def check_integrity(path: Path, db: ReadOnlyDatabase | None, open_error: str | None) -> Check:
    if db is None:
        return _unchecked("integrity", open_error or "no readable SQLite file")
    fix = (
        "stop every socdesk using it, keep a copy, then restore the last good backup or salvage what is "
        f"left: sqlite3 {_q(path)} .recover | sqlite3 recovered.db"
    )
    try:
        problems = integrity_problems(db.conn)
    except sqlite3.Error as error:
        if _is_corruption(error):
            return Check("integrity", "fail", f"corrupt: {error}", fix)
        found = f"cannot read the database as you: {error}"
        return Check("integrity", "fail", found, "see directory, file_access and wal_shm")
    scope = "" if db.main_file_only is None else f" (main file only: {db.main_file_only})"
    if not problems:
        return Check("integrity", "ok", f"PRAGMA integrity_check: ok{scope}")
    shown = "; ".join(problems[:3]) + (f"; ... ({len(problems)} problems)" if len(problems) > 3 else "")
    return Check("integrity", "fail", f"corrupt: {shown}", fix)


def check_schema(path: Path, db: ReadOnlyDatabase | None, open_error: str | None) -> Check:
    """Known and current, older (socdesk upgrades it), newer (this socdesk must be upgraded) or foreign."""
    if db is None:
        return _unchecked("schema", open_error or "no readable SQLite file")
    try:
        state = schema_state(db.conn)
    except sqlite3.Error as error:
        return _unchecked("schema", f"cannot read it: {error}")
    latest = state.known[-1]
    if state.kind == "current":
        return Check("schema", "ok", f"{latest}, the latest this socdesk knows")
    if state.kind == "older":
        found = f"{state.applied[-1]}: this socdesk upgrades it to {latest} ({len(state.pending)} steps)"
        return Check("schema", "warn", found, _init_command(path))
    if state.kind == "newer":
        found = f"{state.applied[-1]} is newer than this socdesk (which knows up to {latest}): refused"
        return Check("schema", "fail", found, "upgrade socdesk on this host (pip install --upgrade socdesk)")
    if state.kind == "empty":
        return Check("schema", "fail", "an SQLite file with no tables yet", _init_command(path))
    return Check(
        "schema",
        "fail",
        "an SQLite database, but not socdesk's (no socdesk migrations in it)",
        "point --db or SOCDESK_DB at the team's database",
    )


# ---------------------------------------------------------------------- who can use it


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


def _membership_problem(gid: int) -> tuple[str, str] | None:
    if os.geteuid() == 0 or gid in my_groups():
        return None
    me = user_name(os.geteuid())
    group = group_name(gid)
    return (
        f"you ({me}) are not in group {group}",
        f"sudo usermod -aG {_q(group)} {_q(me)}   # then log in again",
    )


def _why_shared(dir_st: os.stat_result, gid: int) -> str:
    if dir_st.st_mode & stat.S_ISGID:
        return "the directory is setgid"
    if dir_st.st_gid == gid and dir_st.st_mode & stat.S_IWGRP:
        return f"the directory is writable by group {group_name(gid)}"
    return f"the database is writable by group {group_name(gid)}"


def check_directory(path: Path, dir_st: os.stat_result | None, gid: int | None) -> Check:
    """Group use: setgid, group rwx, reachable by members; or a private directory its owner can use."""
    directory = path.parent
    if dir_st is None:
        return _unchecked("directory", f"{directory} does not exist or cannot be looked at")
    if gid is None:
        owner = user_name(dir_st.st_uid)
        rule = "neither it nor the database is writable by a shared group"
        if may_create_in(dir_st):
            found = f"private: only {owner} uses {directory} ({describe(dir_st)}; {rule})"
            return Check("directory", "ok", found)
        found = f"private to {owner} ({describe(dir_st)}): you cannot create {path.name}-wal/-shm in it"
        return Check("directory", "fail", found, f"sudo socdesk --db {_q(path)} init --shared GROUP")
    group = group_name(gid)
    problems: list[str] = []
    fixes: list[str] = []
    mode = stat.S_IMODE(dir_st.st_mode)
    if not mode & stat.S_ISGID:
        problems.append("no setgid bit, so -wal/-shm a member creates get that member's own group")
    if mode & stat.S_IRWXG != stat.S_IRWXG:
        problems.append("the group cannot read, write and enter it")
    if dir_st.st_gid != gid:
        problems.append(f"its group is {group_name(dir_st.st_gid)}, the database's is {group}")
    if problems:
        fixes.append(_regroup(dir_st, gid, directory, "2770"))
    for blocked in untraversable_ancestors(directory, gid):
        problems.append(f"members cannot pass through {blocked.path} ({describe(blocked.st)})")
        fixes.append(_as_owner(blocked.st, f"chmod o+x {_q(blocked.path)}"))
    if membership := _membership_problem(gid):
        problems.append(membership[0])
        fixes.append(membership[1])
    shared = f"shared with group {group} ({describe(dir_st)}; {_why_shared(dir_st, gid)})"
    if problems:
        return Check("directory", "fail", f"{shared}: " + "; ".join(problems), "; ".join(fixes))
    return Check("directory", "ok", f"{shared}: -wal/-shm anyone creates belong to {group}")


def check_file_access(path: Path, file_st: os.stat_result | None, gid: int | None) -> Check:
    """The database file: group read-write in the team group, or writable by its private owner."""
    if file_st is None or not stat.S_ISREG(file_st.st_mode):
        return _unchecked("file_access", "no database file")
    if gid is None:
        owner = user_name(file_st.st_uid)
        if may_write(file_st):
            return Check("file_access", "ok", f"private: {describe(file_st)}, writable by you")
        if file_st.st_uid == os.geteuid():
            found = f"read-only ({describe(file_st)}): socdesk refuses to write it"
            return Check("file_access", "fail", found, f"chmod u+w {_q(path)}")
        found = f"private to {owner} ({describe(file_st)}): you cannot write it"
        return Check("file_access", "fail", found, f"sudo socdesk --db {_q(path)} init --shared GROUP")
    group = group_name(gid)
    if not group_usable(file_st, gid):
        found = f"{describe(file_st)} in a directory shared with {group}: members need group {group}, 660"
        fix = _regroup(file_st, gid, path, "660")
        if file_st.st_gid != gid and team_group(None, file_st) is not None:
            # The file is shared with another group: maybe that one is the team's, not the directory's.
            other = group_name(file_st.st_gid)
            fix += f"   # or, if {other} is the team's group: chgrp {_q(other)} {_q(path.parent)}"
        return Check("file_access", "fail", found, fix)
    if not may_write(file_st):
        reason, fix = _membership_problem(gid) or ("you cannot write it", f"chmod u+w {_q(path)}")
        return Check("file_access", "fail", f"{describe(file_st)}: {reason}", fix)
    found = f"shared with group {group} ({describe(file_st)}): every member can write it"
    return Check("file_access", "ok", found)


def wal_shm_present(path: Path) -> list[tuple[Path, os.stat_result]]:
    return [(side, st) for side in wal_files(path) if (st := _stat(side)) is not None]


def check_wal_shm(
    present: list[tuple[Path, os.stat_result]], file_st: os.stat_result | None, gid: int | None
) -> Check:
    """Existing -wal/-shm: writable by you and, when shared, by the group (whoever created them)."""
    if not present:
        found = "none now: the first socdesk to open the database creates them with the database's mode"
        return Check("wal_shm", "ok", found + ("" if gid is None else f" and group {group_name(gid)}"))
    problems: list[str] = []
    fixes: list[str] = []
    for side, st in present:
        if gid is not None and not group_usable(st, gid):
            group = group_name(gid)
            problems.append(f"{side.name} is {describe(st)}: not read-write for group {group}")
            fixes.append(_regroup(st, gid, side, "660"))
        elif not may_write(st):
            problems.append(f"{side.name} is {describe(st)}: you cannot write it")
            if file_st is not None:
                like = f"{user_name(file_st.st_uid)}:{group_name(file_st.st_gid)}"
                mode = f"{stat.S_IMODE(file_st.st_mode):o}"
                fixes.append(f"sudo chown {like} {_q(side)} && sudo chmod {mode} {_q(side)}")
    listed = ", ".join(f"{side.name} {describe(st)}" for side, st in present)
    if problems:
        fix = "; ".join(fixes) + "   # or stop every socdesk using it: SQLite removes them on the last close"
        return Check("wal_shm", "fail", "; ".join(problems), fix)
    return Check("wal_shm", "ok", f"{listed}: writable" + ("" if gid is None else " by the group"))


# ---------------------------------------------------------------------- where it lives


def check_filesystem(path: Path, mounts_file: Path = PROC_MOUNTS) -> Check:
    """A network filesystem is a failure, loudly: SQLite's WAL corrupts or locks up on one."""
    directory = path.parent
    hint = f"check by hand that {directory} is on a local disk: df -T {_q(existing_ancestor(directory))}"
    try:
        mount = filesystem_of(directory, mounts_file)
    except OSError as error:
        return Check("filesystem", "warn", f"cannot tell: {mounts_file}: {error.strerror}", hint)
    if mount is None:
        return Check("filesystem", "warn", f"cannot tell: {mounts_file} lists no mount for {directory}", hint)
    if mount.is_network:
        found = (
            f"NETWORK FILESYSTEM: {directory} is on {mount.describe()}. SQLite's WAL needs shared memory and "
            "locks that it cannot give: the database WILL corrupt or lock up. Do not use it there"
        )
        new = "/srv/soc/socdesk.db"
        fix = (
            f"move it to a local disk of the host everyone reaches over SSH: socdesk --db {_q(path)} export "
            f"-o team.json && socdesk --db {new} init --shared GROUP && socdesk --db {new} import team.json"
        )
        return Check("filesystem", "fail", found, fix)
    if mount.is_unknown_fuse:
        found = f"{mount.describe()}: a FUSE filesystem may not give SQLite's WAL shared memory and locks"
        return Check("filesystem", "warn", found, f"prefer a local disk (ext4, xfs, btrfs, ...); {hint}")
    return Check("filesystem", "ok", f"local: {mount.describe()}")


def _sizes(path: Path) -> int:
    return sum(st.st_size for p in (path, *wal_files(path)) if (st := _stat(p)) is not None)


def check_disk(path: Path, thresholds: Thresholds = Thresholds()) -> Check:
    """Free space where the database lives: a full disk makes every write fail (SQLITE_FULL)."""
    where = existing_ancestor(path.parent)
    try:
        vfs = os.statvfs(where)
    except OSError as error:
        found = f"cannot tell the free space of {where}: {error.strerror}"
        return Check("disk_space", "warn", found, f"check by hand: df -h {_q(where)}")
    free = vfs.f_bavail * vfs.f_frsize
    total = vfs.f_blocks * vfs.f_frsize
    found = f"{human(free)} free of {human(total)} on the filesystem of {where}"
    fix = f"free space there: df -h {_q(where)}; du -xsh {_q(where)}/* | sort -h"
    if free < thresholds.fail_free_bytes:
        return Check("disk_space", "fail", f"{found}: nearly full, writes will start failing", fix)
    if free < max(thresholds.warn_free_bytes, 2 * _sizes(path)):
        low = f"{found}: low (the WAL grows between checkpoints; a copy needs room)"
        return Check("disk_space", "warn", low, fix)
    return Check("disk_space", "ok", found)


# ---------------------------------------------------------------------- all together


def _inside_checks(path: Path, header: Header | None) -> list[Check]:
    """integrity and schema, on one read-only connection that creates nothing."""
    if header is None:
        return [check_integrity(path, None, None), check_schema(path, None, None)]
    try:
        db = open_read_only(path, header)
    except sqlite3.Error as error:
        reason = f"cannot open it read-only: {error}"
        unopened = Check("integrity", "fail", reason, "see file_access and wal_shm below")
        return [unopened, _unchecked("schema", reason)]
    try:
        return [check_integrity(path, db, None), check_schema(path, db, None)]
    finally:
        db.close()


def run_checks(
    path: Path,
    *,
    mounts_file: Path = PROC_MOUNTS,
    thresholds: Thresholds = Thresholds(),
    sqlite_version: str = sqlite3.sqlite_version,
) -> list[Check]:
    """Every check, in the order a person fixes things. Writes nothing anywhere."""
    path = Path(os.path.abspath(path))
    sides = wal_shm_present(path)  # as found, before any connection exists
    database, header = check_database(path)
    checks = [check_sqlite(sqlite_version, thresholds.min_sqlite), database, check_journal_mode(path, header)]
    checks += _inside_checks(path, header)
    dir_st = _stat(path.parent)
    file_st = _stat(path)
    gid = team_group(dir_st, file_st if file_st is not None and stat.S_ISREG(file_st.st_mode) else None)
    return [
        *checks,
        check_directory(path, dir_st, gid),
        check_file_access(path, file_st, gid),
        check_wal_shm(sides, file_st, gid),
        check_filesystem(path, mounts_file),
        check_disk(path, thresholds),
    ]


def exit_code(checks: list[Check]) -> int:
    """1 when any check failed; warnings alone still exit 0."""
    return 1 if any(c.status == "fail" for c in checks) else 0


def as_text(path: Path, checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = [f"socdesk doctor: {path}"]
    lines += [f"  {MARKS[c.status]}  {c.name:<{width}}  {c.found}" for c in checks]
    failed = [c for c in checks if c.status == "fail"]
    warned = [c for c in checks if c.status == "warn"]
    if not failed and not warned:
        lines.append("all checks passed")
        return "\n".join(lines)
    if failed:
        lines.append(f"{len(failed)} failed, {len(warned)} warnings: fix the failures, then run doctor again")
    else:
        lines.append(f"no failures, {len(warned)} warnings: socdesk works, but have a look")
    lines.append("to fix:")
    by_fix: dict[str, list[str]] = {}
    for check in (*failed, *warned):
        if check.fix:
            by_fix.setdefault(check.fix, []).append(check.name)
    lines += [f"  {', '.join(names)}: {fix}" for fix, names in by_fix.items()]
    return "\n".join(lines)
