"""Which filesystem a path lives on, from /proc/mounts: SQLite's WAL must never run on a network one.

WAL keeps its index in a memory-mapped ``-shm`` file and relies on POSIX locks; over NFS, SMB, sshfs,
9p or a cluster filesystem neither is shared correctly between machines (sqlite.org/wal.html,
sqlite.org/useovernet.html), and the database corrupts or locks up. Both ``socdesk doctor`` and
``socdesk init --shared`` ask this module, so they agree on what counts as "network".
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PROC_MOUNTS = Path("/proc/mounts")

NETWORK_TYPES = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "afs", "9p", "v9fs",
        "fuse.sshfs", "sshfs", "lustre", "gpfs", "ceph", "fuse.ceph", "glusterfs", "fuse.glusterfs",
        "beegfs", "ocfs2", "gfs2", "fuse.s3fs", "fuse.rclone", "davfs", "fuse.davfs2", "fuse.juicefs",
    }
)  # fmt: skip
NETWORK_PREFIXES = ("nfs", "smb", "cifs", "ceph")
_ESCAPE = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True)
class Mount:
    source: str
    point: Path
    fstype: str

    @property
    def is_network(self) -> bool:
        return self.fstype in NETWORK_TYPES or self.fstype.startswith(NETWORK_PREFIXES)

    @property
    def is_unknown_fuse(self) -> bool:
        """A FUSE filesystem we cannot vouch for: it may not give WAL shared memory and locks."""
        return self.fstype.startswith("fuse") and not self.is_network

    def describe(self) -> str:
        return f"{self.fstype} ({self.source} mounted at {self.point})"


def _unescape(field: str) -> str:
    # The kernel writes space, tab, newline and backslash in mount fields as octal escapes (\040 ...).
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def read_mounts(mounts_file: Path = PROC_MOUNTS) -> list[Mount]:
    """The mounts listed in ``mounts_file`` (fstab format); raises OSError when it cannot be read."""
    found: list[Mount] = []
    for line in mounts_file.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split()
        if len(fields) >= 3:
            found.append(Mount(_unescape(fields[0]), Path(_unescape(fields[1])), fields[2]))
    return found


def existing_ancestor(path: Path) -> Path:
    """``path`` made absolute with symlinks resolved, or its nearest ancestor that exists."""
    current = Path(os.path.abspath(path))
    while not current.exists() and current != current.parent:
        current = current.parent
    return current.resolve()


def mount_of(path: Path, mounts: list[Mount]) -> Mount | None:
    """The mount ``path`` is on: the longest mount point that is a whole-component prefix of it.

    Later lines win among equal mount points (a filesystem mounted over another hides it).
    """
    target = existing_ancestor(path)
    best: Mount | None = None
    for mount in mounts:
        covers = target == mount.point or mount.point in target.parents
        if covers and (best is None or len(mount.point.parts) >= len(best.point.parts)):
            best = mount
    return best


def filesystem_of(path: Path, mounts_file: Path = PROC_MOUNTS) -> Mount | None:
    """The mount ``path`` is on per ``mounts_file``; None when no line covers it. OSError if unreadable."""
    return mount_of(path, read_mounts(mounts_file))
