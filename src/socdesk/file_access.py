"""Who can use the database's directory and files: the rule ``doctor`` and ``init --shared`` share.

The rule, in words (``doctor`` prints it):

- **shared**: the directory has the setgid bit, or the directory or the database file is writable by a
  group that is not its owner's personal group. The team group is the directory's group (the one
  setgid hands to new files), else the file's. Then the directory must be setgid with group rwx, and
  the database and any ``-wal``/``-shm`` must be in the team group with mode 660 or wider, because
  SQLite gives those two files the database's mode bits but the *creating* user's owner and group.
- **private**: anything else, e.g. ``~/.local/share/socdesk`` at mode 0755 (or 0775 under a
  user-private group, umask 002). Only its owner uses it, and that is fine.

A personal group is the owner's primary group with no other listed members (the user-private-group
scheme of Debian, Ubuntu, Fedora, ...): writable by it still means "only the owner".
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

GROUP_RW = stat.S_IRGRP | stat.S_IWGRP
GROUP_RWX = stat.S_IRWXG


def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def describe(st: os.stat_result) -> str:
    """``alice:soc 2770``: owner, group and permission bits as ``ls`` users read them."""
    return f"{user_name(st.st_uid)}:{group_name(st.st_gid)} {stat.S_IMODE(st.st_mode):04o}"


def is_personal_group(uid: int, gid: int) -> bool:
    """True when ``gid`` is ``uid``'s primary group and lists nobody else: writable by it = owner only."""
    try:
        primary = pwd.getpwuid(uid).pw_gid
        members = grp.getgrgid(gid).gr_mem
    except KeyError:
        return False
    return gid == primary and all(member == user_name(uid) for member in members)


def _shared_by_group(st: os.stat_result) -> bool:
    return bool(st.st_mode & stat.S_IWGRP) and not is_personal_group(st.st_uid, st.st_gid)


def team_group(directory: os.stat_result | None, database: os.stat_result | None) -> int | None:
    """The group the set-up is shared with, or None for a private set-up (see the module's rule)."""
    if directory is not None and (directory.st_mode & stat.S_ISGID or _shared_by_group(directory)):
        return directory.st_gid
    if database is not None and _shared_by_group(database):
        return database.st_gid
    return None


def my_groups() -> set[int]:
    return {os.getegid(), *os.getgroups()}


def may_write(st: os.stat_result, *, uid: int | None = None, groups: set[int] | None = None) -> bool:
    """Whether this user may write the file, by its permission bits.

    For root, any write bit will do: the kernel would let root write a file without any, but socdesk
    refuses such a file (it is marked read-only on purpose), so the doctor must not call it fine.
    """
    uid = os.geteuid() if uid is None else uid
    groups = my_groups() if groups is None else groups
    mode = st.st_mode
    if uid == 0:
        return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    if st.st_uid == uid:
        return bool(mode & stat.S_IWUSR)
    if st.st_gid in groups:
        return bool(mode & stat.S_IWGRP)
    return bool(mode & stat.S_IWOTH)


def may_create_in(st: os.stat_result, *, uid: int | None = None, groups: set[int] | None = None) -> bool:
    """Whether this user may create and delete files in a directory (write and search bits)."""
    uid = os.geteuid() if uid is None else uid
    groups = my_groups() if groups is None else groups
    mode = st.st_mode
    if uid == 0:
        return True
    if st.st_uid == uid:
        return mode & (stat.S_IWUSR | stat.S_IXUSR) == stat.S_IWUSR | stat.S_IXUSR
    if st.st_gid in groups:
        return mode & (stat.S_IWGRP | stat.S_IXGRP) == stat.S_IWGRP | stat.S_IXGRP
    return mode & (stat.S_IWOTH | stat.S_IXOTH) == stat.S_IWOTH | stat.S_IXOTH


def group_usable(st: os.stat_result, gid: int) -> bool:
    """In group ``gid`` with group read and write: every member can open it for writing."""
    return st.st_gid == gid and st.st_mode & GROUP_RW == GROUP_RW


@dataclass(frozen=True)
class Blocked:
    """An ancestor directory that members of the team group cannot pass through."""

    path: Path
    st: os.stat_result


def untraversable_ancestors(directory: Path, gid: int) -> list[Blocked]:
    """Ancestors of ``directory`` a member of ``gid`` (not their owner) cannot search: no way in."""
    blocked: list[Blocked] = []
    for ancestor in Path(os.path.abspath(directory)).parents:
        try:
            st = ancestor.stat()
        except OSError:
            continue
        passable = st.st_mode & stat.S_IXOTH or (st.st_gid == gid and st.st_mode & stat.S_IXGRP)
        if not passable:
            blocked.append(Blocked(ancestor, st))
    return blocked
