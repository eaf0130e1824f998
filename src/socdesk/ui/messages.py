"""Messages the console's parts exchange."""

from __future__ import annotations

from textual.message import Message

from socdesk.domain.models import Event


class StoreChanged(Message):
    """Someone (any process) committed: here are the new events, oldest first."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = events
