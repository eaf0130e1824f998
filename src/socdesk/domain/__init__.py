"""Pure domain: models and rules. Imports neither textual nor sqlite3.

Names are loaded on first use (PEP 562), so that importing one stdlib-only module of this package,
such as ``socdesk.domain.rota`` for ``socdesk now``, does not pay for pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_HOMES = {
    "Clock": "clock",
    "FixedClock": "clock",
    "SystemClock": "clock",
    "Conflict": "errors",
    "InvalidInput": "errors",
    "NotFound": "errors",
    "SocdeskError": "errors",
    "WipLimitReached": "errors",
    "DEFAULT_COLUMNS": "models",
    "Card": "models",
    "CardDraft": "models",
    "CardPatch": "models",
    "Column": "models",
    "Event": "models",
    "Kind": "models",
    "Person": "models",
    "Priority": "models",
    "Stage": "models",
    "WorkType": "models",
    "Snapshot": "snapshot",
    "WipOverride": "wip",
    "check_wip": "wip",
}

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'socdesk.domain' has no attribute {name!r}")
    return getattr(import_module(f"socdesk.domain.{home}"), name)


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
