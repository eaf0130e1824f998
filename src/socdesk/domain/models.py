"""The board's vocabulary as pydantic models: validation lives here, storage does not."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
HANDLE_PATTERN = r"^[a-z0-9._-]{1,32}$"


class WorkType(StrEnum):
    """The four kinds of work a SOC reviews its mix by. Required on every card."""

    BUSINESS = "business"
    OPERATIONS = "operations"
    ENGINEERING = "engineering"
    UNPLANNED = "unplanned"

    @property
    def letter(self) -> str:
        """One letter that reads on monochrome terminals: B, O, E, U."""
        return self.value[0].upper()


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for critical ... 3 for low: sort ascending for most urgent first."""
        return list(Priority).index(self)


class Kind(StrEnum):
    TASK = "task"
    DETECTION = "detection"


class Stage(StrEnum):
    """Where a column sits in the flow: waiting, being worked on, or finished."""

    QUEUE = "queue"
    ACTIVE = "active"
    DONE = "done"


def _no_control_chars(value: str) -> str:
    for ch in value:
        if unicodedata.category(ch) == "Cc":
            raise ValueError(f"must not contain control characters (found {ch!r})")
    return value


def _no_control_chars_but_whitespace(value: str) -> str:
    for ch in value:
        if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t":
            raise ValueError(f"must not contain control characters (found {ch!r})")
    return value


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX),
    AfterValidator(_no_control_chars),
]
Description = Annotated[
    str, StringConstraints(max_length=DESCRIPTION_MAX), AfterValidator(_no_control_chars_but_whitespace)
]
Handle = Annotated[str, StringConstraints(pattern=HANDLE_PATTERN)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_no_control_chars),
]
ColumnName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    AfterValidator(_no_control_chars),
]
Label = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[^,\s]+$"),
]


def _unique(labels: tuple[str, ...]) -> tuple[str, ...]:
    # Labels are a set with a stable order: drop repeats, keep the first.
    return tuple(dict.fromkeys(labels))


Labels = Annotated[tuple[Label, ...], AfterValidator(_unique)]
WipLimit = Annotated[int, Field(ge=1)]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False, defer_build=True)


Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]


class Person(_Model):
    handle: Handle
    name: Name
    email: Email | None = None
    roles: tuple[str, ...] = ()
    version: int = Field(default=1, ge=1)


class Column(_Model):
    name: ColumnName
    position: int = Field(ge=0)
    wip_limit: WipLimit | None = None
    stage: Stage = Stage.QUEUE
    version: int = Field(default=1, ge=1)


DEFAULT_COLUMNS: tuple[Column, ...] = (
    Column(name="Backlog", position=0, wip_limit=None, stage=Stage.QUEUE),
    Column(name="To Do", position=1, wip_limit=8, stage=Stage.QUEUE),
    Column(name="In Progress", position=2, wip_limit=4, stage=Stage.ACTIVE),
    Column(name="Review", position=3, wip_limit=3, stage=Stage.ACTIVE),
    Column(name="Done", position=4, wip_limit=None, stage=Stage.DONE),
)


class CardFields(_Model):
    """The fields a person chooses for a card (everything but identity, place and clock)."""

    title: Title
    description: Description = ""
    type: WorkType
    priority: Priority = Priority.MEDIUM
    kind: Kind = Kind.TASK
    assignee: Handle | None = None
    security: bool = False
    labels: Labels = ()


class CardDraft(CardFields):
    """A new card: its fields plus the column it starts in (default: the first column)."""

    column: ColumnName | None = None


class CardPatch(_Model):
    """A partial edit: only the fields explicitly set are changed (``assignee=None`` clears it)."""

    title: Title | None = None
    description: Description | None = None
    type: WorkType | None = None
    priority: Priority | None = None
    kind: Kind | None = None
    assignee: Handle | None = None
    security: bool | None = None
    labels: Labels | None = None

    def changes(self) -> dict[str, Any]:
        """The fields the caller set, by name (``None`` is a value only for assignee)."""
        return {
            name: getattr(self, name)
            for name in self.model_fields_set
            if getattr(self, name) is not None or name == "assignee"
        }


class Card(CardFields):
    id: int = Field(ge=1)
    column: ColumnName
    position: int = Field(ge=0)
    created_at: UtcDatetime
    updated_at: UtcDatetime
    column_since: UtcDatetime
    """When the card entered the column it is in (its age there is measured from this)."""
    started_at: UtcDatetime | None = None
    done_at: UtcDatetime | None = None
    version: int = Field(default=1, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _column_since_defaults_to_creation(cls, data: Any) -> Any:
        # Exports written before cards knew when they entered their column: count from creation.
        if isinstance(data, dict) and data.get("column_since") is None and "created_at" in data:
            return {**data, "column_since": data["created_at"]}
        return data


class Event(_Model):
    """One entry of the append-only audit trail."""

    id: int = Field(ge=1)
    at: UtcDatetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
