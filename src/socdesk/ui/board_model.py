"""The board as the console holds it in memory: columns and their ordered cards, patched event by event.

Plain Python (no Textual, no SQL): the screen asks it what to draw, and it answers which columns an
update touched so that only those are repainted.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from socdesk.domain.board import CardFilter, WipState, bottleneck, wip_state
from socdesk.domain.models import Card, Column


def _place(card: Card) -> tuple[int, int]:
    return (card.position, card.id)


@dataclass
class BoardModel:
    columns: list[Column] = field(default_factory=list)
    cards: dict[int, Card] = field(default_factory=dict)
    filter: CardFilter = field(default_factory=CardFilter)
    _by_column: dict[str, list[Card]] = field(default_factory=dict)
    _visible: dict[str, list[Card]] = field(default_factory=dict)

    # ------------------------------------------------------------------ loading and patching

    def load(self, columns: Iterable[Column], cards: Iterable[Card]) -> None:
        self.columns = list(columns)
        self.cards = {card.id: card for card in cards}
        self._rebuild(name for name in self.column_names)

    def set_columns(self, columns: Iterable[Column]) -> set[str]:
        """Replace the columns (limits, names); returns the names whose header may have changed."""
        old = {c.name: c for c in self.columns}
        self.columns = list(columns)
        changed = {c.name for c in self.columns if old.get(c.name) != c}
        if set(old) != set(self.column_names):
            self._rebuild(self.column_names)
            changed |= set(self.column_names)
        return changed

    def put(self, cards: Iterable[Card]) -> set[str]:
        """Add or replace cards; returns the columns that changed. Each card costs O(column size)."""
        touched: set[str] = set()
        for card in cards:
            if (old := self.cards.get(card.id)) is not None:
                touched.add(old.column)
                self._take_out(old)
            self.cards[card.id] = card
            touched.add(card.column)
            if card.column in self._by_column:
                insort(self._by_column[card.column], card, key=_place)
        self._refilter(touched)
        return touched

    def remove(self, card_ids: Iterable[int]) -> set[str]:
        touched: set[str] = set()
        for card_id in card_ids:
            if (old := self.cards.pop(card_id, None)) is not None:
                touched.add(old.column)
                self._take_out(old)
        self._refilter(touched)
        return touched

    def _take_out(self, card: Card) -> None:
        cards = self._by_column.get(card.column, [])
        index = bisect_left(cards, _place(card), key=_place)
        if index < len(cards) and cards[index].id == card.id:
            del cards[index]
        else:  # positions moved under us (a reorder): fall back to a scan
            self._by_column[card.column] = [c for c in cards if c.id != card.id]

    def replace_column_cards(self, column: str, cards: Iterable[Card]) -> set[str]:
        """Take a column's cards as read afresh (after a reorder, which moves neighbours silently)."""
        for old in self._by_column.get(column, []):
            self.cards.pop(old.id, None)
        self._by_column[column] = []
        return self.put(cards) | {column}

    def set_filter(self, card_filter: CardFilter) -> set[str]:
        self.filter = card_filter
        self._rebuild(self.column_names)
        return set(self.column_names)

    def _rebuild(self, names: Iterable[str]) -> None:
        wanted = set(names)
        if not wanted:
            return
        for name in wanted:
            self._by_column[name] = []
        for card in self.cards.values():
            if card.column in wanted and card.column in self._by_column:
                self._by_column[card.column].append(card)
        for name in wanted:
            self._by_column[name].sort(key=_place)
        self._refilter(wanted)

    def _refilter(self, names: Iterable[str]) -> None:
        for name in names:
            ordered = self._by_column.get(name, [])
            self._visible[name] = (
                [c for c in ordered if self.filter.matches(c)] if self.filter.active else ordered
            )

    # ------------------------------------------------------------------ questions the screen asks

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def count(self, name: str) -> int:
        return len(self._by_column.get(name, []))

    def visible(self, name: str) -> list[Card]:
        return self._visible.get(name, [])

    def wip(self, name: str) -> WipState:
        return wip_state(self.column(name), self.count(name))

    def bottleneck(self, now: datetime) -> str | None:
        return bottleneck(self.columns, self.cards.values(), now)

    def neighbour(self, name: str, step: int) -> str | None:
        names = self.column_names
        index = names.index(name) + step
        return names[index] if 0 <= index < len(names) else None
