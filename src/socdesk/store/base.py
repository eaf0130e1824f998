"""The store's contract: one method per intent. Callers (CLI, console) depend on this, not on SQLite.

A second backend (PostgreSQL with LISTEN/NOTIFY) implements the same two protocols.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Protocol

from socdesk.domain.clock import Clock
from socdesk.domain.models import Card, CardDraft, CardPatch, Column, Event, Person, WorkType
from socdesk.domain.snapshot import Snapshot


class ChangeFeed(Protocol):
    """Tells a subscriber which events other writers (and this process) committed since it last looked."""

    @property
    def last_seen(self) -> int: ...

    def poll(self) -> list[Event]:
        """New events since the last call, oldest first; [] when nothing was committed."""
        ...

    def watch(self, stop: StopSignal | None = None) -> Iterator[list[Event]]:
        """Block, yielding each non-empty batch of new events, until ``stop`` is set."""
        ...

    def awatch(self, stop: AsyncStopSignal | None = None) -> AsyncIterator[list[Event]]:
        """The same for asyncio code such as the console."""
        ...

    def close(self) -> None: ...


class StopSignal(Protocol):
    def is_set(self) -> bool: ...


class AsyncStopSignal(Protocol):
    def is_set(self) -> bool: ...

    async def wait(self) -> bool: ...


class Store(Protocol):
    """Every read and write socdesk makes. Writes validate, check versions and log an event atomically."""

    actor: str
    clock: Clock

    @property
    def location(self) -> Path: ...

    # reads
    def list_columns(self) -> list[Column]: ...
    def list_people(self) -> list[Person]: ...
    def list_cards(
        self, *, column: str | None = None, type: WorkType | None = None, assignee: str | None = None
    ) -> list[Card]: ...
    def get_card(self, card_id: int) -> Card: ...
    def recent_events(self, limit: int = 50) -> list[Event]: ...
    def events_after(self, event_id: int, limit: int | None = None) -> list[Event]: ...
    def card_history(self, card_id: int) -> list[Event]: ...
    def last_event_id(self) -> int: ...
    def export_snapshot(self) -> Snapshot: ...

    # writes
    def add_card(self, draft: CardDraft, *, force: bool = False, reason: str | None = None) -> Card: ...
    def move_card(
        self,
        card_id: int,
        to_column: str,
        *,
        expected_version: int | None = None,
        force: bool = False,
        reason: str | None = None,
    ) -> Card: ...
    def edit_card(self, card_id: int, patch: CardPatch, *, expected_version: int | None = None) -> Card: ...
    def delete_card(self, card_id: int, *, expected_version: int | None = None) -> Card: ...
    def set_wip_limit(
        self, column: str, limit: int | None, *, expected_version: int | None = None
    ) -> Column: ...
    def add_person(self, person: Person) -> Person: ...
    def import_snapshot(self, snapshot: Snapshot) -> None: ...

    # live
    def feed(self, *, fallback_poll: float = 0.1) -> ChangeFeed: ...
    def close(self) -> None: ...
