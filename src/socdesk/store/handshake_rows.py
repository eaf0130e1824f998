"""Handshake rows to models and back: the agenda setting, meetings, topics and the meeting log."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from socdesk.domain.handshake import Agenda, LogEntry, Meeting, Topic
from socdesk.store.rows import iso

AGENDA_KEY = "handshake.agenda"


def meeting(row: sqlite3.Row) -> Meeting:
    return Meeting(
        id=row["id"],
        agenda=Agenda.model_validate_json(row["agenda"]),
        scheduled_at=row["scheduled_at"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        started_by=row["started_by"],
        duty=json.loads(row["duty"]),
        kpis=json.loads(row["kpis"]),
        version=row["version"],
    )


def meeting_values(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.id,
        "agenda": m.agenda.model_dump_json(),
        "scheduled_at": iso(m.scheduled_at),
        "started_at": iso(m.started_at),
        "ended_at": iso(m.ended_at),
        "started_by": m.started_by,
        "duty": json.dumps(m.duty, ensure_ascii=False, sort_keys=True),
        "kpis": m.kpis.model_dump_json(),
        "version": m.version,
    }


def topic(row: sqlite3.Row) -> Topic:
    return Topic(
        id=row["id"],
        text=row["text"],
        submitted_by=row["submitted_by"],
        submitted_at=row["submitted_at"],
        meeting_id=row["meeting_id"],
        deferred=bool(row["deferred"]),
        outcome=row["outcome"],
        card_id=row["card_id"],
        version=row["version"],
    )


def topic_values(t: Topic) -> dict[str, Any]:
    return {
        "id": t.id,
        "text": t.text,
        "submitted_by": t.submitted_by,
        "submitted_at": iso(t.submitted_at),
        "meeting_id": t.meeting_id,
        "deferred": int(t.deferred),
        "outcome": t.outcome,
        "card_id": t.card_id,
        "version": t.version,
    }


def log_entry(row: sqlite3.Row) -> LogEntry:
    return LogEntry(
        id=row["id"],
        meeting_id=row["meeting_id"],
        at=row["at"],
        actor=row["actor"],
        kind=row["kind"],
        section=row["section"],
        topic_id=row["topic_id"],
        card_id=row["card_id"],
        minutes=row["minutes"],
        text=row["text"],
        data=json.loads(row["data"]),
    )


def log_entry_values(e: LogEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "meeting_id": e.meeting_id,
        "at": iso(e.at),
        "actor": e.actor,
        "kind": e.kind.value,
        "section": e.section,
        "topic_id": e.topic_id,
        "card_id": e.card_id,
        "minutes": e.minutes,
        "text": e.text,
        "data": json.dumps(e.data, ensure_ascii=False, sort_keys=True),
    }
