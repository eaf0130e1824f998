"""What the board shows, as pure rules: card filters, age in column, WIP state and the bottleneck."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from socdesk.domain.errors import InvalidInput
from socdesk.domain.models import Card, Column, Kind, Priority, Stage, WorkType

E = TypeVar("E", bound=StrEnum)

TYPE_LETTER: dict[WorkType, str] = {
    WorkType.BUSINESS: "B",
    WorkType.OPERATIONS: "O",
    WorkType.ENGINEERING: "E",
    WorkType.UNPLANNED: "U",
}


class WipState(StrEnum):
    OK = "ok"
    AT_LIMIT = "at-limit"
    OVER = "over"


def wip_state(column: Column, count: int) -> WipState:
    """Whether a column holding ``count`` cards has room, is at its limit, or is over it."""
    if column.wip_limit is None or count < column.wip_limit:
        return WipState.OK
    return WipState.AT_LIMIT if count == column.wip_limit else WipState.OVER


def age_in_column(card: Card, now: datetime) -> timedelta:
    return max(now - card.column_since, timedelta(0))


def format_age(age: timedelta) -> str:
    """Compact age for a card: ``now``, ``12m``, ``5h``, ``3d``, ``6w``."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "now"
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    days = hours // 24
    return f"{days}d" if days < 14 else f"{days // 7}w"


def bottleneck(columns: Sequence[Column], cards: Iterable[Card], now: datetime) -> str | None:
    """The column where cards wait longest (highest median age in column), or None if no card waits.

    The first column (the intake backlog) and done columns are not part of the flow, so neither can be
    the bottleneck. A tie goes to the column further along the flow, where the wait costs more.
    """
    flow = {c.name for c in columns[1:] if c.stage is not Stage.DONE}
    ages: dict[str, list[float]] = defaultdict(list)
    for card in cards:
        if card.column in flow:
            ages[card.column].append(age_in_column(card, now).total_seconds())
    best: tuple[float, int, str] | None = None
    for column in columns:
        if column.name in ages:
            key = (statistics.median(ages[column.name]), column.position, column.name)
            if best is None or key > best:
                best = key
    return None if best is None or best[0] <= 0 else best[2]


FILTER_HELP = "words, type:unplanned, @handle, prio:critical, kind:detection, label:NAME, is:security"


@dataclass(frozen=True)
class CardFilter:
    """A parsed board filter; every term must match (AND)."""

    words: tuple[str, ...] = ()
    types: frozenset[WorkType] = frozenset()
    assignees: frozenset[str] = frozenset()
    priorities: frozenset[Priority] = frozenset()
    kinds: frozenset[Kind] = frozenset()
    labels: frozenset[str] = frozenset()
    security: bool = False
    text: str = field(default="", compare=False)

    @property
    def active(self) -> bool:
        return bool(
            self.words
            or self.types
            or self.assignees
            or self.priorities
            or self.kinds
            or self.labels
            or self.security
        )

    def matches(self, card: Card) -> bool:
        if self.types and card.type not in self.types:
            return False
        if self.assignees and card.assignee not in self.assignees:
            return False
        if self.priorities and card.priority not in self.priorities:
            return False
        if self.kinds and card.kind not in self.kinds:
            return False
        if self.labels and not self.labels.intersection(label.casefold() for label in card.labels):
            return False
        if self.security and not card.security:
            return False
        if self.words:
            haystack = " ".join((card.title, card.description, *card.labels, f"#{card.id}")).casefold()
            return all(word in haystack for word in self.words)
        return True


def _pick(enum: type[E], value: str, key: str) -> E:
    """An enum member by name or unambiguous prefix (``type:unpl``), or a clear error."""
    wanted = value.casefold()
    found = [member for member in enum if member.value.startswith(wanted)] if wanted else []
    exact = [member for member in found if member.value == wanted]
    if exact:
        return exact[0]
    if len(found) == 1:
        return found[0]
    choices = ", ".join(member.value for member in enum)
    raise InvalidInput(f"{key}:{value} matches no single value (choose from {choices})")


def parse_filter(text: str) -> CardFilter:
    """Parse the board's filter language. Terms are separated by spaces; all must match.

    ``type:unplanned`` (or a prefix, ``type:u``), ``@handle``, ``prio:critical``, ``kind:detection``,
    ``label:phishing``, ``is:security``; anything else is a word to find in the title, description or
    labels. Repeating a key widens it (``type:b type:o`` means either).
    """
    words: list[str] = []
    types: set[WorkType] = set()
    assignees: set[str] = set()
    priorities: set[Priority] = set()
    kinds: set[Kind] = set()
    labels: set[str] = set()
    security = False
    for term in text.split():
        key, sep, value = term.partition(":")
        key = key.casefold()
        if term.startswith("@") and len(term) > 1:
            assignees.add(term[1:].casefold())
        elif sep and key == "type":
            types.add(_pick(WorkType, value, key))
        elif sep and key in {"prio", "priority"}:
            priorities.add(_pick(Priority, value, key))
        elif sep and key == "kind":
            kinds.add(_pick(Kind, value, key))
        elif sep and key == "label" and value:
            labels.add(value.casefold())
        elif sep and key == "is":
            if value.casefold() not in {"security", "sec"}:
                raise InvalidInput(f"is:{value} is not a filter (is:security is)")
            security = True
        else:
            words.append(term.casefold())
    return CardFilter(
        words=tuple(words),
        types=frozenset(types),
        assignees=frozenset(assignees),
        priorities=frozenset(priorities),
        kinds=frozenset(kinds),
        labels=frozenset(labels),
        security=security,
        text=text,
    )
