"""``socdesk handshake`` output as plain text or JSON: the clock's status, topics, meetings, agenda.

Times a facilitator reads are shown as HH:MM in the agenda's zone; JSON carries ISO instants in UTC
and whole seconds (``remaining_seconds`` is negative once a section runs over).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from socdesk.domain.duty import parse_handover, to_utc
from socdesk.domain.handshake import Agenda, Meeting, MeetingRecord, Topic
from socdesk.domain.timer import Timer, clock_text
from socdesk.textfmt import clip, table

NO_MEETING = "no handshake running"


# ---------------------------------------------------------------------- small pieces


def seconds(delta: timedelta) -> int:
    """Whole seconds, truncated toward zero like ``clock_text`` (so both always agree)."""
    return int(delta.total_seconds())


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def hhmm(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def day_hhmm(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M")


def minutes_text(delta: timedelta) -> str:
    """``3 min`` (rounded up: a late start of 20 s is not "0 min late")."""
    whole = -(-int(delta.total_seconds()) // 60)
    return f"{whole} min"


def next_slot(agenda: Agenda, now: datetime) -> datetime | None:
    """The next booked slot that has not yet passed its grace (None when the agenda is unscheduled)."""
    if agenda.schedule is None:
        return None
    weekday, at = parse_handover(agenda.schedule)
    assert weekday is not None  # the agenda refuses a schedule without a weekday
    zone = ZoneInfo(agenda.tz)
    local = now.astimezone(zone)
    grace = timedelta(minutes=agenda.grace_minutes)
    for offset in (-7, 0, 7, 14):
        day = local.date() + timedelta(days=(weekday - local.weekday()) % 7 + offset)
        slot = to_utc(datetime.combine(day, at), zone)
        if slot + grace >= now:
            return slot
    return None  # pragma: no cover - a slot within three weeks always exists


def _losing(timer: Timer) -> list[tuple[int, timedelta]]:
    """The sections that must give up time, leaving out sub-second crumbs."""
    return [(index, lost) for index, lost in timer.losing() if seconds(lost) > 0]


def _section_label(record: MeetingRecord, timer: Timer) -> str:
    sections = record.meeting.agenda.sections
    if timer.current is None:
        return "no section"
    return f"{timer.current + 1}/{len(sections)} {sections[timer.current].title}"


def _left(timer: Timer) -> str:
    text = clock_text(timer.remaining)
    return f"{text} over" if text.startswith("+") else f"{text} left"


def _started_text(meeting: Meeting) -> str:
    tz = meeting.agenda.tz
    text = f"started {hhmm(meeting.started_at, tz)} by {meeting.started_by}"
    late = meeting.late_by
    if meeting.scheduled_at is None or late is None:
        return text + " (unscheduled)"
    booked = hhmm(meeting.scheduled_at, tz)
    if late > timedelta(0):
        return text + f", {minutes_text(late)} late (booked {booked} {tz})"
    return text + f", on time (booked {booked} {tz})"


# ---------------------------------------------------------------------- status


def status_json(record: MeetingRecord | None, agenda: Agenda, intake: int, now: datetime) -> dict[str, Any]:
    """The clock at ``now`` (every key present even when nothing runs, so scripts need no guards)."""
    slot = next_slot(agenda, now)
    common = {
        "next_scheduled_at": iso(slot),
        "intake_count": intake,
        "topic_cap": agenda.topic_cap,
    }
    if record is None or record.meeting.ended_at is not None:
        return {
            "running": False,
            "meeting_id": None,
            "section": None,
            "remaining_seconds": None,
            "overrun": None,
            "paused": False,
            "topic": None,
            "projected_end": None,
            "deadline": None,
            "late_by_seconds": None,
            "losing": [],
            "scheduled_at": None,
            "started_at": None,
            "started_late_seconds": None,
            **common,
        }
    meeting = record.meeting
    timer = record.timer(now)
    sections = meeting.agenda.sections
    section: dict[str, Any] | None = None
    if timer.current is not None and timer.section is not None:
        spec, time = sections[timer.current], timer.section
        section = {
            "index": timer.current,
            "title": spec.title,
            "kind": spec.kind.value,
            "planned_seconds": seconds(time.planned),
            "allowance_seconds": seconds(time.allowance),
            "used_seconds": seconds(time.used),
        }
    remaining = seconds(timer.remaining)
    topic: dict[str, Any] | None = None
    if timer.item is not None:
        found = record.topic(timer.item)
        topic = {
            "id": timer.item,
            "text": found.text if found else None,
            "remaining_seconds": seconds(timer.item_remaining),
        }
    late = meeting.late_by
    return {
        "running": True,
        "meeting_id": meeting.id,
        "section": section,
        "remaining_seconds": remaining,
        "overrun": clock_text(timer.remaining) if remaining < 0 else None,
        "paused": timer.paused,
        "topic": topic,
        "projected_end": iso(timer.projected_end),
        "deadline": iso(timer.deadline),
        "late_by_seconds": seconds(timer.late_by),
        "losing": [
            {"index": index, "title": sections[index].title, "seconds": seconds(lost)}
            for index, lost in _losing(timer)
        ],
        "scheduled_at": iso(meeting.scheduled_at),
        "started_at": iso(meeting.started_at),
        "started_late_seconds": None if late is None else seconds(late),
        **common,
    }


def status_line(record: MeetingRecord, now: datetime) -> str:
    """One line for after a timer action: the section, what is left, paused, the projected end."""
    timer = record.timer(now)
    tz = record.meeting.agenda.tz
    parts = [f"handshake {record.meeting.id}", _section_label(record, timer), _left(timer)]
    if timer.paused:
        parts.append("PAUSED")
    if timer.ended_at is not None:
        parts.append(f"ended {hhmm(timer.ended_at, tz)}")
    elif timer.projected_end is not None:
        end = f"ends ~{hhmm(timer.projected_end, tz)}"
        if seconds(timer.late_by) > 0 and timer.deadline is not None:
            end += f" ({clock_text(timer.late_by)} past {hhmm(timer.deadline, tz)})"
        parts.append(end)
    return " · ".join(parts)


def no_meeting_text(agenda: Agenda, intake: int, now: datetime) -> str:
    slot = next_slot(agenda, now)
    when = "not scheduled" if slot is None else f"next {day_hhmm(slot, agenda.tz)} {agenda.tz}"
    return f"{NO_MEETING}\n{when} · {intake}/{agenda.topic_cap} topics in the intake"


def status_text(record: MeetingRecord | None, agenda: Agenda, intake: int, now: datetime) -> str:
    if record is None or record.meeting.ended_at is not None:
        return no_meeting_text(agenda, intake, now)
    meeting = record.meeting
    tz = meeting.agenda.tz
    timer = record.timer(now)
    lines = [status_line(record, now)]
    if timer.current is not None:
        kind = meeting.agenda.sections[timer.current].kind.value
        section = timer.sections[timer.current]
        lines.append(
            f"  section   {kind}, {clock_text(section.allowance)} allowed"
            + (f" (+{minutes_text(section.extended)} extended)" if section.extended else "")
            + f", {clock_text(section.used)} used"
        )
    if timer.item is not None:
        found = record.topic(timer.item)
        text = clip(found.text, 60) if found else "?"
        lines.append(f"  topic     #{timer.item} {text} · {_left_item(timer)}")
    if timer.deadline is not None and timer.projected_end is not None:
        end = f"  end       ~{hhmm(timer.projected_end, tz)}, deadline {hhmm(timer.deadline, tz)} {tz}"
        if seconds(timer.late_by) > 0:
            losing = ", ".join(
                f"{meeting.agenda.sections[i].title} -{clock_text(lost)}" for i, lost in _losing(timer)
            )
            end += f" · {clock_text(timer.late_by)} late" + (f"; to fit: {losing}" if losing else "")
        lines.append(end)
    lines.append(f"  {_started_text(meeting)}")
    lines.append(f"  topics    {len(record.topics)} on this handshake; {intake} waiting for the next")
    return "\n".join(lines)


def _left_item(timer: Timer) -> str:
    text = clock_text(timer.item_remaining)
    return f"{text} over" if text.startswith("+") else f"{text} left"


def start_text(record: MeetingRecord, now: datetime) -> str:
    meeting = record.meeting
    count = len(record.topics)
    head = f"handshake {meeting.id} {_started_text(meeting)} with {count} topic{'' if count == 1 else 's'}"
    return head + "\n" + status_line(record, now)


# ---------------------------------------------------------------------- topics


def intake_and_deferred(topics: Sequence[Topic]) -> tuple[list[Topic], list[Topic]]:
    return [t for t in topics if not t.deferred], [t for t in topics if t.deferred]


def topics_json(topics: Sequence[Topic], agenda: Agenda, running: MeetingRecord | None) -> dict[str, Any]:
    intake, deferred = intake_and_deferred(topics)
    return {
        "cap": agenda.topic_cap,
        "running_meeting_id": None if running is None else running.meeting.id,
        "intake": [t.model_dump(mode="json") for t in intake],
        "deferred": [t.model_dump(mode="json") for t in deferred],
    }


def topics_text(topics: Sequence[Topic], agenda: Agenda, running: MeetingRecord | None) -> str:
    tz = agenda.tz
    intake, deferred = intake_and_deferred(topics)
    title = f"Next handshake: {len(intake)}/{agenda.topic_cap} topics"
    if running is not None:
        title += f" (handshake {running.meeting.id} is running with its own {len(running.topics)})"
    lines = [title]
    for number, topic in enumerate(intake, start=1):
        lines.append(
            f"  {number}. #{topic.id} {clip(topic.text, 70)}"
            f"  ({topic.submitted_by}, {day_hhmm(topic.submitted_at, tz)})"
        )
    if not intake:
        lines.append("  none yet: `socdesk handshake topic add TEXT`")
    if deferred:
        lines += ["", "Moved to a later week (back after the next handshake ends):"]
        lines += [
            f"  #{t.id} {clip(t.text, 70)}  ({t.submitted_by}, {day_hhmm(t.submitted_at, tz)})"
            for t in deferred
        ]
    return "\n".join(lines)


def topic_added_text(topic: Topic, position: int, agenda: Agenda, running: MeetingRecord | None) -> str:
    count = f"({position}/{agenda.topic_cap})"
    if running is not None and topic.meeting_id == running.meeting.id:
        return (
            f"topic #{topic.id} added and taken up at once: handshake {running.meeting.id} started"
            " just after it was submitted"
        )
    if running is None:
        return f"topic #{topic.id} added for the next handshake {count}"
    return (
        f"topic #{topic.id} queued for the next handshake {count}: handshake {running.meeting.id} is"
        " running and its intake closed when it started"
    )


# ---------------------------------------------------------------------- meetings


def meetings_json(meetings: Sequence[Meeting], topics_per_meeting: Counter[int]) -> list[dict[str, Any]]:
    rows = []
    for m in meetings:
        late = m.late_by
        rows.append(
            {
                "id": m.id,
                "date": m.started_at.astimezone(ZoneInfo(m.agenda.tz)).date().isoformat(),
                "scheduled_at": iso(m.scheduled_at),
                "started_at": iso(m.started_at),
                "on_time": None if late is None else late == timedelta(0),
                "started_late_seconds": None if late is None else seconds(late),
                "ended_at": iso(m.ended_at),
                "started_by": m.started_by,
                "topics": topics_per_meeting.get(m.id, 0),
            }
        )
    return rows


def meetings_text(meetings: Sequence[Meeting], topics_per_meeting: Counter[int]) -> str:
    if not meetings:
        return "no handshake has been held yet"
    body = []
    for m in meetings:
        tz = m.agenda.tz
        late = m.late_by
        if late is None or m.scheduled_at is None:
            booked, start = "-", "unscheduled"
        else:
            booked = hhmm(m.scheduled_at, tz)
            start = "late " + minutes_text(late) if late > timedelta(0) else "on time"
        body.append(
            [
                str(m.id),
                m.started_at.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d"),
                booked,
                f"{hhmm(m.started_at, tz)} {start}",
                "running" if m.ended_at is None else hhmm(m.ended_at, tz),
                str(topics_per_meeting.get(m.id, 0)),
                tz,
            ]
        )
    return table(["ID", "DATE", "BOOKED", "STARTED", "ENDED", "TOPICS", "TZ"], body)


# ---------------------------------------------------------------------- agenda


def agenda_text(agenda: Agenda) -> str:
    lines = [
        f"Handshake agenda (version {agenda.version}): {agenda.schedule_text()},"
        f" {int(agenda.total.total_seconds() // 60)} min",
        f"  topics: at most {agenda.topic_cap}, {agenda.topic_minutes} min each;"
        f" a start up to {agenda.grace_minutes} min late is on time; cards age after"
        f" {agenda.ageing_days} days",
    ]
    rows = []
    offset = 0
    for number, section in enumerate(agenda.sections, start=1):
        rows.append(
            [str(number), f"+{offset:02d} min", section.title, str(section.minutes), section.kind.value]
        )
        offset += section.minutes
    lines.append(table(["#", "AT", "SECTION", "MIN", "KIND"], rows))
    return "\n".join(lines)
