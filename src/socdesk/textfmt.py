"""Plain-text rendering for the CLI: tables and card details. No colour, so it pipes cleanly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from socdesk.domain.describe import describe_event

if TYPE_CHECKING:  # only fields are read, so `log`'s fast path renders without importing pydantic
    from socdesk.domain.models import Card, Column, Event


def table(
    headers: Sequence[str], body: Sequence[Sequence[str]], *, numeric: frozenset[int] = frozenset()
) -> str:
    """Columns two spaces apart; ``numeric`` columns align to the right."""
    widths = [len(h) for h in headers]
    for row in body:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(w) if i in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), *(line(row) for row in body)])


def plural(count: int, word: str) -> str:
    """``1 note``, ``3 notes``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def card_rows(cards: Sequence[Card]) -> str:
    return table(
        ["ID", "COLUMN", "T", "PRIO", "ASSIGNEE", "SEC", "TITLE"],
        [
            [
                str(c.id),
                c.column,
                c.type.letter,
                c.priority.value,
                c.assignee or "-",
                "!" if c.security else "",
                clip(c.title, 60),
            ]
            for c in cards
        ],
    )


def column_rows(columns: Sequence[Column], counts: dict[str, int]) -> str:
    def wip(column: Column) -> str:
        return "-" if column.wip_limit is None else str(column.wip_limit)

    return table(
        ["COLUMN", "CARDS", "WIP LIMIT", "STAGE"],
        [[c.name, str(counts.get(c.name, 0)), wip(c), c.stage.value] for c in columns],
    )


def event_rows(events: Sequence[Event]) -> str:
    return table(
        ["ID", "TIME (UTC)", "ACTOR", "WHAT"],
        [[str(e.id), when(e.at), e.actor, describe_event(e)] for e in events],
    )


def card_detail(card: Card, history: Sequence[Event]) -> str:
    lines = [
        f"#{card.id} {card.title}",
        f"  type: {card.type.value}   priority: {card.priority.value}   kind: {card.kind.value}",
        f"  column: {card.column}   assignee: {card.assignee or '-'}"
        f"   security: {'yes' if card.security else 'no'}",
        f"  labels: {', '.join(card.labels) or '-'}   version: {card.version}",
        f"  created {when(card.created_at)}   updated {when(card.updated_at)}"
        f"   started {when(card.started_at)}   done {when(card.done_at)}",
    ]
    if card.description:
        lines += ["", *("  " + line for line in card.description.splitlines())]
    if history:
        lines += ["", "history:"] + [f"  {when(e.at)}  {e.actor}: {describe_event(e)}" for e in history]
    return "\n".join(lines)
