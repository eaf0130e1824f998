"""The WIP rule, shared by the CLI and the console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socdesk.domain.errors import InvalidInput, WipLimitReached
from socdesk.domain.models import Column


@dataclass(frozen=True)
class WipOverride:
    """A forced entry into a full column: what the limit was and why it was overridden."""

    column: str
    count: int
    limit: int
    reason: str

    def as_meta(self) -> dict[str, Any]:
        return {
            "wip_override": {"column": self.column, "count": self.count, "limit": self.limit},
            "reason": self.reason,
        }


def check_wip(
    column: Column, count: int, *, force: bool = False, reason: str | None = None
) -> WipOverride | None:
    """Decide whether one more card may enter ``column``, which already holds ``count`` others.

    Returns None when the column has room, a ``WipOverride`` when it is full but the entry is
    forced with a reason, and raises ``WipLimitReached`` when it is full and not forced.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if column.wip_limit is None or count < column.wip_limit:
        return None
    if not force:
        raise WipLimitReached(column.name, count, column.wip_limit)
    why = (reason or "").strip()
    if not why:
        raise InvalidInput(
            f"moving into {column.name} past its WIP limit ({count}/{column.wip_limit}) needs a reason"
        )
    return WipOverride(column=column.name, count=count, limit=column.wip_limit, reason=why)


WIP_LIMIT_MAX = 2**63 - 1  # the largest number SQLite stores


def parse_wip_limit(text: str) -> int | None:
    """A WIP limit as people type it: ``none`` (or empty, ``-``) for no limit, else a whole number >= 1."""
    value = text.strip().casefold()
    if value in {"", "none", "-"}:
        return None
    try:
        limit = int(value)
    except ValueError:
        raise InvalidInput(f"expected a whole number or 'none', got {text.strip()!r}") from None
    if limit < 1:
        raise InvalidInput(f"a WIP limit is at least 1 (or 'none'), got {limit}")
    if limit > WIP_LIMIT_MAX:
        raise InvalidInput(f"a WIP limit is at most {WIP_LIMIT_MAX} (or 'none'), got {limit}")
    return limit
