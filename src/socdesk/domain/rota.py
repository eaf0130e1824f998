"""Who is on duty when: the schedule rules, in the standard library only.

Shifts are computed in the rotation's local wall-clock time and only then converted to UTC, so a
"Monday 09:00 Europe/London" handover stays at 09:00 on the wall across both DST changes. A local
time that does not exist (inside a spring-forward gap) is taken as the instant the clock jumps to;
a repeated one (autumn) as its first occurrence.

This module imports no pydantic: ``socdesk now`` runs in shell prompts and must start in well under
0.2 s. It works on anything shaped like a rotation or an override (the validated pydantic models in
``socdesk.domain.duty``, or the plain rows ``socdesk now`` reads).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from socdesk.domain.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_SHIFT_HOURS = 28 * 24
HANDOVER_HORIZON = timedelta(days=90)  # how far ahead "the next handover" is looked for


class Role(StrEnum):
    ENGINEER = "engineer"
    ANALYST = "analyst"

    @property
    def title(self) -> str:  # type: ignore[override]
        return "on-duty engineer" if self is Role.ENGINEER else "on-call analyst"

    @property
    def strip_label(self) -> str:
        return "On duty" if self is Role.ENGINEER else "On call"

    @property
    def missing(self) -> str:
        """What the duty strip shows, as an error, when nobody holds the role."""
        return f"NO {self.title.upper()}"


class RotationLike(Protocol):
    @property
    def members(self) -> tuple[str, ...]: ...
    @property
    def shift_hours(self) -> int: ...
    @property
    def handover_weekday(self) -> int | None: ...
    @property
    def handover_time(self) -> time: ...
    @property
    def tz(self) -> str: ...
    @property
    def start_date(self) -> date: ...


class OverrideLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def role(self) -> Role: ...
    @property
    def person(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...


class PersonLike(Protocol):
    @property
    def name(self) -> str: ...


# ---------------------------------------------------------------------------------- parsing


def parse_length(text: str) -> int:
    """``"7d"`` or ``"12h"`` (also ``"1w"``) as a number of hours."""
    match = re.fullmatch(r"\s*(\d+)\s*([dhw])\s*", text.lower())
    if not match:
        raise InvalidInput(f"shift length {text!r}: give a number of days or hours, such as 7d or 12h")
    hours = int(match[1]) * {"h": 1, "d": 24, "w": 168}[match[2]]
    if not 1 <= hours <= MAX_SHIFT_HOURS:
        raise InvalidInput(f"shift length {text!r}: must be between 1h and 28d")
    return hours


def format_length(hours: int) -> str:
    return f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"


def parse_handover(text: str) -> tuple[int | None, time]:
    """``"mon 09:00"`` (weekday and local time) or ``"09:00"`` (time only)."""
    match = re.fullmatch(r"\s*(?:([a-z]{3})[a-z]*\s+)?(\d{1,2}):(\d{2})\s*", text.lower())
    if not match:
        raise InvalidInput(f"handover {text!r}: give a weekday and a time, such as 'mon 09:00'")
    weekday = None
    if match[1] is not None:
        if match[1] not in WEEKDAYS:
            raise InvalidInput(f"handover {text!r}: unknown weekday {match[1]!r} (mon ... sun)")
        weekday = WEEKDAYS.index(match[1])
    hour, minute = int(match[2]), int(match[3])
    if hour > 23 or minute > 59:
        raise InvalidInput(f"handover {text!r}: not a time of day")
    return weekday, time(hour, minute)


def format_handover(weekday: int | None, at: time) -> str:
    day = f"{WEEKDAYS[weekday]} " if weekday is not None else ""
    return f"{day}{at.strftime('%H:%M')}"


# The days socdesk accepts from people. Far outside them the date arithmetic of shifts, weeks ahead and
# periods runs past what datetime holds (years 1 and 9999), so an error there would come much later.
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2999, 12, 31)


def day_problem(day: date) -> str | None:
    """Why ``day`` is refused (outside EARLIEST_DAY..LATEST_DAY), or None."""
    if EARLIEST_DAY <= day <= LATEST_DAY:
        return None
    return f"{day.isoformat()} is out of range: give a date from {EARLIEST_DAY.year} to {LATEST_DAY.year}"


def parse_moment(text: str, *, zone: str | None = None) -> datetime:
    """An ISO date-time; without an offset it is read in ``zone`` (default UTC). Refused outside the
    years socdesk accepts (``day_problem``)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not an ISO date-time (such as 2026-11-23T09:00 or ...+01:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone) if zone else UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first moment datetime holds
        raise InvalidInput(f"{text.strip()!r}: {day_problem(moment.date())}") from None
    if problem := day_problem(moment.date()):
        raise InvalidInput(f"{text.strip()!r}: {problem}")
    return moment


