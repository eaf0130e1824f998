"""``socdesk now``: who is on duty and on call, for a shell prompt or tmux's status-right.

It runs on every prompt, so it starts in a small fraction of a second: it reads the duty tables
with the standard library's sqlite3 and applies ``socdesk.domain.rota`` (which imports no pydantic).
A database that still needs a schema upgrade takes the ordinary, slower path once.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from socdesk.domain.clock import SystemClock
from socdesk.domain.errors import SocdeskError
from socdesk.domain.rota import MAX_SHIFT_HOURS, Role, Roster, duty_status, parse_moment
from socdesk.domain.rota import status_json as rota_status_json
from socdesk.domain.rota import strip_text as rota_strip_text
from socdesk.settings import resolve_db_path
from socdesk.store.connection import check_file, connect, sqlite_failure
from socdesk.store.migrations import check_schema

NO_ROSTER = "no duty roster yet"


@dataclass(frozen=True)
class _Person:
    name: str


@dataclass(frozen=True)
class _Rotation:
    members: tuple[str, ...]
    shift_hours: int
    handover_weekday: int | None
    handover_time: time
    tz: str
    start_date: date


@dataclass(frozen=True)
class _Override:
    id: int
    role: Role
    person: str
    starts_at: datetime
    ends_at: datetime


def _read_roster(conn: sqlite3.Connection, at: datetime) -> Roster:
    cutoff = (at - timedelta(hours=MAX_SHIFT_HOURS)).isoformat(timespec="microseconds")
    conn.execute("BEGIN")  # one consistent moment across the three tables
    try:
        people = {h: _Person(n) for h, n in conn.execute("SELECT handle, name FROM people")}
        rotations = {
            Role(r[0]): _Rotation(
                members=tuple(json.loads(r[1])),
                shift_hours=int(r[2]),
                handover_weekday=r[3],
                handover_time=time.fromisoformat(r[4]),
                tz=r[5],
                start_date=date.fromisoformat(r[6]),
            )
            for r in conn.execute(
                "SELECT role, members, shift_hours, handover_weekday, handover_time, tz, start_date"
                " FROM rotations"
            )
        }
        overrides = [
            _Override(int(r[0]), Role(r[1]), r[2], datetime.fromisoformat(r[3]), datetime.fromisoformat(r[4]))
            for r in conn.execute(
                "SELECT id, role, person, starts_at, ends_at FROM overrides WHERE ends_at > ?", (cutoff,)
            )
        ]
    finally:
        conn.execute("COMMIT")
    return Roster(people=people, rotations=rotations, overrides=overrides)


def roster_at(path: Path, at: datetime) -> Roster:
    check_file(path, create=False)
    conn = connect(path)
    try:
        pending = check_schema(conn)
        if not pending:
            return _read_roster(conn, at)
    except sqlite3.DatabaseError as error:  # static SQL: a damaged page or a failing disk, not a bug
        raise sqlite_failure(error, path) from None
    finally:
        conn.close()
    from socdesk.store import open_store  # an older file: upgrade it the ordinary way

    store = open_store(path, actor="socdesk-now")
    try:
        return store.get_roster(since=at)
    finally:
        store.close()


def render(roster: Roster, at: datetime, *, as_json: bool) -> str:
    status = duty_status(roster, at)
    if as_json:
        return json.dumps(rota_status_json(roster, status), ensure_ascii=False)
    if not roster.rotations and not roster.overrides:
        return NO_ROSTER
    return rota_strip_text(roster, at)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--at", metavar="ISO-TIME", help="who is on at this moment instead of now")


def run(args: argparse.Namespace) -> int:
    at = parse_moment(args.at) if args.at else SystemClock().now()
    path, _ = resolve_db_path(args.db)
    print(render(roster_at(path, at), at, as_json=args.json))
    return 0


def _without_command(argv: Sequence[str]) -> list[str]:
    """``argv`` without the command word itself: a value that happens to be "now" (``--at now``) stays."""
    words = list(argv)
    skip = False
    for index, word in enumerate(words):
        if skip:
            skip = False
        elif word in ("--db", "--user"):
            skip = True
        elif word == "now":
            del words[index]
            break
    return words


def main(argv: Sequence[str]) -> int:
    """The fast path, taken before the rest of the CLI is imported."""
    parser = argparse.ArgumentParser(prog="socdesk now", description="who is on duty and on call now")
    parser.add_argument("--db", metavar="PATH")
    parser.add_argument("--user", metavar="NAME")
    add_arguments(parser)
    args = parser.parse_args(_without_command(argv))
    try:
        return run(args)
    except SocdeskError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
