"""Where the database is and who is acting: flag > environment > default."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field, replace
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


CONFIG_ENV = "SOCDESK_CONFIG"


@dataclass(frozen=True)
class LocalConfig:
    """This user's own settings (never shared through the database: a command runs on this machine)."""

    publish_command: str | None = None
    """Receives a meeting's minutes as Markdown on stdin when it ends (e.g. a wiki upload)."""
    minutes_dir: Path = field(default_factory=lambda: platformdirs.user_data_path("socdesk") / "minutes")
    bell: bool = False
    """Ring the terminal bell at 80 % and 100 % of a section's time."""


def config_path() -> Path:
    if env := os.environ.get(CONFIG_ENV):
        return Path(env).expanduser()
    return platformdirs.user_config_path("socdesk") / "config.toml"


def load_config(path: Path | None = None) -> LocalConfig:
    """Read ``config.toml`` (``[handshake]`` table); a missing file means the defaults."""
    import tomllib

    from socdesk.domain.errors import InvalidInput

    where = path or config_path()
    try:
        data = tomllib.loads(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return LocalConfig()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InvalidInput(f"{where}: cannot read the settings ({error})") from None
    section = data.get("handshake", {})
    if not isinstance(section, dict):
        raise InvalidInput(f"{where}: [handshake] must be a table")
    unknown = sorted(set(section) - {"publish_command", "minutes_dir", "bell"})
    if unknown:
        raise InvalidInput(f"{where}: unknown [handshake] setting {', '.join(unknown)}")
    command = section.get("publish_command")
    bell = section.get("bell", False)
    minutes_dir = section.get("minutes_dir")
    if command is not None and (not isinstance(command, str) or not command.strip()):
        raise InvalidInput(f"{where}: publish_command must be a non-empty string")
    if not isinstance(bell, bool):
        raise InvalidInput(f"{where}: bell must be true or false")
    if minutes_dir is not None and not isinstance(minutes_dir, str):
        raise InvalidInput(f"{where}: minutes_dir must be a path")
    config = LocalConfig(publish_command=command, bell=bell)
    return replace(config, minutes_dir=Path(minutes_dir).expanduser()) if minutes_dir else config


# ---------------------------------------------------------------------- this user's console preferences


def user_themes_dir() -> Path:
    """Where a person keeps their own theme files (``*.toml``, the same format as ``themes/``)."""
    return platformdirs.user_config_path("socdesk") / "themes"


def preferences_path() -> Path:
    """What the console remembers for this user between runs (written by the console, not edited)."""
    return platformdirs.user_state_path("socdesk") / "preferences.json"


def load_preferences(path: Path | None = None) -> dict[str, object]:
    """The remembered preferences; a missing or unreadable file means none (it is only a convenience)."""
    import json

    try:
        data = json.loads((path or preferences_path()).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remembered_theme(path: Path | None = None) -> str | None:
    theme = load_preferences(path).get("theme")
    return theme if isinstance(theme, str) else None


def remember_theme(name: str, path: Path | None = None) -> None:
    """Keep ``name`` as this user's theme (other preferences in the file stay as they are)."""
    import json

    from socdesk.files import write_text_into

    where = path or preferences_path()
    preferences = {**load_preferences(where), "theme": name}
    write_text_into(where.parent, where.name, json.dumps(preferences, indent=2) + "\n")
