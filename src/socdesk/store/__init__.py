"""The store: schema, migrations, transactions and the change feed. Imports no textual.

``Store`` and friends load on first use (PEP 562): ``socdesk now`` opens the file through
``socdesk.store.connection`` without paying for pydantic.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socdesk.domain.clock import Clock
    from socdesk.store.backup import BackupSummary
    from socdesk.store.base import ChangeFeed, Store
    from socdesk.store.errors import StoreBusy, StoreReadOnly, StoreUnavailable

_HOMES = {
    "ChangeFeed": "base",
    "Store": "base",
    "StoreBusy": "errors",
    "StoreReadOnly": "errors",
    "StoreUnavailable": "errors",
}


def open_store(
    path: Path,
    *,
    actor: str,
    clock: Clock | None = None,
    create: bool = False,
    read_only: bool = False,
) -> Store:
    """Open (and, with ``create``, create or upgrade) the database at ``path``.

    ``read_only`` refuses every write (``StoreReadOnly``), for consoles that only show: a wallboard.
    """
    from socdesk.store.sqlite_store import SqliteStore

    return SqliteStore(path, actor=actor, clock=clock, create=create, read_only=read_only)


def restore_backup(source: Path, target: Path, *, actor: str, clock: Clock | None = None) -> BackupSummary:
    """Restore the backup ``source`` as the new database ``target`` (absent or empty): all or nothing."""
    from socdesk.store.backup import restore_backup as restore

    return restore(source, target, actor=actor, clock=clock)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'socdesk.store' has no attribute {name!r}")
    return getattr(import_module(f"socdesk.store.{home}"), name)


__all__ = [
    "ChangeFeed",
    "Store",
    "StoreBusy",
    "StoreReadOnly",
    "StoreUnavailable",
    "open_store",
    "restore_backup",
]
