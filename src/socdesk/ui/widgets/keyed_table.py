"""A row-cursor table whose rows have keys (ids, slot keys), refilled without losing the reader's place."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Generic, TypeVar

from rich.text import Text
from textual.widgets import DataTable

K = TypeVar("K", bound=Hashable)


class KeyedTable(DataTable[Text], Generic[K]):
    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.keys: list[K] = []

    def fill(self, rows: Sequence[tuple[K, list[Text]]]) -> None:
        """Replace the rows, keeping the cursor on the same key if it is still there (else the same row)."""
        old_row = self.cursor_row
        old_key = self.current_key
        self.clear()
        self.keys = [key for key, _ in rows]
        for key, cells in rows:
            self.add_row(*cells, key=str(key))
        if self.keys:
            row = (
                self.keys.index(old_key) if old_key in self.keys else min(max(old_row, 0), len(self.keys) - 1)
            )
            self.move_cursor(row=row, animate=False)

    def select_key(self, key: K) -> None:
        if key in self.keys:
            self.move_cursor(row=self.keys.index(key), animate=False)

    @property
    def current_key(self) -> K | None:
        row = self.cursor_row
        return self.keys[row] if self.keys and 0 <= row < len(self.keys) else None
