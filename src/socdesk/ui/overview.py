"""The interim home view: columns with their WIP state, and recent activity from the event log.

The full kanban board replaces this view (issue: the live, WIP-limited board).
"""

from __future__ import annotations

from collections import Counter

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from socdesk.domain.describe import describe_event
from socdesk.domain.models import Card, Column, Event


def wip_state(column: Column, count: int) -> str:
    """'ok', 'at-limit' or 'over' (for styling and for tests)."""
    if column.wip_limit is None or count < column.wip_limit:
        return "ok"
    return "at-limit" if count == column.wip_limit else "over"


class Overview(Vertical):
    """Columns and activity. Call ``show`` with fresh data from the store."""

    def compose(self) -> ComposeResult:
        yield Label("Columns", classes="section-title")
        yield DataTable(id="columns", cursor_type="row", zebra_stripes=True)
        yield Label("Recent activity", classes="section-title")
        yield DataTable(id="activity", cursor_type="row")

    def on_mount(self) -> None:
        columns = self.query_one("#columns", DataTable)
        columns.add_columns("Column", "Cards", "WIP limit", "State")
        activity = self.query_one("#activity", DataTable)
        activity.add_columns("When (UTC)", "Who", "What")

    def show(self, columns: list[Column], cards: list[Card], events: list[Event]) -> None:
        counts = Counter(card.column for card in cards)
        table = self.query_one("#columns", DataTable)
        table.clear()
        for column in columns:
            count = counts.get(column.name, 0)
            limit = "-" if column.wip_limit is None else str(column.wip_limit)
            table.add_row(column.name, str(count), limit, wip_state(column, count), key=column.name)
        log = self.query_one("#activity", DataTable)
        log.clear()
        for event in events:
            log.add_row(
                event.at.strftime("%Y-%m-%d %H:%M"), event.actor, describe_event(event), key=str(event.id)
            )