# ---------------------------------------------------------------------------------- shifts


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time in ``zone`` as a UTC instant (gaps jump forward, folds take the first)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def anchor(rotation: RotationLike) -> datetime:
    """The first handover, as naive local wall-clock time: the start date, moved on to the weekday."""
    day = rotation.start_date
    if rotation.handover_weekday is not None:
        day += timedelta(days=(rotation.handover_weekday - day.weekday()) % 7)
    return datetime.combine(day, rotation.handover_time)


def shift_start(rotation: RotationLike, index: int) -> datetime:
    """When shift ``index`` (0 = the first) starts, in UTC."""
    return to_utc(anchor(rotation) + index * timedelta(hours=rotation.shift_hours), ZoneInfo(rotation.tz))


def shift_index(rotation: RotationLike, at: datetime) -> int | None:
    """The shift running at ``at``; None before the rotation's first handover."""
    local = at.astimezone(ZoneInfo(rotation.tz)).replace(tzinfo=None)
    index = (local - anchor(rotation)) // timedelta(hours=rotation.shift_hours)
    # The estimate is off by one only around a DST change: settle it on real instants.
    while shift_start(rotation, index + 1) <= at:
        index += 1
    while index >= 0 and shift_start(rotation, index) > at:
        index -= 1
    return index if index >= 0 else None


def member(rotation: RotationLike, index: int) -> str:
    return rotation.members[index % len(rotation.members)]


# ---------------------------------------------------------------------------------- the schedule


@dataclass(frozen=True)
class Slot:
    """One stretch of time in which one person (or nobody) holds a role."""

    role: Role
    person: str | None
    start: datetime
    end: datetime
    override_id: int | None = None
    shift: int | None = None

    @property
    def source(self) -> Literal["rotation", "override", "gap"]:
        if self.override_id is not None:
            return "override"
        return "rotation" if self.person is not None else "gap"


@dataclass(frozen=True)
class Roster:
    """Everything duty depends on, read at one moment."""

    people: Mapping[str, PersonLike]
    rotations: Mapping[Role, RotationLike]
    overrides: Sequence[OverrideLike]

    def name(self, handle: str | None) -> str:
        if handle is None:
            return "nobody"
        person = self.people.get(handle)
        return person.name if person else handle

    def first_name(self, handle: str | None) -> str:
        return self.name(handle).split()[0] if handle else "nobody"

    @property
    def zone(self) -> ZoneInfo:
        """The team's zone for display: the engineer rotation's, else the analyst's, else UTC."""
        for role in Role:
            if role in self.rotations:
                return ZoneInfo(self.rotations[role].tz)
        return ZoneInfo("UTC")


def _covering(overrides: Iterable[OverrideLike], role: Role, at: datetime) -> OverrideLike | None:
    """The newest override of ``role`` running at ``at`` (newest = created last)."""
    best: OverrideLike | None = None
    for o in overrides:
        if o.role is role and o.starts_at <= at < o.ends_at and (best is None or o.id > best.id):
            best = o
    return best


def schedule(roster: Roster, role: Role, start: datetime, end: datetime) -> list[Slot]:
    """Who holds ``role`` from ``start`` to ``end``, as consecutive slots (gaps included)."""
    if end <= start:
        return []
    rotation = roster.rotations.get(role)
    cuts = {start, end}
    if rotation is not None:
        first = shift_index(rotation, start)
        index = 0 if first is None else first + 1
        while (moment := shift_start(rotation, index)) < end:
            if moment > start:
                cuts.add(moment)
            index += 1
    for o in roster.overrides:
        if o.role is role:
            cuts.update(t for t in (o.starts_at, o.ends_at) if start < t < end)
    ordered = sorted(cuts)
    slots: list[Slot] = []
    for a, b in pairwise(ordered):
        override = _covering(roster.overrides, role, a)
        if override is not None:
            slot = Slot(role, override.person, a, b, override_id=override.id)
        else:
            index_at = shift_index(rotation, a) if rotation is not None else None
            person = member(rotation, index_at) if rotation is not None and index_at is not None else None
            slot = Slot(role, person, a, b, shift=index_at)
        last = slots[-1] if slots else None
        if last is not None and (last.person, last.override_id, last.shift) == (
            slot.person,
            slot.override_id,
            slot.shift,
        ):
            slots[-1] = Slot(role, last.person, last.start, b, last.override_id, last.shift)
        else:
            slots.append(slot)
    return slots


