"""Rows to domain models and back. The only place that knows how models are laid out in SQLite."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from socdesk.domain.models import Card, Column, Event, Person

CARD_SELECT = """
    SELECT cards.id, cards.title, cards.description, cards.type, cards.priority, cards.kind,
           columns.name AS column_name, cards.position, cards.assignee, cards.security, cards.labels,
           cards.created_at, cards.updated_at, cards.column_since, cards.started_at, cards.done_at,
           cards.version
    FROM cards JOIN columns ON columns.id = cards.column_id
"""
CARD_ORDER = " ORDER BY columns.position, cards.position, cards.id"


def iso(moment: datetime | None) -> str | None:
    """A fixed-width UTC timestamp, so text order is time order."""
    return None if moment is None else moment.isoformat(timespec="microseconds")


def to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def card(row: sqlite3.Row) -> Card:
    return Card(
        id=row["id"],
        title=row["title"],
        description=row["description"],
        type=row["type"],
        priority=row["priority"],
        kind=row["kind"],
        column=row["column_name"],
        position=row["position"],
        assignee=row["assignee"],
        security=bool(row["security"]),
        labels=tuple(json.loads(row["labels"])),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        column_since=row["column_since"],
        started_at=row["started_at"],
        done_at=row["done_at"],
        version=row["version"],
    )


def column(row: sqlite3.Row) -> Column:
    return Column(
        name=row["name"],
        position=row["position"],
        wip_limit=row["wip_limit"],
        stage=row["stage"],
        version=row["version"],
    )


def person(row: sqlite3.Row) -> Person:
    return Person(
        handle=row["handle"], name=row["name"], roles=tuple(json.loads(row["roles"])), version=row["version"]
    )


def event(row: sqlite3.Row) -> Event:
    def load(text: str | None) -> Any:
        return None if text is None else json.loads(text)

    return Event(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        entity=row["entity"],
        entity_id=row["entity_id"],
        before=load(row["before"]),
        after=load(row["after"]),
        meta=load(row["meta"]),
    )


def card_values(c: Card, column_id: int) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "type": c.type.value,
        "priority": c.priority.value,
        "kind": c.kind.value,
        "column_id": column_id,
        "position": c.position,
        "assignee": c.assignee,
        "security": int(c.security),
        "labels": json.dumps(list(c.labels), ensure_ascii=False),
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "column_since": iso(c.column_since),
        "started_at": iso(c.started_at),
        "done_at": iso(c.done_at),
        "version": c.version,
    }
