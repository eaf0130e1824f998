"""The reads scripts run most, answered with sqlite3 and the standard library: `log`, `card list --json`.

SOAR playbooks, cron jobs and prompts call these often, and the full CLI spends most of its time
importing pydantic and building models before it reads a row. This path reads the same rows with the
same SQL and prints byte-for-byte what the full command prints (tests/test_fast_reads.py compares
them). It answers only what it is sure of: anything else — an unknown option or column, a value the
full command would refuse or reinterpret, a database that needs upgrading — is handed to the full
CLI, which gives the usual answer or error. ``entry.py`` sends these commands here first.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from socdesk.domain.errors import SocdeskError
from socdesk.settings import resolve_db_path
from socdesk.store.card_sql import card_query
from socdesk.store.connection import check_file, connect
from socdesk.store.migrations import check_schema

WORK_TYPES = ("business", "operations", "engineering", "unplanned")


class Unsure(Exception):
    """This path cannot be sure to answer as the full CLI would: let the full CLI answer."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # the full CLI words usage errors; never here
        raise Unsure(message)


@dataclass(frozen=True)
class EventRow:
    """An event as ``describe_event`` and the JSON output read it (the fields of ``models.Event``)."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    meta: dict[str, Any] | None


def json_time(text: str | None) -> str | None:
    """A stored UTC time as pydantic writes it in JSON: ``…T21:43:15.453373Z``, no fraction at .0."""
    if text is None:
        return None
    if len(text) == 32 and text.endswith("+00:00"):  # as the store writes them (rows.iso): no parsing
        return (text[:-13] if text.endswith(".000000+00:00") else text[:-6]) + "Z"
    return datetime.fromisoformat(text).astimezone(UTC).isoformat().replace("+00:00", "Z")


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _open(db: str | None) -> sqlite3.Connection:
    path: Path = resolve_db_path(db)[0]
    check_file(path, create=False)  # the same refusals, word for word, as the full CLI's
    conn = connect(path)
    try:
        if check_schema(conn):
            raise Unsure("the database needs upgrading, which the full CLI does")
    except BaseException:
        conn.close()
        raise
    return conn


# ---------------------------------------------------------------------- log


def _log_parser() -> _Parser:
    parser = _Parser(add_help=False)
    parser.add_argument("command", choices=["log"])
    parser.add_argument("--db")
    parser.add_argument("--user")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    return parser


def read_events(conn: sqlite3.Connection, limit: int) -> list[EventRow]:
    sql = "SELECT id, at, actor, action, entity, entity_id, before, after, meta FROM events"
    rows = conn.execute(sql + " ORDER BY id DESC LIMIT ?", (limit,))
    return [
        EventRow(
            r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4], r[5], _load(r[6]), _load(r[7]), _load(r[8])
        )
        for r in rows
    ]


def event_json(event: EventRow) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": json_time(event.at.isoformat()),
        "actor": event.actor,
        "action": event.action,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "before": event.before,
        "after": event.after,
        "meta": event.meta,
    }


def log(argv: Sequence[str]) -> int:
    args = _log_parser().parse_args(argv)
    if not 1 <= args.limit <= 2**63 - 1:  # beyond SQLite's integers too
        raise Unsure("the full CLI words this usage error")
    conn = _open(args.db)
    try:
        events = read_events(conn, args.limit)
    finally:
        conn.close()
    if args.json:
        _print_json([event_json(e) for e in events])
    elif events:
        from socdesk.textfmt import event_rows

        print(event_rows(events))  # type: ignore[arg-type]  # EventRow has every field it reads
    else:
        print("no events yet")
    return 0


# ---------------------------------------------------------------------- card list --json


def _cards_parser() -> _Parser:
    parser = _Parser(add_help=False)
    parser.add_argument("command", choices=["card"])
    parser.add_argument("action", choices=["list"])
    parser.add_argument("--db")
    parser.add_argument("--user")
    parser.add_argument("--column")
    parser.add_argument("--type", choices=WORK_TYPES)
    parser.add_argument("--assignee")
    parser.add_argument("--json", action="store_true", required=True)
    return parser


def read_cards(
    conn: sqlite3.Connection, *, column: str | None, type: str | None, assignee: str | None
) -> list[dict[str, Any]]:
    column_id = None
    if column is not None:
        found = conn.execute("SELECT id FROM columns WHERE name = ?", (column.strip(),)).fetchone()
        if found is None:
            raise Unsure("the full CLI names the columns there are")
        column_id = found[0]
    sql, params = card_query(column_id=column_id, type=type, assignee=assignee)
    return [
        {
            "title": title,
            "description": description,
            "type": work_type,
            "priority": priority,
            "kind": kind,
            "assignee": assignee_handle,
            "security": bool(security),
            "labels": json.loads(labels),
            "id": card_id,
            "column": column_name,
            "position": position,
            "created_at": json_time(created),
            "updated_at": json_time(updated),
            "column_since": json_time(since),
            "started_at": json_time(started),
            "done_at": json_time(done),
            "version": version,
        }
        for (
            card_id,
            title,
            description,
            work_type,
            priority,
            kind,
            column_name,
            position,
            assignee_handle,
            security,
            labels,
            created,
            updated,
            since,
            started,
            done,
            version,
        ) in conn.execute(sql, params)
    ]


def card_list(argv: Sequence[str]) -> int:
    args = _cards_parser().parse_args(argv)
    conn = _open(args.db)
    conn.row_factory = None  # plain tuples, in CARD_SELECT's order
    try:
        cards = read_cards(conn, column=args.column, type=args.type, assignee=args.assignee)
    finally:
        conn.close()
    _print_json(cards)
    return 0


# ---------------------------------------------------------------------- dispatch


def main(argv: Sequence[str], command: Sequence[str]) -> int | None:
    """The answer for ``argv`` (``command`` is its first words), or None: ask the full CLI."""
    words = list(argv)
    if {"-h", "--help"} & set(words):
        return None
    try:
        if list(command[:1]) == ["log"]:
            return log(words)
        if list(command[:2]) == ["card", "list"]:
            return card_list(words)
    except (Unsure, sqlite3.DatabaseError):  # a damaged file: the full CLI says what it can
        return None
    except SocdeskError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    return None