def holder(roster: Roster, role: Role, at: datetime) -> Slot:
    """Who holds ``role`` at ``at``; the slot's ``end`` is the next time the role changes hands."""
    for days in (8, 32, HANDOVER_HORIZON.days):  # most rotations hand over within a week
        changes = _changes(roster, role, at, at + timedelta(days=days))
        if len(changes) > 1 or days == HANDOVER_HORIZON.days:
            return changes[0]
    raise AssertionError("unreachable")


def _changes(roster: Roster, role: Role, start: datetime, end: datetime) -> list[Slot]:
    """Like ``schedule`` but merging consecutive slots of the same person: the moments hands change."""
    merged: list[Slot] = []
    for slot in schedule(roster, role, start, end):
        if merged and merged[-1].person == slot.person:
            last = merged[-1]
            merged[-1] = Slot(role, last.person, last.start, slot.end, last.override_id, last.shift)
        else:
            merged.append(slot)
    return merged


def _containing(slots: Iterable[Slot], at: datetime) -> Slot | None:
    return next((slot for slot in slots if slot.start <= at < slot.end), None)


@dataclass(frozen=True)
class DutyStatus:
    at: datetime
    current: Mapping[Role, Slot]
    handover_at: datetime | None
    """The next moment either role changes hands (within the horizon)."""
    next: Mapping[Role, str | None]
    """Who holds each role from ``handover_at``."""


def duty_status(roster: Roster, at: datetime) -> DutyStatus:
    current = {role: holder(roster, role, at) for role in Role}
    ends = [slot.end for slot in current.values() if slot.end < at + HANDOVER_HORIZON]
    handover_at = min(ends) if ends else None
    following = (
        {role: holder(roster, role, handover_at).person for role in Role}
        if handover_at is not None
        else {role: slot.person for role, slot in current.items()}
    )
    return DutyStatus(at=at, current=current, handover_at=handover_at, next=following)


def nearest_handover(roster: Roster, role: Role, at: datetime) -> datetime:
    """The handover a note written at ``at`` belongs to: the one that ends the running stretch, or the
    one that began it if that is nearer (the incoming person writing just after taking over)."""
    reach = timedelta(hours=MAX_SHIFT_HOURS)
    stretch = _containing(_changes(roster, role, at - reach, at + reach), at)
    if stretch is None:
        return at
    if at - stretch.start < stretch.end - at and stretch.start > at - reach:
        return stretch.start
    return stretch.end


def holder_shift(roster: Roster, role: Role, at: datetime) -> Slot:
    """The whole shift (rotation shift or override) running at ``at``, not just from ``at`` on."""
    reach = timedelta(hours=MAX_SHIFT_HOURS)
    return _containing(schedule(roster, role, at - reach, at + reach), at) or Slot(role, None, at, at)


# ---------------------------------------------------------------------------------- wording


def until(moment: datetime, at: datetime) -> str:
    """``"2d 4h"``, ``"3h 20m"``, ``"12m"``, ``"now"``."""
    minutes = int((moment - at).total_seconds() // 60)
    if minutes <= 0:
        return "now"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"


def strip_parts(roster: Roster, status: DutyStatus) -> list[tuple[str, bool]]:
    """The duty strip as (text, is_error) parts, joined by `` · ``."""
    parts: list[tuple[str, bool]] = []
    for role in Role:
        slot = status.current[role]
        if slot.person is None:
            parts.append((role.missing, True))
        else:
            parts.append((f"{role.strip_label}: {roster.name(slot.person)} ({role.value})", False))
    if status.handover_at is not None:
        local = status.handover_at.astimezone(roster.zone)
        names = " / ".join(roster.first_name(status.next[role]) for role in Role)
        when = f"{local.strftime('%a %H:%M')} (in {until(status.handover_at, status.at)})"
        parts.append((f"handover {when} → {names}", False))
    return parts


def strip_text(roster: Roster, at: datetime) -> str:
    return " · ".join(text for text, _ in strip_parts(roster, duty_status(roster, at)))


def status_json(roster: Roster, status: DutyStatus) -> dict[str, object]:
    """``socdesk now --json``."""

    def who(handle: str | None) -> dict[str, object] | None:
        if handle is None:
            return None
        person = roster.people.get(handle)
        return {"handle": handle, "name": person.name if person else handle}

    return {
        "at": status.at.isoformat(),
        "engineer": who(status.current[Role.ENGINEER].person),
        "analyst": who(status.current[Role.ANALYST].person),
        "handover_at": status.handover_at.isoformat() if status.handover_at else None,
        "next": {role.value: who(status.next[role]) for role in Role},
    }
