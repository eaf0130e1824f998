"""What the SQLite store's mixins (duty, handshake) rely on from ``SqliteStore``, declared once for typing.

The mixins share the store's connection, its one-transaction-per-intent ``_write`` and its event log;
``SqliteStore`` defines them. Only type checkers read the declarations below.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from socdesk.domain.clock import Clock
from socdesk.domain.duty import Roster
from socdesk.domain.errors import Conflict
from socdesk.domain.handshake import Agenda
from socdesk.domain.models import Card, CardDraft, CardPatch, Column, Person


class StoreCore:
    _conn: sqlite3.Connection
    actor: str
    clock: Clock

    if TYPE_CHECKING:

        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _log(
            self,
            action: str,
            entity: str,
            entity_id: object,
            *,
            before: dict[str, Any] | None = None,
            after: dict[str, Any] | None = None,
            meta: dict[str, Any] | None = None,
            actor: str | None = None,
        ) -> int: ...
        def _conflict(
            self, entity: str, entity_id: object, expected: int, actual: int | None
        ) -> Conflict: ...
        def _require_person(self, handle: str | None) -> None: ...
        def list_people(self) -> list[Person]: ...
        def list_cards(self) -> list[Card]: ...
        def get_cards(self, card_ids: Iterable[int]) -> list[Card]: ...
        def get_agenda(self) -> Agenda: ...
        def list_columns(self) -> list[Column]: ...
        def get_roster(self) -> Roster: ...
        def _card_to_change(self, card_id: int, expected_version: int | None) -> Card: ...
        def _add_card(
            self,
            draft: CardDraft,
            *,
            force: bool = False,
            reason: str | None = None,
            meta: dict[str, Any] | None = None,
        ) -> Card: ...
        def _move_card(
            self,
            card_id: int,
            to_column: str,
            *,
            expected_version: int | None = None,
            force: bool = False,
            reason: str | None = None,
            meta: dict[str, Any] | None = None,
        ) -> Card: ...
        def _edit_card(
            self,
            card_id: int,
            patch: CardPatch,
            *,
            expected_version: int | None = None,
            meta: dict[str, Any] | None = None,
        ) -> Card: ...
