"""The duty strip at the top of every view: who is on duty and on call now, and the next handover.

It re-reads the roster when anyone (any process) changes it, and re-evaluates "now" every second
from the injected clock, so it changes by itself at the handover moment. A role nobody holds is
shown as an error. The rules are ``socdesk.domain.duty``'s; this widget only draws them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static

from socdesk.domain.duty import Roster, duty_status, strip_parts
from socdesk.domain.models import Event

if TYPE_CHECKING:
    from socdesk.ui.app import SocdeskApp

DUTY_ENTITIES = frozenset({"rotation", "override", "person", "database"})
TICK_SECONDS = 1.0
SEPARATOR = " · "
NO_ROSTER = (
    "no duty roster yet: set up the rotations in the Duty view (key 2) or with `socdesk duty rotation set`"
)


class DutyStrip(Horizontal):
    """Three parts: the on-duty engineer, the on-call analyst, the next handover."""

    class Changed(Message):
        """The strip now says something else (a handover passed, or the roster changed)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self) -> None:
        super().__init__()
        self._roster: Roster | None = None
        self._text = ""

    @property
    def socdesk(self) -> SocdeskApp:
        return cast("SocdeskApp", self.app)

    @property
    def text(self) -> str:
        """What the strip says, as one line (for tests and the wallboard)."""
        return self._text

    def compose(self) -> ComposeResult:
        yield Static(classes="duty-part", id="duty-engineer")
        yield Static(SEPARATOR, classes="duty-sep", id="duty-sep-1")
        yield Static(classes="duty-part", id="duty-analyst")
        yield Static(SEPARATOR, classes="duty-sep", id="duty-sep-2")
        yield Static(classes="duty-part", id="duty-handover")

    def on_mount(self) -> None:
        self.socdesk.store_changed.subscribe(self, self._on_store_events)
        self.reload()
        self.set_interval(TICK_SECONDS, self.refresh_duty)

    def _on_store_events(self, events: list[Event]) -> None:
        if any(event.entity in DUTY_ENTITIES for event in events):
            self.reload()

    def reload(self) -> None:
        """Read the roster again (someone changed it) and redraw."""
        self._roster = self.socdesk.store.get_roster()
        self.refresh_duty()

    def refresh_duty(self) -> None:
        """Redraw for the clock's current moment; posts ``Changed`` when the words change."""
        roster = self._roster
        if roster is None:
            return
        if not roster.rotations and not roster.overrides:
            texts = [(NO_ROSTER, False), ("", False), ("", False)]
            self.add_class("-no-roster")
        else:
            self.remove_class("-no-roster")
            texts = strip_parts(roster, duty_status(roster, self.socdesk.store.clock.now()))
            texts += [("", False)] * (3 - len(texts))
        names = ("#duty-engineer", "#duty-analyst", "#duty-handover")
        for name, (words, is_error) in zip(names, texts, strict=True):
            widget = self.query_one(name, Static)
            widget.update(words)
            widget.set_class(is_error, "-missing")
            widget.set_class(not words, "-empty")
        # Hidden by class, not by ``display``: the stylesheet decides (the wallboard shows no separators).
        self.query_one("#duty-sep-1").set_class(not texts[1][0], "-empty")
        self.query_one("#duty-sep-2").set_class(not texts[2][0], "-empty")
        text = SEPARATOR.join(words for words, _ in texts if words)
        if text != self._text:
            self._text = text
            self.post_message(self.Changed(text))
