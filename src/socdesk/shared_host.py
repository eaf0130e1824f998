"""``socdesk init --shared GROUP``: one database on one SSH host that every member of GROUP can use.

SQLite creates ``-wal`` and ``-shm`` beside the database whenever the first process opens it and
deletes them on the last close, so whoever opens next creates them again. It gives them the
database's mode bits (it ``fchmod``s them, whatever that user's umask) but the creating user's owner
and group. Hence the set-up:

- the directory in GROUP with mode 2770: the setgid bit makes every file created inside belong to
  GROUP, not to the creator's own group, and the group may create and delete files there;
- the database in GROUP with mode 660, so the ``-wal``/``-shm`` anyone creates are 660 in GROUP too.

Everything is checked before anything changes (an unknown group, a caller who may not give files to
GROUP, a network filesystem, a file that is not socdesk's), and a re-run changes nothing more.
"""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import socket
import sqlite3
import stat
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from socdesk.domain.errors import InvalidInput
from socdesk.file_access import describe, my_groups, untraversable_ancestors, user_name
from socdesk.mounts import PROC_MOUNTS, filesystem_of
from socdesk.store.errors import StoreUnavailable

DIRECTORY_MODE = 0o2770
DATABASE_MODE = 0o660
# Directories whose mode must never become 2770 (that would lock everyone else out, or drop /tmp's
# sticky bit): the database needs a directory of its own.
SYSTEM_DIRECTORIES = frozenset(
    Path(p)
    for p in ("/", "/tmp", "/var/tmp", "/home", "/srv", "/var", "/var/lib", "/opt", "/usr", "/usr/local",
              "/etc", "/root", "/mnt", "/media", "/run", "/dev")
)  # fmt: skip


@dataclass(frozen=True)
class SharedPlan:
    path: Path
    gid: int
    group: str

    @property
    def directory(self) -> Path:
        return self.path.parent

    def wal_files(self) -> list[Path]:
        return [Path(f"{self.path}-wal"), Path(f"{self.path}-shm")]


def resolve_group(name: str) -> grp.struct_group:
    """The group by name (or number); an unknown one is refused with how to create it."""
    try:
        return grp.getgrnam(name)
    except KeyError:
        pass
    if name.isdigit():
        try:
            return grp.getgrgid(int(name))
        except KeyError:
            pass
    raise InvalidInput(
        f"unknown group {name!r}: create it first (sudo groupadd {shlex.quote(name)}) and add the team "
        f"(sudo usermod -aG {shlex.quote(name)} USER); nothing was changed"
    )


def _refuse_non_member(group: grp.struct_group) -> None:
    """Only root or a member may give files to a group: chgrp would fail half-way otherwise."""
    if os.geteuid() == 0 or group.gr_gid in my_groups():
        return
    me = user_name(os.geteuid())
    raise InvalidInput(
        f"you ({me}) are not in group {group.gr_name}, so you cannot give the database to it: run this as "
        f"root (sudo socdesk ... init --shared {group.gr_name}), or join the group first "
        f"(sudo usermod -aG {group.gr_name} {me}, then log in again); nothing was changed"
    )


def _refuse_network_filesystem(directory: Path, mounts_file: Path) -> None:
    try:
        mount = filesystem_of(directory, mounts_file)
    except OSError:
        return  # no /proc/mounts (macOS): nothing to tell; `socdesk doctor` says so
    if mount is not None and mount.is_network:
        raise InvalidInput(
            f"{directory} is on {mount.describe()}, a network filesystem: SQLite's WAL mode corrupts or "
            "locks up there. Put the database on a local disk of the host the team reaches over SSH "
            "(e.g. --db /srv/soc/socdesk.db); nothing was changed"
        )


def _homes_of(directory: Path) -> set[Path]:
    """The caller's home, and the home of whoever owns ``directory``."""
    homes = {Path.home().resolve()}
    with suppress(KeyError, OSError):  # no such directory yet, or an owner without a passwd entry
        homes.add(Path(pwd.getpwuid(directory.stat().st_uid).pw_dir).resolve())
    return homes


def _refuse_a_directory_with_other_uses(directory: Path) -> None:
    """The whole directory goes to the group at mode 2770: never a home or a system directory."""
    resolved = directory.resolve()
    if resolved in SYSTEM_DIRECTORIES:
        what = "a system directory"
    elif resolved in _homes_of(directory):
        what = "a home directory"
    else:
        return
    example = shlex.quote(str(directory / "soc" / "socdesk.db"))
    raise InvalidInput(
        f"{directory} is {what}: --shared gives the whole directory to the group (mode 2770); put the "
        f"database in a directory of its own, e.g. --db {example}; nothing was changed"
    )


