"""A card in full: its fields, its description as Markdown, and its history from the event log."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from socdesk.domain.board import TYPE_LETTER
from socdesk.domain.describe import describe_event
from socdesk.domain.models import Card, Event


def card_facts(card: Card) -> str:
    facts = [
        f"[{TYPE_LETTER[card.type]}] {card.type.value}",
        f"priority {card.priority.value}",
        card.kind.value,
        f"in {card.column}",
        f"@{card.assignee}" if card.assignee else "unassigned",
    ]
    if card.security:
        facts.append("security-sensitive")
    if card.labels:
        facts.append("labels: " + ", ".join(card.labels))
    return " · ".join(facts)


def history_lines(events: Sequence[Event]) -> str:
    return "\n".join(
        f"{event.at:%Y-%m-%d %H:%M}  {event.actor:<12} {describe_event(event)}" for event in events
    )


class CardDetailScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, card: Card, history: Sequence[Event]) -> None:
        super().__init__()
        self.card = card
        self.history = list(history)

    def compose(self) -> ComposeResult:
        card = self.card
        with VerticalScroll(classes="dialog detail"):
            yield Static(f"#{card.id} {card.title}", classes="dialog-title")
            yield Static(card_facts(card), id="facts")
            yield Static("Description", classes="section-title")
            yield Markdown(card.description or "_no description_", id="description")
            yield Static("History", classes="section-title")
            yield Static(history_lines(self.history) or "no events", id="history", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
