"""The weekly SOC–engineering handshake: its agenda, topics, meetings and the meeting's log.

A meeting is a row (agenda as it was at the start, duty names, KPIs) plus an append-only log of what
people did in it: timer actions, notes, outcomes, board decisions. The clock is a fold of the log's
timer actions (``socdesk.domain.timer``), so every console computes the same remaining time.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, StringConstraints, ValidationError, model_validator

from socdesk.domain.duty import NoteText, TimeZoneName, format_handover, parse_handover, to_utc
from socdesk.domain.errors import InvalidInput
from socdesk.domain.kpis import Kpis
from socdesk.domain.models import (
    Column,
    Stage,
    UtcDatetime,
    _Model,
    _no_control_chars,
    _no_control_chars_but_whitespace,
)
from socdesk.domain.timer import Act, Action, Timer, fold
from socdesk.domain.validation import describe

MEETING_MAX_MINUTES = 60
TOPIC_MAX = 300
OUTCOME_MAX = 2_000
SCHEDULE_WINDOW = timedelta(hours=12)


class SectionKind(StrEnum):
    """What a section shows: the sitrep, the topics, the backlog, the detections, or just a timer."""

    KICKOFF = "kickoff"
    TOPICS = "topics"
    BACKLOG = "backlog"
    DETECTIONS = "detections"
    OTHER = "other"


SectionTitle = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=60),
    AfterValidator(_no_control_chars),
]
TopicText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TOPIC_MAX),
    AfterValidator(_no_control_chars),
]
OutcomeText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=OUTCOME_MAX),
    AfterValidator(_no_control_chars_but_whitespace),
]


class AgendaSection(_Model):
    title: SectionTitle
    minutes: int = Field(ge=1, le=MEETING_MAX_MINUTES)
    kind: SectionKind = SectionKind.OTHER


DEFAULT_SECTIONS = (
    AgendaSection(title="Kick-off + sitrep", minutes=5, kind=SectionKind.KICKOFF),
    AgendaSection(title="Topics discussion", minutes=30, kind=SectionKind.TOPICS),
    AgendaSection(title="Backlog refinement", minutes=15, kind=SectionKind.BACKLOG),
    AgendaSection(title="Detections review", minutes=10, kind=SectionKind.DETECTIONS),
)


class Agenda(_Model):
    """The team's meeting plan. Shared in the database; a meeting keeps the copy it started with."""

    sections: tuple[AgendaSection, ...] = Field(default=DEFAULT_SECTIONS, min_length=1, max_length=8)
    schedule: str | None = "tue 10:00"
    """Weekday and local time the meeting is booked for (``None``: not scheduled)."""
    tz: TimeZoneName = "UTC"
    topic_cap: int = Field(default=6, ge=1, le=12)
    topic_minutes: int = Field(default=2, ge=1, le=10)
    ageing_days: int = Field(default=7, ge=0, le=365)
    grace_minutes: int = Field(default=1, ge=0, le=30)
    """A start this late still counts as on time."""
    version: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _fits(self) -> Self:
        total = sum(s.minutes for s in self.sections)
        if total > MEETING_MAX_MINUTES:
            raise ValueError(f"the sections add up to {total} minutes; a handshake lasts at most an hour")
        if sum(s.kind is SectionKind.TOPICS for s in self.sections) > 1:
            raise ValueError("only one section can hold the topics")
        if self.schedule is not None:
            try:
                weekday, _ = parse_handover(self.schedule)
            except InvalidInput as error:
                raise ValueError(str(error).replace("handover", "schedule")) from None
            if weekday is None:
                raise ValueError("schedule needs a weekday and a time, such as 'tue 10:00'")
        return self

    @property
    def total(self) -> timedelta:
        return timedelta(minutes=sum(s.minutes for s in self.sections))

    def planned(self) -> list[timedelta]:
        return [timedelta(minutes=s.minutes) for s in self.sections]

    @property
    def topics_index(self) -> int | None:
        return next((i for i, s in enumerate(self.sections) if s.kind is SectionKind.TOPICS), None)

    def schedule_text(self) -> str:
        if self.schedule is None:
            return "not scheduled"
        weekday, at = parse_handover(self.schedule)
        return f"{format_handover(weekday, at)} {self.tz}"

    def scheduled_for(self, moment: datetime) -> datetime | None:
        """The booked slot nearest ``moment`` if within 12 hours of it (else: an unscheduled meeting)."""
        if self.schedule is None:
            return None
        weekday, at = parse_handover(self.schedule)
        assert weekday is not None
        zone = ZoneInfo(self.tz)
        local = moment.astimezone(zone)
        best: datetime | None = None
        for offset in (-7, 0, 7):
            day = local.date() + timedelta(days=(weekday - local.weekday()) % 7 + offset)
            slot = to_utc(datetime.combine(day, at), zone)
            if best is None or abs(slot - moment) < abs(best - moment):
                best = slot
        assert best is not None
        return best if abs(best - moment) <= SCHEDULE_WINDOW else None

    # ------------------------------------------------------------------ TOML, the form teams edit

    def to_toml(self) -> str:
        def text(value: str) -> str:
            return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string

        lines = [
            "# socdesk handshake agenda: `socdesk handshake agenda set FILE` shares it with the team.",
            f'schedule = {text(self.schedule or "")}  # weekday and local time; "" = not scheduled',
            f"tz = {text(self.tz)}",
            f"topic_cap = {self.topic_cap}",
            f"topic_minutes = {self.topic_minutes}",
            f"ageing_days = {self.ageing_days}",
            f"grace_minutes = {self.grace_minutes}",
        ]
        for section in self.sections:
            lines += ["", "[[section]]", f"title = {text(section.title)}", f"minutes = {section.minutes}"]
            lines.append(f"kind = {text(section.kind.value)}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_toml(cls, text: str, *, source: str = "agenda") -> Agenda:
        try:
            data: dict[str, Any] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InvalidInput(f"{source}: not valid TOML ({error})") from None
        if "section" in data:
            data["sections"] = data.pop("section")
        if data.get("schedule") == "":
            data["schedule"] = None
        _whole_numbers(data, source)
        return cls.from_data(data, source=source)

    @classmethod
    def from_data(cls, data: dict[str, Any], *, source: str = "agenda") -> Agenda:
        """Validate a plain mapping (a parsed file, a form's fields) or raise ``InvalidInput``."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise InvalidInput(describe(error, source)) from None


_WHOLE_NUMBERS = ("topic_cap", "topic_minutes", "ageing_days", "grace_minutes", "version")


def _whole_numbers(data: dict[str, Any], source: str) -> None:
    """A TOML file says what type a value is: ``minutes = true`` or ``"5"`` is a mistake, not 1 or 5
    (pydantic's lax mode would take them)."""
    found = [(key, data[key]) for key in _WHOLE_NUMBERS if key in data]
    sections = data.get("sections")
    if isinstance(sections, list):
        found += [
            (f"section {n} minutes", s["minutes"])
            for n, s in enumerate(sections, 1)
            if isinstance(s, dict) and "minutes" in s
        ]
    for key, value in found:
        if type(value) is not int:
            raise InvalidInput(f"invalid {source}: {key} must be a whole number, not {value!r}"[:300])


class Topic(_Model):
    id: int = Field(ge=1)
    text: TopicText
    submitted_by: str
    submitted_at: UtcDatetime
    meeting_id: int | None = None
    """The meeting that took it up; None while it waits in the intake."""
    deferred: bool = False
    """Moved to a later week: waits outside the intake until the next meeting has ended."""
    outcome: OutcomeText = ""
    card_id: int | None = None
    version: int = Field(default=1, ge=1)


class EntryKind(StrEnum):
    # the timer
    START = "start"
    NEXT = "next"
    PREV = "prev"
    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    ITEM = "item"
    END = "end"
    # what was decided and said
    NOTE = "note"
    OUTCOME = "outcome"
    TOPIC_CARD = "topic-card"
    PRIORITY = "priority"
    PULL = "pull"
    APPROVE = "approve"
    REJECT = "reject"
    TUNING = "tuning"
    PUBLISH = "publish"
    JOIN = "join"
    CARRY_OVER = "carry-over"  # a topic the meeting did not reach, handed on to the next

    @property
    def act(self) -> Act | None:
        """The timer action this entry is, if it is one."""
        return Act(self.value) if self.value in {a.value for a in Act} else None


class LogEntry(_Model):
    id: int = Field(ge=1)
    meeting_id: int = Field(ge=1)
    at: UtcDatetime
    actor: str
    kind: EntryKind
    section: int | None = None
    topic_id: int | None = None
    card_id: int | None = None
    minutes: int = 0
    text: str = ""
    data: dict[str, Any] = Field(default_factory=dict)

    def action(self) -> Action | None:
        act = self.kind.act
        return None if act is None else Action(self.at, act, minutes=self.minutes, item=self.topic_id)


class Meeting(_Model):
    id: int = Field(ge=1)
    agenda: Agenda
    scheduled_at: UtcDatetime | None = None
    started_at: UtcDatetime
    ended_at: UtcDatetime | None = None
    started_by: str
    duty: dict[str, str] = Field(default_factory=dict)
    """Who held each role when the meeting started: role → display name (or the role's missing text)."""
    kpis: Kpis
    version: int = Field(default=1, ge=1)

    @property
    def late_by(self) -> timedelta | None:
        """How late it started (zero when early or on time within the grace); None when unscheduled."""
        if self.scheduled_at is None:
            return None
        late = self.started_at - self.scheduled_at
        return late if late > timedelta(minutes=self.agenda.grace_minutes) else timedelta(0)


class MeetingRecord(_Model):
    """A meeting with its topics and log: everything its view, its status and its minutes need."""

    meeting: Meeting
    topics: tuple[Topic, ...] = ()
    log: tuple[LogEntry, ...] = ()

    def actions(self) -> list[Action]:
        return [a for a in (e.action() for e in self.log) if a is not None]

    def timer(self, now: datetime) -> Timer:
        meeting = self.meeting
        return fold(
            meeting.agenda.planned(),
            self.actions(),
            max(now, meeting.started_at),
            item_allowance=timedelta(minutes=meeting.agenda.topic_minutes),
            scheduled_at=meeting.scheduled_at,
        )

    def attendees(self) -> list[str]:
        """Everyone who joined or did something in the meeting, in order of first appearance."""
        return list(dict.fromkeys(e.actor for e in self.log))

    def entries(self, *kinds: EntryKind) -> list[LogEntry]:
        return [e for e in self.log if e.kind in kinds]

    def notes(self, section: int) -> list[LogEntry]:
        return [e for e in self.log if e.kind is EntryKind.NOTE and e.section == section]

    def topic(self, topic_id: int) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def all_topics(self) -> list[Topic]:
        """The meeting's topics, including those it did not reach and handed on (as they were then)."""
        carried = [
            Topic.model_validate({**e.data["topic"], "meeting_id": self.meeting.id})
            for e in self.log
            if e.kind is EntryKind.CARRY_OVER and "topic" in e.data
        ]
        return sorted([*self.topics, *carried], key=lambda t: t.id)


FacilitatorNote = NoteText


@dataclass(frozen=True)
class MeetingColumns:
    """The board columns the meeting works with, found by their place in the flow."""

    backlog: Column
    """Where new cards (topics, tuning) go and refinement looks: the first column."""
    todo: Column
    """Where refinement pulls the week's agreed work: the queue column after the backlog."""
    review: Column | None
    """Where detections wait for approval: the column named Review, else the last active one."""
    rework: Column | None
    """Where a rejected detection goes back to: the first active column that is not review."""
    done: Column | None


def meeting_columns(columns: Sequence[Column]) -> MeetingColumns:
    if not columns:
        raise InvalidInput("the board has no columns")
    ordered = sorted(columns, key=lambda c: c.position)
    backlog = ordered[0]
    queue = [c for c in ordered[1:] if c.stage is Stage.QUEUE]
    active = [c for c in ordered if c.stage is Stage.ACTIVE]
    review = next((c for c in ordered if c.name.casefold() == "review"), active[-1] if active else None)
    rework = next((c for c in active if c != review), None)
    done = next((c for c in ordered if c.stage is Stage.DONE), None)
    return MeetingColumns(
        backlog=backlog, todo=queue[0] if queue else backlog, review=review, rework=rework, done=done
    )
