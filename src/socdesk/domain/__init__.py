"""Pure domain: models and rules. Imports neither textual nor sqlite3."""

from socdesk.domain.clock import Clock, FixedClock, SystemClock
from socdesk.domain.errors import Conflict, InvalidInput, NotFound, SocdeskError, WipLimitReached
from socdesk.domain.models import (
    DEFAULT_COLUMNS,
    Card,
    CardDraft,
    CardPatch,
    Column,
    Event,
    Kind,
    Person,
    Priority,
    Stage,
    WorkType,
)
from socdesk.domain.snapshot import Snapshot
from socdesk.domain.wip import WipOverride, check_wip

__all__ = [
    "DEFAULT_COLUMNS",
    "Card",
    "CardDraft",
    "CardPatch",
    "Clock",
    "Column",
    "Conflict",
    "Event",
    "FixedClock",
    "InvalidInput",
    "Kind",
    "NotFound",
    "Person",
    "Priority",
    "Snapshot",
    "SocdeskError",
    "Stage",
    "SystemClock",
    "WipLimitReached",
    "WipOverride",
    "WorkType",
    "check_wip",
]
