"""Undo: each of your actions knows its inverse, applied as a new, conflict-checked change.

The inverse names the version your action produced; if anyone changed the card since, the store
refuses with a conflict (who, when) rather than undoing over their work. Undoing is itself a change
with a new version, so the older entries of the same card are rebased onto it: pressing ``u`` twice
undoes your last two moves, not one move and a conflict with yourself.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Protocol, Self

from socdesk.domain.models import Card, CardPatch, Column
from socdesk.store import Store

UNDO_DEPTH = 50


class Undoable(Protocol):
    @property
    def key(self) -> tuple[str, str]:
        """The entity the action changed: ``("card", "12")`` or ``("column", "To Do")``."""
        ...

    @property
    def expects(self) -> int:
        """The version the inverse names: the one your action produced."""
        ...

    @property
    def restores(self) -> int | None:
        """The version your action started from (none for an add): the state undoing brings back."""
        ...

    def expecting(self, version: int) -> Self:
        """The same inverse, naming a newer version of the entity (after your own undo)."""
        ...

    def describe(self) -> str:
        """What undoing does, in a few words."""
        ...

    def undo(self, store: Store, *, reason: str | None = None) -> Card | Column | None:
        """Apply the inverse. ``reason`` forces it past a WIP limit."""
        ...


def _card_key(card: Card) -> tuple[str, str]:
    return ("card", str(card.id))


def _at(card: Card, version: int) -> Card:
    return card.model_copy(update={"version": version})


class _OnCard:
    """For entries that hold the card as your action left it, ``after``."""

    after: Card

    @property
    def key(self) -> tuple[str, str]:
        return _card_key(self.after)

    @property
    def expects(self) -> int:
        return self.after.version


class _BeforeAfter(_OnCard):
    """For entries that also hold the card as it was before your action, ``before``."""

    before: Card

    @property
    def restores(self) -> int | None:
        return self.before.version


@dataclass(frozen=True)
class Added:
    card: Card

    @property
    def key(self) -> tuple[str, str]:
        return _card_key(self.card)

    @property
    def expects(self) -> int:
        return self.card.version

    @property
    def restores(self) -> int | None:
        return None

    def expecting(self, version: int) -> Self:
        return replace(self, card=_at(self.card, version))

    def describe(self) -> str:
        return f"remove the card you added, #{self.card.id}"

    def undo(self, store: Store, *, reason: str | None = None) -> Card | Column | None:
        store.delete_card(self.card.id, expected_version=self.card.version)
        return None


@dataclass(frozen=True)
class Moved(_BeforeAfter):
    before: Card
    after: Card

    def expecting(self, version: int) -> Self:
        return replace(self, after=_at(self.after, version))

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
class Reordered(_OnCard):
    after: Card
    steps: int

    @property
    def restores(self) -> int | None:
        return self.after.version - 1  # a reorder bumps the card's version by one

    def expecting(self, version: int) -> Self:
        return replace(self, after=_at(self.after, version))

    def describe(self) -> str:
        return f"put #{self.after.id} back in its place"

    def undo(self, store: Store, *, reason: str | None = None) -> Card | Column | None:
        return store.reorder_card(self.after.id, -self.steps, expected_version=self.after.version)


@dataclass(frozen=True)
class Edited(_BeforeAfter):
    before: Card
    after: Card
    fields: tuple[str, ...]

    def expecting(self, version: int) -> Self:
        return replace(self, after=_at(self.after, version))

    def describe(self) -> str:
        return f"revert your edit of #{self.after.id} ({', '.join(self.fields)})"

    def undo(self, store: Store, *, reason: str | None = None) -> Card | Column | None:
        patch = CardPatch.model_validate({name: getattr(self.before, name) for name in self.fields})
        return store.edit_card(self.after.id, patch, expected_version=self.after.version)


@dataclass(frozen=True)
class Deleted:
    card: Card

    @property
    def key(self) -> tuple[str, str]:
        return _card_key(self.card)

    @property
    def expects(self) -> int:
        return self.card.version  # the store restores only the card as it was deleted

    @property
    def restores(self) -> int | None:
        return self.card.version

    def expecting(self, version: int) -> Self:
        return self  # nothing of yours changes a deleted card after the delete

    def describe(self) -> str:
        return f"restore #{self.card.id} “{self.card.title}”"

    def undo(self, store: Store, *, reason: str | None = None) -> Card | Column | None:
        return store.restore_card(self.card, force=reason is not None, reason=reason)


@dataclass(frozen=True)
class LimitSet:
    before: Column
    after: Column

    @property
    def key(self) -> tuple[str, str]:
        return ("column", self.after.name)

    @property
    def expects(self) -> int:
        return self.after.version

    @property
    def restores(self) -> int | None:
        return self.before.version

    def expecting(self, version: int) -> Self:
        return replace(self, after=self.after.model_copy(update={"version": version}))

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

    def undone(self, entry: Undoable, result: Card | Column | None) -> None:
        """``entry`` was undone, giving ``result``: older entries that expected the state it brought
        back now expect the version the undo wrote."""
        if result is None or entry.restores is None:
            return
        for index, older in enumerate(self._entries):
            if older.key == entry.key and older.expects == entry.restores:
                self._entries[index] = older.expecting(result.version)

    def peek(self) -> Undoable | None:
        return self._entries[-1] if self._entries else None

    def __len__(self) -> int:
        return len(self._entries)
