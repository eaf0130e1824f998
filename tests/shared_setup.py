"""For tests of one database shared by several people on one host: the real `socdesk` command in a
subprocess (as another user when asked), temporary groups and users, and snapshots of a directory.
 Creating accounts needs root and the shadow
tools (groupadd, useradd, userdel, groupdel); a test skips with the reason `why_no_accounts()` gives.
Everything created is removed again, even when a test fails half-way.
"""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socdesk

SRC = Path(socdesk.__file__).resolve().parents[1]
TOOLS = ("groupadd", "useradd", "userdel", "groupdel")
LOGIN_UMASK = 0o022  # what a normal login shell starts with


def why_no_accounts() -> str | None:
    """None when this process can create and remove accounts, else why not."""
    if os.geteuid() != 0:
        return "creating a temporary group and users needs root (CI runs the tests as root)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"creating temporary accounts needs {', '.join(missing)}, which this host lacks"
    return None


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int  # primary: the user's own group (user-private groups), as useradd makes it
    groups: tuple[int, ...] = ()  # supplementary


@dataclass
class Accounts:
    """Creates temporary groups and users; ``remove_all`` deletes them (registered before creation)."""

    users: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def group(self) -> grp.struct_group:
        name = f"sdtg{secrets.token_hex(4)}"
        self.groups.append(name)
        subprocess.run(["groupadd", name], check=True, capture_output=True)
        return grp.getgrnam(name)

    def user(self, *groups: str) -> Account:
        name = f"sdtu{secrets.token_hex(4)}"
        self.users.append(name)
        command = ["useradd", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin"]
        if groups:
            command += ["--groups", ",".join(groups)]
        subprocess.run([*command, name], check=True, capture_output=True)
        entry = pwd.getpwnam(name)
        return Account(name, entry.pw_uid, entry.pw_gid, tuple(grp.getgrnam(g).gr_gid for g in groups))

    def remove_all(self) -> None:
        for name in reversed(self.users):
            subprocess.run(["userdel", name], capture_output=True)
            if _group_exists(name):  # the user's own group, if userdel left it
                subprocess.run(["groupdel", name], capture_output=True)
        for name in reversed(self.groups):
            subprocess.run(["groupdel", name], capture_output=True)
        self.users.clear()
        self.groups.clear()


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


@contextmanager
def temporary_accounts() -> Iterator[Accounts]:
    accounts = Accounts()
    try:
        yield accounts
    finally:
        accounts.remove_all()


@contextmanager
def traversable_dir() -> Iterator[Path]:
    """A fresh directory (mode 0755) that every user of this host can reach; removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="socdesk-host-"))
    try:
        base.chmod(0o755)
        blocked = [p for p in base.parents if not p.stat().st_mode & 0o001]
        if blocked:
            import pytest

            pytest.skip(f"other users cannot pass through {blocked[0]} to reach {base} (set TMPDIR)")
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def as_account(account: Account, *, umask: int = LOGIN_UMASK) -> dict[str, object]:
    """subprocess arguments that run a child as ``account``, with a login's umask."""
    return {
        "user": account.uid,
        "group": account.gid,
        "extra_groups": list(account.groups),
        "umask": umask,
    }


@dataclass(frozen=True)
class Interpreter:
    """How to start this checkout's socdesk as another user (who may not reach our Python)."""

    argv: tuple[str, ...]
    env: dict[str, str]


def _usable_by(account: Account, argv: Sequence[str], env: dict[str, str]) -> bool:
    try:
        done = subprocess.run(
            [*argv, "-c", "import socdesk.cli"],
            env={**env, "PATH": os.environ.get("PATH", "")},
            cwd="/",
            capture_output=True,
            timeout=60,
            **as_account(account),  # type: ignore[arg-type]
        )
    except OSError:  # the interpreter itself is out of reach (e.g. under a private home)
        return False
    return done.returncode == 0


def interpreter_for(account: Account) -> Interpreter | str:
    """This interpreter if ``account`` can run it; else the system's Python of the same version with
    our source and site-packages on PYTHONPATH (a virtualenv under a private home is unreachable for
    other users); else the reason neither works."""
    own = Interpreter((sys.executable,), {"PYTHONDONTWRITEBYTECODE": "1"})
    if _usable_by(account, own.argv, own.env):
        return own
    import site

    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = shutil.which(version, path="/usr/local/bin:/usr/bin:/bin")
    if system is not None:
        path = os.pathsep.join([str(SRC), *site.getsitepackages()])
        other = Interpreter((system,), {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": path})
        if _usable_by(account, other.argv, other.env):
            return other
    return (
        f"user {account.name} can run neither {sys.executable} nor a system {version} with this checkout "
        "(is the checkout readable by other users?)"
    )


# ---------------------------------------------------------------------- the command and the files


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def run_socdesk(
    *args: str, env: dict[str, str] | None = None, umask: int = LOGIN_UMASK, **popen: Any
) -> Done:
    """The real `socdesk` command in a subprocess (as another user when ``popen`` says so)."""
    argv = popen.pop("argv", (sys.executable,))
    done = subprocess.run(
        [*argv, "-m", "socdesk", *args],
        env=env if env is not None else {**os.environ},
        capture_output=True,
        text=True,
        timeout=120,
        umask=umask,
        **popen,
    )
    return Done(done.returncode, done.stdout, done.stderr)


def ok(done: Done) -> Done:
    assert done.returncode == 0, f"exit {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    return done


def assert_error(done: Done, *fragments: str) -> str:
    """Exit 1 with one `error:` line on stderr that names the problem, and no traceback."""
    assert done.returncode == 1, f"exit {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot_tree(root: Path) -> dict[str, tuple[int, int, int, bytes | None]]:
    """Every path under ``root`` with its mode, owner, group and (for files) bytes."""
    found: dict[str, tuple[int, int, int, bytes | None]] = {}
    for path in [root, *sorted(root.rglob("*"))]:
        st = path.lstat()
        content = path.read_bytes() if path.is_file() else None
        found[str(path.relative_to(root))] = (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, content)
    return found


def my_group() -> str:
    """A group this process may give files to, whoever runs the tests: its own primary group."""
    return grp.getgrgid(os.getegid()).gr_name
