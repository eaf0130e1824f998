"""How cards are read: the one SELECT, its board order and its filters (standard library only).

Shared by the store and by ``socdesk card list --json``'s fast path, which must not import pydantic.
"""

from __future__ import annotations

CARD_SELECT = """
    SELECT cards.id, cards.title, cards.description, cards.type, cards.priority, cards.kind,
           columns.name AS column_name, cards.position, cards.assignee, cards.security, cards.labels,
           cards.created_at, cards.updated_at, cards.column_since, cards.started_at, cards.done_at,
           cards.version
    FROM cards JOIN columns ON columns.id = cards.column_id
"""
CARD_ORDER = " ORDER BY columns.position, cards.position, cards.id"


def card_query(
    *, column_id: int | None = None, type: str | None = None, assignee: str | None = None
) -> tuple[str, list[object]]:
    """The SQL and parameters for the cards in board order, narrowed by any filter given."""
    where: list[str] = []
    params: list[object] = []
    for clause, value in (("cards.column_id", column_id), ("cards.type", type), ("cards.assignee", assignee)):
        if value is not None:
            where.append(f"{clause} = ?")
            params.append(value)
    return CARD_SELECT + (" WHERE " + " AND ".join(where) if where else "") + CARD_ORDER, params