def _refuse_foreign_file(path: Path) -> None:
    """A file that is not a socdesk database (or is a newer socdesk's) keeps its group and mode."""
    from socdesk.store.inspection import open_read_only, parse_header, read_header
    from socdesk.store.migrations import check_schema

    if not path.exists():
        return
    if not path.is_file():
        raise StoreUnavailable(f"{path} is not a file; give --db the path of a socdesk database")
    if path.stat().st_size == 0:
        return
    try:
        header = parse_header(read_header(path))
    except OSError as error:
        raise StoreUnavailable(f"cannot read {path}: {error.strerror}") from None
    if header is None:
        raise StoreUnavailable(f"{path} is not an SQLite database; socdesk left it untouched")
    db = open_read_only(path, header)
    try:
        check_schema(db.conn)
    except sqlite3.Error as error:
        raise StoreUnavailable(f"cannot read {path}: {error}; run `socdesk doctor` on it") from None
    finally:
        db.close()


def _needs_change(st: os.stat_result, gid: int, mode: int) -> bool:
    return st.st_gid != gid or stat.S_IMODE(st.st_mode) != mode


def _refuse_foreign_owner(path: Path, gid: int, mode: int) -> None:
    """chgrp and chmod need the owner or root: refuse up front rather than stop half-way."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    if os.geteuid() in (0, st.st_uid) or not _needs_change(st, gid, mode):
        return
    owner = user_name(st.st_uid)
    raise InvalidInput(
        f"{path} belongs to {owner} ({describe(st)}); only {owner} or root can give it group and mode "
        f"{mode:04o}: run this as root; nothing was changed"
    )


def _apply(path: Path, gid: int, mode: int) -> None:
    st = path.stat()
    if st.st_gid != gid:
        os.chown(path, -1, gid)
    if stat.S_IMODE(path.stat().st_mode) != mode:  # after chown, which may clear setgid
        os.chmod(path, mode)


def _create_database_file(path: Path, gid: int) -> None:
    """An empty file with the right group and mode, so the -wal/-shm of the first open get them too."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, DATABASE_MODE)
    try:
        os.fchown(fd, -1, gid)
        os.fchmod(fd, DATABASE_MODE)  # the umask took bits off the mode os.open was given
    finally:
        os.close(fd)


def prepare(path: Path, group_name: str, *, mounts_file: Path = PROC_MOUNTS) -> SharedPlan:
    """Check everything, then give the directory, the database and any -wal/-shm their group and mode.

    Runs before the store opens the file, so SQLite's first -wal/-shm already get mode 660.
    """
    group = resolve_group(group_name)
    _refuse_non_member(group)
    plan = SharedPlan(Path(os.path.abspath(path)), group.gr_gid, group.gr_name)
    _refuse_a_directory_with_other_uses(plan.directory)
    _refuse_network_filesystem(plan.directory, mounts_file)
    _refuse_foreign_file(plan.path)
    _refuse_foreign_owner(plan.directory, plan.gid, DIRECTORY_MODE)
    for target in (plan.path, *plan.wal_files()):
        _refuse_foreign_owner(target, plan.gid, DATABASE_MODE)
    try:
        plan.directory.mkdir(parents=True, exist_ok=True)
        _apply(plan.directory, plan.gid, DIRECTORY_MODE)
        if not plan.path.exists():
            _create_database_file(plan.path, plan.gid)
        finish(plan)
    except OSError as error:
        raise InvalidInput(f"cannot set up {error.filename or plan.directory}: {error.strerror}") from None
    return plan


def finish(plan: SharedPlan) -> None:
    """Group and mode for the database and whatever -wal/-shm exist now (idempotent)."""
    for target in (plan.path, *plan.wal_files()):
        try:
            _apply(target, plan.gid, DATABASE_MODE)
        except FileNotFoundError:
            continue  # no -wal/-shm now (or the last close just removed them)
        except OSError as error:
            raise InvalidInput(f"cannot give {target} group {plan.group}: {error.strerror}") from None


def warnings(plan: SharedPlan) -> list[str]:
    """Ancestors members cannot pass through: the set-up is right, but nobody else can reach it."""
    return [
        f"members of {plan.group} cannot pass through {blocked.path} ({describe(blocked.st)}): "
        f"chmod o+x {shlex.quote(str(blocked.path))}"
        for blocked in untraversable_ancestors(plan.directory, plan.gid)
    ]


def report(plan: SharedPlan, host: str | None = None) -> str:
    """What was set, and the lines to give the team."""
    host = host or socket.gethostname()
    lines = [f"shared with group {plan.group}:"]
    setgid = f"setgid: new files belong to {plan.group}"
    lines.append(f"  {plan.directory}  {describe(plan.directory.stat())}  ({setgid})")
    for target in (plan.path, *plan.wal_files()):
        if target.exists():
            lines.append(f"  {target}  {describe(target.stat())}")
    lines += [
        f"  SQLite gives the -wal/-shm any member creates mode {DATABASE_MODE:o} (the database's) and group "
        f"{plan.group} (the directory's), whatever their umask",
        f"give the team this line for their ~/.profile on {host}:",
        f"  export SOCDESK_DB={shlex.quote(str(plan.path))}",
        f"then each opens the console with: ssh -t {host} socdesk   (-t: the console needs a terminal)",
        "check the set-up at any time with: socdesk doctor",
    ]
    return "\n".join(lines)
