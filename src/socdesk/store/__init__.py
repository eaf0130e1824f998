"""The store: schema, migrations, transactions and the change feed. Imports no textual."""

from __future__ import annotations

from pathlib import Path

from socdesk.domain.clock import Clock
from socdesk.store.base import ChangeFeed, Store
from socdesk.store.errors import StoreBusy, StoreUnavailable


def open_store(path: Path, *, actor: str, clock: Clock | None = None, create: bool = False) -> Store:
    """Open (and, with ``create``, create or upgrade) the database at ``path``."""
    from socdesk.store.sqlite_store import SqliteStore

    return SqliteStore(path, actor=actor, clock=clock, create=create)


__all__ = ["ChangeFeed", "Store", "StoreBusy", "StoreUnavailable", "open_store"]
