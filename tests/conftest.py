"""Shared fixtures: a real SQLite file per test, a clock that only moves when told, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from socdesk.domain import FixedClock
from socdesk.store import Store, open_store

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def own_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test is a new user: no one's own themes, remembered theme or settings leak in (or out)."""
    home = tmp_path_factory.mktemp("user")
    for variable in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(variable, str(home / variable.removeprefix("XDG_").removesuffix("_HOME").lower()))
    monkeypatch.delenv("SOCDESK_CONFIG", raising=False)
    return home


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "team.db"


@pytest.fixture
def store(db_path: Path, clock: FixedClock) -> Iterator[Store]:
    s = open_store(db_path, actor="alice", clock=clock, create=True)
    yield s
    s.close()


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def socdesk(db_path: Path, tmp_path: Path):
    """Run the real `socdesk` command in a subprocess against ``db_path``: ``socdesk("card", "list")``."""

    def run(*args: str, user: str = "tester", stdin: str | None = None, db: Path | None = None) -> Result:
        env = {
            **os.environ,
            "SOCDESK_DB": str(db or db_path),
            "SOCDESK_USER": user,
            "HOME": str(tmp_path / "home"),
            "XDG_DATA_HOME": str(tmp_path / "xdg"),
        }
        done = subprocess.run(
            [sys.executable, "-m", "socdesk", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return run
