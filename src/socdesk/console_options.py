"""How a console is opened, shared by `socdesk` (in a terminal) and `socdesk serve` (in a browser).

The options a console takes (a theme, the wallboard and its cycle), checked once, and the database it
opens: the default file gets the sample team on its first run. No textual here: `serve` runs the
console in other processes and must not pay for the UI itself.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from socdesk.domain.errors import InvalidInput
from socdesk.settings import resolve_db_path
from socdesk.store import Store, open_store

SQLITE_INTEGER_MAX = 2**63 - 1  # an id, version or count beyond this cannot even be looked up


def positive(text: str, *, most: int = SQLITE_INTEGER_MAX) -> int:
    """An argparse type: a whole number from 1 to ``most`` (a typo is a usage error, exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    if value > most:
        raise argparse.ArgumentTypeError(f"expected at most {most}, got {value}")
    return value


@dataclass(frozen=True)
class ConsoleOptions:
    theme: str | None = None
    wallboard: bool = False
    cycle: int | None = None

    @classmethod
    def of(cls, args: argparse.Namespace) -> ConsoleOptions:
        """The options as given (before or after ``serve``), refused when they do not go together."""
        options = cls(
            theme=getattr(args, "console_theme", None),
            wallboard=getattr(args, "wallboard", False),
            cycle=getattr(args, "cycle", None),
        )
        if options.cycle is not None and not options.wallboard:
            raise InvalidInput("--cycle sets how long the wallboard shows each view; add --wallboard")
        return options

    def words(self) -> list[str]:
        """Only what was given, so the console's own defaults (and a remembered theme) still apply."""
        words = ["--theme", self.theme] if self.theme is not None else []
        words += ["--wallboard"] if self.wallboard else []
        return words + (["--cycle", str(self.cycle)] if self.cycle is not None else [])


def open_console_store(db_flag: str | None, actor: str) -> tuple[Store, Path]:
    """The console's database, created if need be; the default file gets the sample team on first run."""
    from socdesk.sample import load_sample

    path, is_default = resolve_db_path(db_flag)
    first_run = not path.exists()
    store = open_store(path, actor=actor, create=True)
    try:
        if first_run and is_default:
            load_sample(store)
    except BaseException:
        store.close()
        raise
    return store, path
