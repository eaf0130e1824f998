"""Retro rows to models and back: retros, notes, themes, votes, actions and the phase-timer log.

Columns are named as the models' fields, except a note's ``column`` (``note_column`` in SQL, where
``column`` is a keyword). Timestamps are written by ``rows.iso`` so that text order is time order.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

from socdesk.domain.retro import Note, Retro, RetroAction, Theme, TimerEntry, Vote
from socdesk.store.rows import iso

M = TypeVar("M", bound=BaseModel)

TABLES: dict[type[BaseModel], str] = {
    Retro: "retros",
    Note: "retro_notes",
    Theme: "retro_themes",
    Vote: "retro_votes",
    RetroAction: "retro_actions",
    TimerEntry: "retro_timer",
}
_RENAMES: dict[type[BaseModel], dict[str, str]] = {Note: {"column": "note_column"}}


def _sql_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def values(model: BaseModel) -> dict[str, Any]:
    """The row for ``model``: its fields by column name."""
    renames = _RENAMES.get(type(model), {})
    return {renames.get(name, name): _sql_value(getattr(model, name)) for name in type(model).model_fields}


def load(model: type[M], row: sqlite3.Row) -> M:
    back = {sql: field for field, sql in _RENAMES.get(model, {}).items()}
    return model.model_validate({back.get(key, key): row[key] for key in row.keys()})  # noqa: SIM118 (a Row iterates values)


def table(model: type[BaseModel]) -> str:
    return TABLES[model]
