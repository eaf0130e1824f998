"""The change feed: notice commits by any process on the shared file and hand out the new events.

``PRAGMA data_version`` on a connection that never holds a transaction open is the source of truth:
it changes exactly when another connection committed. watchfiles on the database's directory only
wakes us early; a timeout poll covers whatever the watcher misses (network filesystems, a dead watch).
Reading never changes ``data_version``, so our own reads cannot wake us in a loop.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import watchfiles

from socdesk.domain.models import Event
from socdesk.store import rows
from socdesk.store.base import AsyncStopSignal, StopSignal
from socdesk.store.connection import BUSY_TIMEOUT_MS

log = logging.getLogger(__name__)

# watchfiles: yield 10 ms after the last change, and never hold a burst for more than 50 ms.
WATCH_STEP_MS = 10
WATCH_DEBOUNCE_MS = 50


class SqliteChangeFeed:
    def __init__(self, path: Path, *, fallback_poll: float = 0.1, after_id: int | None = None) -> None:
        if fallback_poll <= 0:
            raise ValueError("fallback_poll must be positive")
        self._path = Path(path)
        self._fallback_ms = max(1, int(fallback_poll * 1000))
        self._conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._data_version = self._read_data_version()
        if after_id is None:
            after_id = int(self._conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])
        self._last_seen = after_id
        self._names = {self._path.name, f"{self._path.name}-wal"}

    @property
    def last_seen(self) -> int:
        return self._last_seen

    def _read_data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def poll(self) -> list[Event]:
        version = self._read_data_version()
        if version == self._data_version:
            return []
        self._data_version = version
        found = [
            rows.event(r)
            for r in self._conn.execute("SELECT * FROM events WHERE id > ? ORDER BY id", (self._last_seen,))
        ]
        if found:
            self._last_seen = found[-1].id
        return found

    def _touches_db(self, changes: set[tuple[watchfiles.Change, str]]) -> bool:
        return any(Path(changed).name in self._names for _change, changed in changes)

    def _watch_kwargs(self) -> dict[str, object]:
        # No filter: every wake-up (any file in the directory, or the timeout) polls, so the
        # fallback interval bounds the delay even when unrelated files keep the watcher busy.
        return {
            "watch_filter": None,
            "debounce": WATCH_DEBOUNCE_MS,
            "step": WATCH_STEP_MS,
            "rust_timeout": self._fallback_ms,
            "yield_on_timeout": True,
            "recursive": False,
        }

    def watch(self, stop: StopSignal | None = None) -> Iterator[list[Event]]:
        if found := self.poll():
            yield found
        try:
            for changes in watchfiles.watch(
                self._path.parent,
                stop_event=stop,
                raise_interrupt=False,
                **self._watch_kwargs(),  # type: ignore[arg-type]
            ):
                if found := self.poll():
                    yield found
                if self._touches_db(changes):
                    # A write seen by the watcher may become visible a moment after the wake-up (or be
                    # followed by one the same wake-up absorbed): look once more, one step later.
                    time.sleep(WATCH_STEP_MS / 1000)
                    if found := self.poll():
                        yield found
        except (OSError, RuntimeError) as error:  # the watch died: the poll alone still works
            log.warning(
                "file watch on %s failed (%s); polling every %d ms",
                self._path.parent,
                error,
                self._fallback_ms,
            )
            while stop is None or not stop.is_set():
                time.sleep(self._fallback_ms / 1000)
                if found := self.poll():
                    yield found

    async def awatch(self, stop: AsyncStopSignal | None = None) -> AsyncIterator[list[Event]]:
        import asyncio

        if found := self.poll():
            yield found
        try:
            async for changes in watchfiles.awatch(
                self._path.parent,
                stop_event=stop,
                **self._watch_kwargs(),  # type: ignore[arg-type]
            ):
                if found := self.poll():
                    yield found
                if self._touches_db(changes):
                    await asyncio.sleep(WATCH_STEP_MS / 1000)
                    if found := self.poll():
                        yield found
        except (OSError, RuntimeError) as error:
            log.warning(
                "file watch on %s failed (%s); polling every %d ms",
                self._path.parent,
                error,
                self._fallback_ms,
            )
            while stop is None or not stop.is_set():
                await asyncio.sleep(self._fallback_ms / 1000)
                if found := self.poll():
                    yield found

    def close(self) -> None:
        self._conn.close()
