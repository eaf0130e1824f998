"""A handshake's minutes: Markdown for the wiki and the same content as JSON.

Pure functions of a ``MeetingRecord``. They never look at the wall clock: an ended meeting is described
as it ended, a running one as it stood at its last log entry (and says it is in progress), so the same
record always gives the same minutes on every machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from socdesk.domain.handshake import EntryKind, LogEntry, MeetingRecord, Topic
from socdesk.domain.kpis import kpi_lines
from socdesk.domain.rota import Role
from socdesk.domain.timer import Timer
from socdesk.markdown_text import block, cell, heading, inline

DECISION_KINDS = (EntryKind.PRIORITY, EntryKind.PULL)
DETECTION_KINDS = (EntryKind.APPROVE, EntryKind.REJECT, EntryKind.TUNING)
NEW_CARD_KINDS = (EntryKind.TOPIC_CARD, EntryKind.TUNING)
TUNING_TYPE = "engineering"
"""The work type the store gives every tuning card (its log entry does not record one)."""


# ------------------------------------------------------------------ what both forms are built from


@dataclass(frozen=True)
class _Row:
    """One section's time in whole seconds (so the table's rows add up to its total row)."""

    title: str
    kind: str
    planned: int
    extended: int
    used: int
    visited: bool

    @property
    def difference(self) -> int:
        """Actual against the plan as booked (extensions are not part of the plan)."""
        return self.used - self.planned


@dataclass(frozen=True)
class _Facts:
    record: MeetingRecord
    at: datetime
    """The moment the minutes describe: the end, or the last log entry of a running meeting."""
    timer: Timer
    rows: tuple[_Row, ...]

    @property
    def in_progress(self) -> bool:
        return self.record.meeting.ended_at is None

    @property
    def duration(self) -> int:
        return _seconds(self.at - self.record.meeting.started_at)

    @property
    def paused(self) -> int:
        """Wall-clock time the clock stood still (the duration less what the sections used)."""
        return max(self.duration - sum(r.used for r in self.rows), 0)

    @property
    def late_minutes(self) -> int | None:
        """Whole minutes late, rounded up (0: on time within the grace; None: unscheduled)."""
        late = self.record.meeting.late_by
        return None if late is None else math.ceil(late.total_seconds() / 60)

    def reached(self, topic: Topic) -> bool:
        return bool(topic.outcome) or topic.card_id is not None

    def topic_seconds(self, topic: Topic) -> int:
        return _seconds(self.timer.items.get(topic.id, timedelta(0)))


def _facts(record: MeetingRecord) -> _Facts:
    meeting = record.meeting
    if meeting.ended_at is not None:
        at = meeting.ended_at
    else:
        at = max((e.at for e in record.log), default=meeting.started_at)
    timer = record.timer(at)
    rows = tuple(
        _Row(
            title=section.title,
            kind=section.kind.value,
            planned=_seconds(time.planned),
            extended=_seconds(time.extended),
            used=_seconds(time.used),
            visited=time.visited,
        )
        for section, time in zip(meeting.agenda.sections, timer.sections, strict=True)
    )
    return _Facts(record=record, at=at, timer=timer, rows=rows)


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


def _section_title(record: MeetingRecord, index: int | None) -> str:
    sections = record.meeting.agenda.sections
    if index is None or not 0 <= index < len(sections):
        return "Outside the agenda"
    return sections[index].title


def _duty(record: MeetingRecord) -> list[tuple[str, str, str]]:
    """(role key, label, name), the known roles first in their usual order."""
    duty = record.meeting.duty
    known = [r.value for r in Role if r.value in duty]
    ordered = known + sorted(k for k in duty if k not in known)
    labels = {r.value: r.title[:1].upper() + r.title[1:] for r in Role}
    return [(key, labels.get(key, key), duty[key]) for key in ordered]


def _title(entry: LogEntry) -> str:
    """The card's title as the entry recorded it (REJECT and TUNING keep the feedback in ``text``)."""
    if entry.kind in (EntryKind.REJECT, EntryKind.TUNING):
        return str(entry.data.get("title", ""))
    return entry.text


# ------------------------------------------------------------------ Markdown


def render_markdown(record: MeetingRecord) -> str:
    """The minutes as Markdown for a wiki: deterministic, sections with nothing to say left out."""
    facts = _facts(record)
    meeting = record.meeting
    heading = f"# Handshake {meeting.started_at.date().isoformat()}"
    if facts.in_progress:
        heading += " (in progress)"
    out = [heading, "", _summary(facts)]

    out += ["", "## Attendees", "", ", ".join(inline(a) for a in record.attendees()) or "Nobody."]

    duty = _duty(record)
    out += ["", "## Duty", ""]
    out += [f"- {label}: {inline(name)}" for _, label, name in duty] or ["Nobody recorded."]

    out += ["", "## KPIs", ""]
    out += [f"- {inline(line)}" for line in kpi_lines(meeting.kpis)]

    out += ["", "## Time", "", *_time_table(facts)]

    out += _topics(facts)
    out += _listed("Backlog decisions", [_decision(e) for e in record.entries(*DECISION_KINDS)])
    out += _listed("Detections", [_detection(e) for e in record.entries(*DETECTION_KINDS)])
    out += _listed("New cards", [_new_card(e) for e in record.entries(*NEW_CARD_KINDS)])
    out += _notes(record)
    return "\n".join(out) + "\n"


