"""Errors about the database file itself (as opposed to the data in it)."""

from __future__ import annotations

from socdesk.domain.errors import SocdeskError


class StoreUnavailable(SocdeskError):
    """The file cannot be used: missing, not SQLite, read-only, from a newer socdesk, ..."""


class StoreBusy(SocdeskError):
    """Another writer held the database for longer than we are prepared to wait."""


class StoreReadOnly(SocdeskError):
    """The store was opened read-only (a wallboard): every write is refused before it starts."""
