"""Where the database is and who is acting: flag > environment > default."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import platformdirs

DB_ENV = "SOCDESK_DB"
USER_ENV = "SOCDESK_USER"


def default_db_path() -> Path:
    return platformdirs.user_data_path("socdesk") / "socdesk.db"


def resolve_db_path(flag: str | None) -> tuple[Path, bool]:
    """The database path and whether it is the default one (which is seeded with sample data)."""
    if flag:
        return Path(flag).expanduser(), False
    if env := os.environ.get(DB_ENV):
        return Path(env).expanduser(), False
    return default_db_path(), True


def resolve_actor(flag: str | None) -> str:
    for candidate in (flag, os.environ.get(USER_ENV)):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"