def _clock(moment: datetime, facts: _Facts) -> str:
    """``HH:MM GMT`` in the agenda's zone, with the date when it is not the meeting's day."""
    zone = ZoneInfo(facts.record.meeting.agenda.tz)
    local = moment.astimezone(zone)
    if local.date() == facts.record.meeting.started_at.astimezone(zone).date():
        return f"{local:%H:%M %Z}"
    return f"{local:%Y-%m-%d %H:%M %Z}"


def _summary(facts: _Facts) -> str:
    meeting = facts.record.meeting
    started = _clock(meeting.started_at, facts)
    late = facts.late_minutes
    if meeting.scheduled_at is None:
        opening = f"Unscheduled, started {started}."
    else:
        when = "on time" if not late else f"{late} min late"
        opening = f"Scheduled {_clock(meeting.scheduled_at, facts)}, started {started} — {when}."
    paused = f", {_duration(facts.paused)} of it paused" if facts.paused else ""
    if facts.in_progress:
        state = f"In progress at {_clock(facts.at, facts)}, {_duration(facts.duration)} so far{paused}."
    else:
        state = f"Ended {_clock(facts.at, facts)} after {_duration(facts.duration)}{paused}."
    return f"{opening} {state} Started by {inline(meeting.started_by)}."


def _duration(seconds: int) -> str:
    """``m:ss`` (minutes unbounded: ``75:00``)."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 60}:{seconds % 60:02d}"


def _signed(seconds: int) -> str:
    return "0:00" if seconds == 0 else ("+" if seconds > 0 else "") + _duration(seconds)


def _time_table(facts: _Facts) -> list[str]:
    lines = [
        "| Section | Planned | Extended | Actual | Difference |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in facts.rows:
        title = cell(row.title) + ("" if row.visited else " _(not reached)_")
        extended = f"+{_duration(row.extended)}" if row.extended else ""
        lines.append(
            f"| {title} | {_duration(row.planned)} | {extended} | {_duration(row.used)} "
            f"| {_signed(row.difference)} |"
        )
    planned = sum(r.planned for r in facts.rows)
    extended_total = sum(r.extended for r in facts.rows)
    used = sum(r.used for r in facts.rows)
    extended = f"+{_duration(extended_total)}" if extended_total else ""
    lines.append(
        f"| **Total** | {_duration(planned)} | {extended} | {_duration(used)} | {_signed(used - planned)} |"
    )
    return lines


def _topics(facts: _Facts) -> list[str]:
    topics = facts.record.all_topics()
    reached = [t for t in topics if facts.reached(t)]
    waiting = [t for t in topics if not facts.reached(t)]
    if not topics:
        return []
    out = ["", "## Topics"]
    if reached:
        out.append("")
    for number, topic in enumerate(reached, start=1):
        prefix = f"{number}. "
        indent = " " * len(prefix)
        out.append(prefix + _topic_line(facts, topic, indent))
        if topic.outcome:
            out.append(f"{indent}- Outcome: {block(topic.outcome, indent + '  ')}")
        else:
            out.append(f"{indent}- _no outcome recorded_")
        if topic.card_id is not None:
            out.append(f"{indent}- → card #{topic.card_id}")
    if waiting:
        out += ["", "### Not reached (carried over to next week)", ""]
        out += [f"- {_topic_line(facts, t, '  ')}" for t in waiting]
    return out


def _topic_line(facts: _Facts, topic: Topic, indent: str) -> str:
    line = f"{block(topic.text, indent)} — raised by {inline(topic.submitted_by)}"
    seconds = facts.topic_seconds(topic)
    return line + (f", discussed {_duration(seconds)}" if seconds else "")


def _decision(entry: LogEntry) -> str:
    card = f"#{entry.card_id} {inline(_title(entry))}"
    if entry.kind is EntryKind.PRIORITY:
        return f"{card}: {entry.data.get('from', '?')} → {entry.data.get('to', '?')}"
    return f"{card} pulled into {inline(str(entry.data.get('to', '?')))}"


def _detection(entry: LogEntry) -> str:
    card = f"#{entry.card_id} {inline(_title(entry))}"
    who = inline(entry.actor)
    if entry.kind is EntryKind.APPROVE:
        return f"{card} approved by {who}"
    if entry.kind is EntryKind.REJECT:
        return f"{card} sent back by {who}: {block(entry.text, '  ')}"
    return f"{card} — created from {who}'s feedback: {block(entry.text, '  ')}"


def _new_card(entry: LogEntry) -> str:
    card = f"#{entry.card_id} {inline(_title(entry))}"
    if entry.kind is EntryKind.TOPIC_CARD:
        return f"{card} — {entry.data.get('type', '?')}, from topic #{entry.topic_id}"
    return f"{card} — {entry.data.get('type', TUNING_TYPE)}, tuning of #{entry.data.get('tunes')}"


def _listed(title: str, items: list[str]) -> list[str]:
    return ["", f"## {title}", "", *(f"- {item}" for item in items)] if items else []


def _notes(record: MeetingRecord) -> list[str]:
    notes = record.entries(EntryKind.NOTE)
    if not notes:
        return []
    out = ["", "## Notes"]
    order = sorted({e.section for e in notes}, key=lambda s: -1 if s is None else s)
    for section in order:
        out += ["", f"### {heading(_section_title(record, section))}", ""]
        for note in (e for e in notes if e.section == section):
            out.append(f"- {note.at:%H:%M} {inline(note.actor)}: {block(note.text, '  ')}")
    return out


# ------------------------------------------------------------------ JSON


def _iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, as pydantic writes the KPIs' moment."""
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def minutes_json(record: MeetingRecord) -> dict[str, Any]:
    """The minutes' content as a JSON-able dict (the numbers are those of the Markdown)."""
    facts = _facts(record)
    meeting = record.meeting
    rows = facts.rows
    return {
        "meeting_id": meeting.id,
        "date": meeting.started_at.date().isoformat(),
        "in_progress": facts.in_progress,
        "as_of": _iso(facts.at),
        "scheduled_at": _iso(meeting.scheduled_at),
        "started_at": _iso(meeting.started_at),
        "ended_at": _iso(meeting.ended_at),
        "late_minutes": facts.late_minutes,
        "started_by": meeting.started_by,
        "duration_seconds": facts.duration,
        "paused_seconds": facts.paused,
        "attendees": record.attendees(),
        "duty": {key: name for key, _, name in _duty(record)},
        "kpis": meeting.kpis.model_dump(mode="json"),
        "sections": [
            {
                "title": r.title,
                "kind": r.kind,
                "planned_seconds": r.planned,
                "extended_seconds": r.extended,
                "used_seconds": r.used,
                "difference_seconds": r.difference,
                "visited": r.visited,
            }
            for r in rows
        ],
        "total": {
            "planned_seconds": sum(r.planned for r in rows),
            "extended_seconds": sum(r.extended for r in rows),
            "used_seconds": sum(r.used for r in rows),
            "difference_seconds": sum(r.difference for r in rows),
        },
        "topics": [
            {
                "id": t.id,
                "text": t.text,
                "submitted_by": t.submitted_by,
                "outcome": t.outcome,
                "card_id": t.card_id,
                "reached": facts.reached(t),
                "used_seconds": facts.topic_seconds(t),
            }
            for t in record.all_topics()
        ],
        "decisions": [_decision_json(e) for e in record.entries(*DECISION_KINDS)],
        "detections": [_detection_json(e) for e in record.entries(*DETECTION_KINDS)],
        "new_cards": [_new_card_json(e) for e in record.entries(*NEW_CARD_KINDS)],
        "notes": [
            {
                "at": _iso(e.at),
                "actor": e.actor,
                "section": e.section,
                "section_title": _section_title(record, e.section),
                "text": e.text,
            }
            for e in record.entries(EntryKind.NOTE)
        ],
        "publish": [
            {
                "at": _iso(e.at),
                "actor": e.actor,
                "command": e.text,
                "exit_code": e.data.get("exit_code"),
                "output": e.data.get("output", ""),
            }
            for e in record.entries(EntryKind.PUBLISH)
        ],
    }


