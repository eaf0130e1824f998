"""Undo: each of your actions knows its inverse, applied as a new, conflict-checked change.

The inverse names the version your action produced; if anyone changed the card since, the store
refuses with a conflict (who, when) rather than undoing over their work.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol

from socdesk.domain.models import Card, CardPatch, Column
from socdesk.store import Store

UNDO_DEPTH = 50


class Undoable(Protocol):
    def describe(self) -> str:
        """What undoing does, in a few words."""
        ...

    def undo(self, store: Store, *, reason: str | None = None) -> Card | Column | None:
        """Apply the inverse. ``reason`` forces it past a WIP limit."""
        ...


@dataclass(frozen=True)
class Added:
    card: Card

    def describe(self) -> str:
        return f"remove the card you added, #{self.card.id}"

    def undo(self, store: Store, *, reason: str | None = None) -> Card | Column | None:
        store.delete_card(self.card.id, expected_version=self.card.version)
        return None


@dataclass(frozen=True)
class Moved:
    before: Card
    after: Card

    def describe(self) -> str:
        return f"move #{self.after.id} back to {self.before.column}"

    def undo(self, store: Store, *, reason: str | None = None) -> Card | Column | None:
        return store.move_card(
            self.after.id,
            self.before.column,
            expected_version=self.after.version,
            force=reason is not None,
            reason=reason,
        )


@dataclass(frozen=True)
class Reordered:
    after: Card
    steps: int

    def describe(self) -> str:
        return f"put #{self.after.id} back in its place"

    def undo(self, store: Store, *, reason: str | None = None) -> Card | Column | None:
        return store.reorder_card(self.after.id, -self.steps, expected_version=self.after.version)


@dataclass(frozen=True)
class Edited:
    before: Card
    after: Card
    fields: tuple[str, ...]

    def describe(self) -> str:
        return f"revert your edit of #{self.after.id} ({', '.join(self.fields)})"

    def undo(self, store: Store, *, reason: str | None = None) -> Card | Column | None:
        patch = CardPatch.model_validate({name: getattr(self.before, name) for name in self.fields})
        return store.edit_card(self.after.id, patch, expected_version=self.after.version)


@dataclass(frozen=True)
class Deleted:
    card: Card

    def describe(self) -> str:
        return f"restore #{self.card.id} “{self.card.title}”"

    def undo(self, store: Store, *, reason: str | None = None) -> Card | Column | None:
        return store.restore_card(self.card, force=reason is not None, reason=reason)


@dataclass(frozen=True)
class LimitSet:
    before: Column
    after: Column

    def describe(self) -> str:
        old = "none" if self.before.wip_limit is None else str(self.before.wip_limit)
        return f"set {self.after.name}'s WIP limit back to {old}"

    def undo(self, store: Store, *, reason: str | None = None) -> Card | Column | None:
        return store.set_wip_limit(
            self.after.name, self.before.wip_limit, expected_version=self.after.version
        )


class UndoStack:
    """Your own recent actions in this console, newest last."""

    def __init__(self, depth: int = UNDO_DEPTH) -> None:
        self._entries: deque[Undoable] = deque(maxlen=depth)

    def push(self, entry: Undoable) -> None:
        self._entries.append(entry)

    def pop(self) -> Undoable | None:
        return self._entries.pop() if self._entries else None

    def peek(self) -> Undoable | None:
        return self._entries[-1] if self._entries else None

    def __len__(self) -> int:
        return len(self._entries)
