"""Errors every layer understands. Each carries a message a person can act on."""

from __future__ import annotations

from datetime import datetime


class SocdeskError(Exception):
    """Base of every error socdesk reports to a user (exit 1 on the CLI)."""


class InvalidInput(SocdeskError):
    """A field or argument breaks a rule; nothing was written."""


class NotFound(SocdeskError):
    """An id, column name or handle that does not exist."""


class WipLimitReached(SocdeskError):
    """A move or add into a column at (or over) its WIP limit, not forced."""

    def __init__(self, column: str, count: int, limit: int) -> None:
        self.column = column
        self.count = count
        self.limit = limit
        state = "at" if count == limit else "over"
        super().__init__(f"{column} is {state} its WIP limit ({count}/{limit})")


class Conflict(SocdeskError):
    """Someone else changed the row since the caller read it; nothing was overwritten."""

    def __init__(
        self,
        entity: str,
        entity_id: str,
        expected: int,
        actual: int | None,
        by: str | None = None,
        at: datetime | None = None,
    ) -> None:
        self.entity = entity
        self.entity_id = entity_id
        self.expected = expected
        self.actual = actual
        self.by = by
        self.at = at
        what = f"{entity} {entity_id} was {'deleted' if actual is None else 'changed'}"
        who = f" by {by}" if by else ""
        when = f" at {at.strftime('%Y-%m-%d %H:%M:%S')} UTC" if at else ""
        now = "" if actual is None else f", now version {actual}"
        super().__init__(f"{what}{who}{when} (you had version {expected}{now}); reload and try again")