def _entry_json(entry: LogEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind.value,
        "at": _iso(entry.at),
        "actor": entry.actor,
        "card_id": entry.card_id,
        "title": _title(entry),
    }


def _decision_json(entry: LogEntry) -> dict[str, Any]:
    if entry.kind is EntryKind.PRIORITY:
        return {**_entry_json(entry), "from": entry.data.get("from"), "to": entry.data.get("to")}
    return {**_entry_json(entry), "to": entry.data.get("to"), "priority": entry.data.get("priority")}


def _detection_json(entry: LogEntry) -> dict[str, Any]:
    found = _entry_json(entry)
    if entry.kind in (EntryKind.REJECT, EntryKind.TUNING):
        found["feedback"] = entry.text
    if entry.kind is EntryKind.TUNING:
        found["tunes"] = entry.data.get("tunes")
    return found


def _new_card_json(entry: LogEntry) -> dict[str, Any]:
    if entry.kind is EntryKind.TOPIC_CARD:
        extra = {"source": "topic", "type": entry.data.get("type"), "topic_id": entry.topic_id}
    else:
        extra = {
            "source": "tuning",
            "type": entry.data.get("type", TUNING_TYPE),
            "tunes": entry.data.get("tunes"),
        }
    return {**_entry_json(entry), **extra}
