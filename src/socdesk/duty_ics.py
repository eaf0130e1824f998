"""On-call shifts in and out of iCalendar (RFC 5545) files.

``parse_ics`` turns the calendar an on-call tool exports (PagerDuty, Opsgenie, Grafana OnCall, a
shared Google calendar ...) into override drafts for one role; the caller writes them with
``store.import_overrides`` (all or nothing). ``export_ics`` writes who holds a role as a calendar
anyone can subscribe to. Parsing is ``icalendar``'s and recurrence (RRULE, RDATE, EXDATE,
RECURRENCE-ID) is ``recurring_ical_events``'s; this module only decides what the events mean.
Pure rules like ``socdesk.domain``: no clock, no storage, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar, Component, Event, vCalAddress
from pydantic import ValidationError

from socdesk.domain.duty import OverrideDraft, Role, Roster, Slot, holder_shift, schedule, to_utc
from socdesk.domain.errors import InvalidInput

LOOKBACK = timedelta(days=7)
"""Shifts that ended longer ago than this before ``now`` are not imported."""
LOOKAHEAD = timedelta(weeks=26)
"""Recurring events are expanded this far after ``now``."""
MAX_SHIFTS = 2_000
"""More shifts than this in one file is a mistake (an hourly RRULE, say), not a rota."""
PRODID = "-//socdesk//duty//EN"

# Before the name in a summary: "On-call: Bob Ruiz", "Primary - bob@example.org", "Primary – bob".
_SEPARATOR = re.compile(r"\s*:\s*|\s+[-–—]\s+")
_MARGIN = timedelta(days=2)  # wider than any UTC offset: floating times are settled after expansion


# ---------------------------------------------------------------------------------- import


def parse_ics(
    data: bytes | str, *, role: Role, roster: Roster, now: datetime, source: str = "calendar"
) -> list[OverrideDraft]:
    """Each VEVENT (DTSTART/DTEND with TZID, UTC, or floating; DURATION allowed instead of DTEND) becomes
    an override of ``role`` for the person it names. Person matched (case-insensitive) by handle, display
    name, or e-mail: try ATTENDEE (mailto: address and its CN parameter) first, then SUMMARY (whole
    summary, or the part after a colon/dash like 'On-call: Bob Ruiz' or 'Primary - bob@example.org').
    Recurring events (RRULE/RDATE, EXDATE honoured) are expanded with recurring_ical_events over the window
    [now - 7 days, now + 26 weeks]; non-recurring events ending before now - 7 days are skipped. All-day
    events (DATE values) cover whole days in UTC.

    Raises InvalidInput with a clear one-line message (that mentions ``source``) when: the data is not an
    iCalendar file / cannot be parsed; it has no VEVENT in the window; any event names nobody we know
    (the message lists every unmatched name, sorted and unique, and says nothing was imported); an event
    ends before it starts; or a DTSTART is missing. Floating times are read in the zone of the role's
    rotation if there is one, else UTC. Cancelled events (STATUS:CANCELLED) are left out.
    """
    if now.tzinfo is None:
        raise InvalidInput(f"{source}: 'now' must be an aware date-time")
    rotation = roster.rotations.get(role)
    zone = ZoneInfo(rotation.tz if rotation is not None else "UTC")
    low, high = now - LOOKBACK, now + LOOKAHEAD

    calendar = _read(data, source)
    events = [c for c in calendar.walk("VEVENT") if isinstance(c, Event)]
    if not events:
        raise InvalidInput(f"{source}: the calendar has no events (VEVENT); nothing was imported")
    for event in events:
        _check(event, zone, source)

    shifts: list[_Shift] = []
    recurring = _recurring(events)
    in_series = {id(e) for e in recurring}
    for event in events:
        if id(event) not in in_series:
            start, end = _span(event, zone, source)
            if end > low and not _cancelled(event):
                shifts.append(_Shift(event, start, end))
    shifts.extend(_expand(calendar, recurring, zone, low, high, source))
    if not shifts:
        raise InvalidInput(f"{source}: no events between {_day(low)} and {_day(high)}; nothing was imported")
    if len(shifts) > MAX_SHIFTS:
        raise InvalidInput(_too_many(source, low, high))

    people = _People(roster.people)
    matched: list[tuple[_Shift, str]] = []
    unknown: set[str] = set()
    for shift in sorted(shifts, key=lambda s: (s.start, s.end)):
        handle, label = people.match(shift.event)
        if handle is None:
            unknown.add(label)
        else:
            matched.append((shift, handle))
    if unknown:
        names = ", ".join(sorted(unknown, key=lambda n: (n.casefold(), n)))
        count = "an event names" if len(unknown) == 1 else "events name"
        raise InvalidInput(f"{source}: {count} nobody we know: {names}; nothing was imported")

    drafts: list[OverrideDraft] = []
    for shift, handle in matched:
        reason = _one_line(f"{source}: {_text(shift.event, 'SUMMARY') or 'imported'}")[:200]
        try:
            draft = OverrideDraft(
                role=role, person=handle, starts_at=shift.start, ends_at=shift.end, reason=reason
            )
        except ValidationError as error:
            problem = error.errors()[0]["msg"].removeprefix("Value error, ")
            raise InvalidInput(
                f"{source}: event {_label(shift.event)} at {_stamp(shift.start)}: {problem}; "
                "nothing was imported"
            ) from None
        drafts.append(draft)
    return drafts


@dataclass(frozen=True)
class _Shift:
    event: Component
    start: datetime
    end: datetime


def _read(data: bytes | str, source: str) -> Calendar:
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data.lstrip("\ufeff")
    if not re.match(r"\s*BEGIN:VCALENDAR\b", text, re.IGNORECASE):
        raise InvalidInput(f"{source}: not an iCalendar file (it does not start with BEGIN:VCALENDAR)")
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except Exception as error:  # icalendar reports broken files in many ways
        reason = _one_line(str(error))[:120]
        raise InvalidInput(f"{source}: not a readable iCalendar file ({reason})") from None
    if not calendars:
        raise InvalidInput(
            f"{source}: not a complete iCalendar file (a BEGIN: line has no matching END:; cut short?)"
        )
    if len(calendars) > 1:
        raise InvalidInput(f"{source}: expected one calendar (VCALENDAR), found {len(calendars)}")
    calendar = calendars[0]
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise InvalidInput(f"{source}: not an iCalendar file (no VCALENDAR)")
    return calendar


def _check(event: Component, zone: ZoneInfo, source: str) -> None:
    """The event itself (a series' first occurrence) is readable and ends after it starts."""
    if event.errors:
        name, problem = event.errors[0]
        what = _one_line(str(problem))[:80]
        raise InvalidInput(f"{source}: event {_label(event)}: cannot read {name or 'a line'} ({what})")
    _check_recurrence(event, source)
    for name in ("DTSTART", "DTEND"):
        # icalendar reads a TZID it cannot resolve (no VTIMEZONE, not an IANA name) as floating time,
        # which would shift every shift by the zone's offset without a word: refuse it instead.
        tzid = getattr(event.get(name), "params", {}).get("TZID")
        value = event.decoded(name) if name in event else None
        if tzid and isinstance(value, datetime) and value.tzinfo is None:
            raise InvalidInput(
                f"{source}: event {_label(event)}: {name} is in the time zone {str(tzid)[:60]!r}, which the"
                " calendar does not define (VTIMEZONE) and is not an IANA name; nothing was imported"
            )
    _span(event, zone, source)


def _check_recurrence(event: Component, source: str) -> None:
    """Refuse a rule no rota has before expanding it: expanding one that repeats every minute (or an
    all-day event every hour) takes recurring_ical_events minutes to hours before the shift cap stops it."""
    rules = event.get("RRULE")
    start = event.decoded("DTSTART") if "DTSTART" in event else None
    all_day = isinstance(start, date) and not isinstance(start, datetime)
    for rule in rules if isinstance(rules, list) else [] if rules is None else [rules]:
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        if freq in ("SECONDLY", "MINUTELY") or (all_day and freq == "HOURLY"):
            what = "an all-day event" if all_day else "a shift"
            raise InvalidInput(
                f"{source}: event {_label(event)}: RRULE FREQ={freq} repeats {what} more often than any rota"
                " does (shifts at most hourly, all-day events at most daily); nothing was imported"
            )


def _span(event: Component, zone: ZoneInfo, source: str) -> tuple[datetime, datetime]:
    """When the event starts and ends, in UTC."""
    if "DTSTART" not in event:
        raise InvalidInput(f"{source}: event {_label(event)} has no start (DTSTART)")
    raw_start = event.decoded("DTSTART")
    start = _instant(raw_start, zone)
    if "DTEND" in event:
        end = _instant(event.decoded("DTEND"), zone)
    elif "DURATION" in event:
        length = event.decoded("DURATION")
        if not isinstance(length, timedelta):
            raise InvalidInput(f"{source}: event {_label(event)} has a DURATION that is not a length of time")
        end = _after(raw_start, length, zone)
    elif isinstance(raw_start, date) and not isinstance(raw_start, datetime):
        end = start + timedelta(days=1)  # an all-day event without an end lasts the day (RFC 5545)
    else:
        raise InvalidInput(f"{source}: event {_label(event)} has no end (DTEND or DURATION)")
    if end < start:
        raise InvalidInput(
            f"{source}: event {_label(event)} ends ({_stamp(end)}) before it starts ({_stamp(start)})"
        )
    if end == start:
        raise InvalidInput(f"{source}: event {_label(event)} ends the moment it starts ({_stamp(start)})")
    return start, end


def _instant(value: object, zone: ZoneInfo) -> datetime:
    """A DATE (midnight UTC), floating date-time (wall time in ``zone``) or aware date-time, in UTC."""
    if isinstance(value, datetime):
        return to_utc(value, zone) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    raise InvalidInput(f"{value!r} is not a date or a date-time")


def _after(start: object, length: timedelta, zone: ZoneInfo) -> datetime:
    """``start + length`` as RFC 5545 means it: whole days on the wall clock, the rest exact."""
    if isinstance(start, datetime):
        wall = start + timedelta(days=length.days)  # same tzinfo: wall-clock arithmetic
        return _instant(wall, zone) + (length - timedelta(days=length.days))
    return _instant(start, zone) + length


def _recurring(events: list[Event]) -> list[Event]:
    """The events that belong to a series: with RRULE or RDATE, or modifying one (RECURRENCE-ID)."""
    series = {
        str(e.get("UID", "")) for e in events if any(key in e for key in ("RRULE", "RDATE", "RECURRENCE-ID"))
    }
    return [
        e
        for e in events
        if any(key in e for key in ("RRULE", "RDATE", "RECURRENCE-ID"))
        or ("UID" in e and str(e["UID"]) in series)
    ]


def _expand(
    calendar: Calendar, events: list[Event], zone: ZoneInfo, low: datetime, high: datetime, source: str
) -> Iterator[_Shift]:
    """The occurrences of the recurring events that overlap ``[low, high)``."""
    if not events:
        return
    series = Calendar()
    for key, value in calendar.items():
        series[key] = value  # X-WR-TIMEZONE among them: recurring_ical_events honours it
    for component in calendar.subcomponents:
        if component.name == "VTIMEZONE":
            series.add_component(component)
    for event in events:
        series.add_component(event)
    found = 0
    try:
        for occurrence in recurring_ical_events.of(series).after(low - _MARGIN):
            start, end = _span(occurrence, zone, source)
            if start >= high + _MARGIN:
                break  # occurrences come in order of start
            if start < high and end > low and not _cancelled(occurrence):
                found += 1
                if found > MAX_SHIFTS:
                    raise InvalidInput(_too_many(source, low, high))
                yield _Shift(occurrence, start, end)
    except InvalidInput:
        raise
    except Exception as error:  # recurring_ical_events' InvalidCalendar and dateutil's ValueErrors
        raise InvalidInput(
            f"{source}: cannot expand the recurring events ({_one_line(str(error))[:120]})"
        ) from None


def _too_many(source: str, low: datetime, high: datetime) -> str:
    return (
        f"{source}: more than {MAX_SHIFTS} shifts between {_day(low)} and {_day(high)}; nothing was imported"
    )


def _cancelled(event: Component) -> bool:
    return _text(event, "STATUS").upper() == "CANCELLED"


class _People:
    """Who a calendar's names and addresses mean: handle first, then e-mail, then display name."""

    def __init__(self, people: Mapping[str, object]) -> None:
        self.by_handle: dict[str, set[str]] = {}
        self.by_email: dict[str, set[str]] = {}
        self.by_name: dict[str, set[str]] = {}
        for handle, person in people.items():
            self.by_handle.setdefault(handle.casefold(), set()).add(handle)
            email = _email(person)
            if email:
                self.by_email.setdefault(_key(email), set()).add(handle)
            name = str(getattr(person, "name", "") or "")
            if name:
                self.by_name.setdefault(_key(name), set()).add(handle)

    def find(self, text: str) -> str | set[str] | None:
        """The handle ``text`` names; None for nobody; the handles when it could be several people."""
        key = _key(re.sub(r"^\s*mailto:", "", text, flags=re.IGNORECASE))
        if not key:
            return None
        for index in (self.by_handle, self.by_email, self.by_name):
            handles = index.get(key)
            if handles:
                return next(iter(handles)) if len(handles) == 1 else handles
        return None

    def match(self, event: Component) -> tuple[str | None, str]:
        """The handle the event names, else None and the name to report."""
        attendees = _attendees(event)
        summary = _one_line(_text(event, "SUMMARY"))
        candidates: list[str] = []
        for address, cn in attendees:
            candidates += [address, cn]
        candidates += _summary_names(summary)
        ambiguous: list[tuple[str, set[str]]] = []
        for text in candidates:
            found = self.find(text)
            if isinstance(found, str):
                return found, ""
            if isinstance(found, set):
                ambiguous.append((text, found))
        if ambiguous:
            text, handles = ambiguous[0]
            return None, f"{_one_line(text)[:60]} (could be {' or '.join(sorted(handles))})"
        if attendees:
            address, cn = attendees[0]
            return None, _one_line(cn or address)[:60]
        if summary:
            return None, _name_part(summary)[:60]
        return None, f"an event with no SUMMARY or ATTENDEE ({_label(event)})"


def _email(person: object) -> str | None:
    email = getattr(person, "email", None)
    return email.strip() if isinstance(email, str) and email.strip() else None


def _attendees(event: Component) -> list[tuple[str, str]]:
    """(mailto address, CN) of each ATTENDEE, in order (ORGANIZER is not who is on call)."""
    raw = event.get("ATTENDEE")
    values = raw if isinstance(raw, list) else [] if raw is None else [raw]
    found: list[tuple[str, str]] = []
    for value in values:
        address = re.sub(r"^mailto:", "", str(value).strip(), flags=re.IGNORECASE)
        params: Mapping[str, object] = getattr(value, "params", {})
        found.append((address, str(params.get("CN", "")).strip()))
    return found


def _summary_names(summary: str) -> list[str]:
    """The whole summary, then what follows each colon or spaced dash, then what comes before them."""
    cuts = list(_SEPARATOR.finditer(summary))
    after = [summary[m.end() :] for m in cuts]
    before = [summary[: m.start()] for m in reversed(cuts)]
    return [s.strip() for s in [summary, *after, *before] if s.strip()]


def _name_part(summary: str) -> str:
    """Who a summary names, for a message: what follows its last colon or spaced dash."""
    cuts = list(_SEPARATOR.finditer(summary))
    return summary[cuts[-1].end() :].strip() or summary if cuts else summary


def _key(text: str) -> str:
    return " ".join(text.split()).strip(" \"'<>()[]").casefold()


def _text(component: Component, name: str) -> str:
    value = component.get(name)
    return "" if value is None else str(value)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _label(event: Component) -> str:
    summary = _one_line(_text(event, "SUMMARY"))[:60]
    uid = _one_line(_text(event, "UID"))[:60]
    if summary and uid:
        return f"{summary!r} (UID {uid})"
    return repr(summary) if summary else f"UID {uid}" if uid else "without SUMMARY or UID"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


# ---------------------------------------------------------------------------------- export


def export_ics(roster: Roster, *, role: Role, start: datetime, weeks: int = 4) -> bytes:
    """A valid VCALENDAR (VERSION 2.0, PRODID '-//socdesk//duty//EN') with one VEVENT per shift of
    ``role`` from the shift running at ``start`` (exported whole) to ``start + weeks``, gaps skipped.

    Each event: a UID stable per (role, shift start) such as 'socdesk-engineer-20260302T090000Z@socdesk',
    DTSTAMP (``start``: the export reads no clock), DTSTART/DTEND in UTC, SUMMARY '<Role title>: <Name>'
    such as 'On-call analyst: Bob Ruiz', an ATTENDEE mailto: with CN when the person has an e-mail, and
    DESCRIPTION 'rotation' or 'override: <reason>'.
    """
    if start.tzinfo is None:
        raise InvalidInput("export: the start must be an aware date-time (with a time zone)")
    if weeks < 1:
        raise InvalidInput(f"export: weeks must be at least 1 (got {weeks})")
    start = start.astimezone(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-CALNAME", f"socdesk {role.title}")
    calendar.add("X-WR-TIMEZONE", "UTC")
    reasons = {o.id: str(getattr(o, "reason", "") or "") for o in roster.overrides}
    # The running shift is exported whole, from its real start: the same UID on every export, so a
    # calendar app updates its event instead of adding a new one each time.
    running = holder_shift(roster, role, start)
    begin = min(running.start, start) if running.person is not None else start
    for slot in schedule(roster, role, begin, start + timedelta(weeks=weeks)):
        if slot.person is not None:
            calendar.add_component(_event(roster, slot, start, reasons))
    return bytes(calendar.to_ical())


def _event(roster: Roster, slot: Slot, stamp: datetime, reasons: Mapping[int, str]) -> Event:
    assert slot.person is not None
    begin, end = slot.start.astimezone(UTC), slot.end.astimezone(UTC)
    title = slot.role.title
    event = Event()
    event.add("UID", f"socdesk-{slot.role.value}-{begin:%Y%m%dT%H%M%SZ}@socdesk")
    event.add("DTSTAMP", stamp)
    event.add("DTSTART", begin)
    event.add("DTEND", end)
    event.add("SUMMARY", f"{title[:1].upper()}{title[1:]}: {roster.name(slot.person)}")
    if slot.override_id is not None:
        reason = reasons.get(slot.override_id, "")
        event.add("DESCRIPTION", f"override: {reason}" if reason else "override")
    else:
        event.add("DESCRIPTION", "rotation")
    email = _email(roster.people.get(slot.person))
    if email is not None:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["CN"] = roster.name(slot.person)
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        event.add("ATTENDEE", attendee)
    event.add("TRANSP", "OPAQUE")
    return event
