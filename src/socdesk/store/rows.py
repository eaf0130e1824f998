"""Rows to domain models and back. The only place that knows how models are laid out in SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from socdesk.domain.duty import HandoverNote, NoteCard, Override, Rotation
from socdesk.domain.models import Card, Column, Event, Person


def iso(moment: datetime | None) -> str | None:
    """A fixed-width UTC timestamp, so text order is time order."""
    return None if moment is None else moment.isoformat(timespec="microseconds")


def insert_sql(table: str, keys: Iterable[str], *, replace: bool = False) -> str:
    """``INSERT INTO table (a, b) VALUES (:a, :b)`` for a dict of named values."""
    names = list(keys)
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    return f"{verb} INTO {table} ({', '.join(names)}) VALUES ({', '.join(':' + k for k in names)})"


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
        handle=row["handle"],
        name=row["name"],
        email=row["email"],
        roles=tuple(json.loads(row["roles"])),
        version=row["version"],
    )


def rotation(row: sqlite3.Row) -> Rotation:
    return Rotation(
        role=row["role"],
        members=tuple(json.loads(row["members"])),
        shift_hours=row["shift_hours"],
        handover_weekday=row["handover_weekday"],
        handover_time=row["handover_time"],
        tz=row["tz"],
        start_date=row["start_date"],
        version=row["version"],
    )


def rotation_values(r: Rotation) -> dict[str, Any]:
    return {
        "role": r.role.value,
        "members": json.dumps(list(r.members)),
        "shift_hours": r.shift_hours,
        "handover_weekday": r.handover_weekday,
        "handover_time": r.handover_time.strftime("%H:%M"),
        "tz": r.tz,
        "start_date": r.start_date.isoformat(),
        "version": r.version,
    }


def override(row: sqlite3.Row) -> Override:
    return Override(
        id=row["id"],
        role=row["role"],
        person=row["person"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        reason=row["reason"],
        swap_id=row["swap_id"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        version=row["version"],
    )


def override_values(o: Override) -> dict[str, Any]:
    return {
        "id": o.id,
        "role": o.role.value,
        "person": o.person,
        "starts_at": iso(o.starts_at),
        "ends_at": iso(o.ends_at),
        "reason": o.reason,
        "swap_id": o.swap_id,
        "created_at": iso(o.created_at),
        "created_by": o.created_by,
        "version": o.version,
    }


def handover_note(row: sqlite3.Row) -> HandoverNote:
    return HandoverNote(
        id=row["id"],
        role=row["role"],
        handover_at=row["handover_at"],
        author=row["author"],
        text=row["text"],
        cards=tuple(NoteCard.model_validate(c) for c in json.loads(row["cards"])),
        created_at=row["created_at"],
    )


def handover_note_values(n: HandoverNote) -> dict[str, Any]:
    return {
        "id": n.id,
        "role": n.role.value,
        "handover_at": iso(n.handover_at),
        "author": n.author,
        "text": n.text,
        "cards": json.dumps([c.model_dump(mode="json") for c in n.cards], ensure_ascii=False),
        "created_at": iso(n.created_at),
    }


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
