"""Who is on duty: rotations, overrides and handovers. Pure rules; time comes from the caller.

Shifts are computed in the rotation's local wall-clock time and only then converted to UTC, so a
"Monday 09:00 Europe/London" handover stays at 09:00 on the wall across both DST changes. A local
time that does not exist (inside a spring-forward gap) is taken as the same instant the clock jumps
to; a repeated one (autumn) as its first occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from socdesk.domain.errors import InvalidInput
from socdesk.domain.models import (
    Card,
    Column,
    Handle,
    Person,
    Stage,
    UtcDatetime,
    WorkType,
    _Model,
    _no_control_chars,
    _no_control_chars_but_whitespace,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_SHIFT_HOURS = 28 * 24
HANDOVER_HORIZON = timedelta(days=90)  # how far ahead "the next handover" is looked for
NOTE_MAX = 5_000
REASON_MAX = 200


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


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/London)") from None
    return name


TimeZoneName = Annotated[str, AfterValidator(_zone)]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=REASON_MAX), AfterValidator(_no_control_chars)
]
NoteText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NOTE_MAX),
    AfterValidator(_no_control_chars_but_whitespace),
]


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


def parse_moment(text: str, *, zone: str | None = None) -> datetime:
    """An ISO date-time; without an offset it is read in ``zone`` (default UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not an ISO date-time (such as 2026-11-23T09:00 or ...+01:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone) if zone else UTC)
    return moment.astimezone(UTC)


# ---------------------------------------------------------------------------------- models


class Rotation(_Model):
    """Who takes turns in a role, how long a shift is, and when the handover happens (local time)."""

    role: Role
    members: tuple[Handle, ...] = Field(min_length=1, max_length=100)
    shift_hours: int = Field(ge=1, le=MAX_SHIFT_HOURS)
    handover_weekday: int | None = Field(default=None, ge=0, le=6)
    handover_time: time
    tz: TimeZoneName
    start_date: date
    version: int = Field(default=1, ge=1)

    @field_validator("members")
    @classmethod
    def _distinct(cls, members: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({m for m in members if members.count(m) > 1})
        if repeated:
            raise ValueError(f"a member is listed twice: {', '.join(repeated)}")
        return members

    @field_validator("handover_time")
    @classmethod
    def _naive(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("the handover time is local wall-clock time: give it without an offset")
        return value.replace(second=0, microsecond=0)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def length(self) -> timedelta:
        return timedelta(hours=self.shift_hours)

    @property
    def length_text(self) -> str:
        return format_length(self.shift_hours)

    @property
    def handover_text(self) -> str:
        return format_handover(self.handover_weekday, self.handover_time)

    def anchor(self) -> datetime:
        """The first handover, as naive local wall-clock time: the start date, moved on to the weekday."""
        day = self.start_date
        if self.handover_weekday is not None:
            day += timedelta(days=(self.handover_weekday - day.weekday()) % 7)
        return datetime.combine(day, self.handover_time)

    def shift_start(self, index: int) -> datetime:
        """When shift ``index`` (0 = the first) starts, in UTC."""
        return to_utc(self.anchor() + index * self.length, self.zone)

    def shift_index(self, at: datetime) -> int | None:
        """The shift running at ``at``; None before the rotation's first handover."""
        local = at.astimezone(self.zone).replace(tzinfo=None)
        index = (local - self.anchor()) // self.length
        # The estimate is off by one only around a DST change: settle it on real instants.
        while self.shift_start(index + 1) <= at:
            index += 1
        while index >= 0 and self.shift_start(index) > at:
            index -= 1
        return index if index >= 0 else None

    def member(self, index: int) -> str:
        return self.members[index % len(self.members)]


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time in ``zone`` as a UTC instant (gaps jump forward, folds take the first)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


class OverrideDraft(_Model):
    """Someone covers a role from ``starts_at`` to ``ends_at``, whatever the rotation says."""

    role: Role
    person: Handle
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    reason: Reason = ""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("an override must end after it starts")
        if self.ends_at - self.starts_at > timedelta(days=366):
            raise ValueError("an override may last at most a year")
        return self


class Override(OverrideDraft):
    id: int = Field(ge=1)
    swap_id: int | None = None
    """The other half of a swap: removing one removes both."""
    created_at: UtcDatetime
    created_by: str
    version: int = Field(default=1, ge=1)


class NoteCard(_Model):
    """A card as it stood when a handover note was written."""

    id: int
    title: str
    type: WorkType
    column: str
    assignee: str | None = None


class HandoverNote(_Model):
    id: int = Field(ge=1)
    role: Role
    handover_at: UtcDatetime
    """The handover this note belongs to."""
    author: str
    text: NoteText
    cards: tuple[NoteCard, ...] = ()
    created_at: UtcDatetime


def note_cards(cards: Iterable[Card], columns: Sequence[Column]) -> tuple[NoteCard, ...]:
    """What a handover note lists by itself: open unplanned work, and everything being worked on."""
    stage = {c.name: c.stage for c in columns}
    picked = [
        card
        for card in cards
        if stage.get(card.column) is not Stage.DONE
        and (card.type is WorkType.UNPLANNED or stage.get(card.column) is Stage.ACTIVE)
    ]
    return tuple(
        NoteCard(id=c.id, title=c.title, type=c.type, column=c.column, assignee=c.assignee) for c in picked
    )


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

    people: Mapping[str, Person]
    rotations: Mapping[Role, Rotation]
    overrides: Sequence[Override]

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
                return self.rotations[role].zone
        return ZoneInfo("UTC")


def _covering(overrides: Iterable[Override], role: Role, at: datetime) -> Override | None:
    """The newest override of ``role`` running at ``at`` (newest = created last)."""
    best: Override | None = None
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
        first = rotation.shift_index(start)
        index = 0 if first is None else first + 1
        while (moment := rotation.shift_start(index)) < end:
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
            index_at = rotation.shift_index(a) if rotation is not None else None
            person = rotation.member(index_at) if rotation is not None and index_at is not None else None
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


def swap_overrides(
    roster: Roster, role: Role, first_at: datetime, second_at: datetime, reason: str = ""
) -> tuple[OverrideDraft, OverrideDraft]:
    """Two people trade shifts: each covers the other's (the shifts running at the two moments)."""
    first = holder_shift(roster, role, first_at)
    second = holder_shift(roster, role, second_at)
    if first.person is None or second.person is None:
        raise InvalidInput("a swap needs someone on each of the two shifts")
    if first.person == second.person:
        raise InvalidInput(f"both shifts are {roster.name(first.person)}'s: nothing to swap")
    why = reason or f"swap: {first.person} <-> {second.person}"
    return (
        OverrideDraft(role=role, person=second.person, starts_at=first.start, ends_at=first.end, reason=why),
        OverrideDraft(role=role, person=first.person, starts_at=second.start, ends_at=second.end, reason=why),
    )


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
