"""Duty's validated records: rotations, overrides (a swap is two linked ones) and handover notes.

The schedule rules themselves (who is on when, DST-safe) are in ``socdesk.domain.rota``, which
imports no pydantic so that ``socdesk now`` starts fast; its names are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from socdesk.domain import rota
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
from socdesk.domain.rota import (
    HANDOVER_HORIZON,
    MAX_SHIFT_HOURS,
    WEEKDAYS,
    DutyStatus,
    Role,
    Slot,
    duty_status,
    format_handover,
    format_length,
    holder,
    holder_shift,
    nearest_handover,
    parse_handover,
    parse_length,
    parse_moment,
    schedule,
    status_json,
    strip_parts,
    strip_text,
    to_utc,
    until,
)
from socdesk.domain.rota import (
    Roster as RosterRule,
)

NOTE_MAX = 5_000
REASON_MAX = 200


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

    @field_validator("start_date")
    @classmethod
    def _start_in_range(cls, value: date) -> date:
        if problem := rota.day_problem(value):
            raise ValueError(problem)
        return value

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
        """The first handover, as naive local wall-clock time."""
        return rota.anchor(self)

    def shift_start(self, index: int) -> datetime:
        """When shift ``index`` (0 = the first) starts, in UTC."""
        return rota.shift_start(self, index)

    def shift_index(self, at: datetime) -> int | None:
        """The shift running at ``at``; None before the rotation's first handover."""
        return rota.shift_index(self, at)

    def member(self, index: int) -> str:
        return rota.member(self, index)


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


@dataclass(frozen=True)
class Roster(RosterRule):
    """The roster as the store reads it: validated people, rotations and overrides."""

    people: Mapping[str, Person]
    rotations: Mapping[Role, Rotation]
    overrides: Sequence[Override]


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


__all__ = [
    "HANDOVER_HORIZON",
    "MAX_SHIFT_HOURS",
    "WEEKDAYS",
    "DutyStatus",
    "HandoverNote",
    "NoteCard",
    "Override",
    "OverrideDraft",
    "Role",
    "Roster",
    "Rotation",
    "Slot",
    "duty_status",
    "format_handover",
    "format_length",
    "holder",
    "holder_shift",
    "nearest_handover",
    "note_cards",
    "parse_handover",
    "parse_length",
    "parse_moment",
    "schedule",
    "status_json",
    "strip_parts",
    "strip_text",
    "swap_overrides",
    "to_utc",
    "until",
]
