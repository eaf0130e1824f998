"""What every view has: the duty strip on top, its body, the keys in the footer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult, ScreenStackError
from textual.screen import Screen

from socdesk.domain.errors import SocdeskError
from socdesk.domain.models import Event
from socdesk.ui.widgets.duty_strip import DutyStrip
from socdesk.ui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from socdesk.ui.app import SocdeskApp


class ViewScreen(Screen[None]):
    """A top-level view (a Textual mode). Subclasses fill ``compose_body``."""

    VIEW_NAME = "view"
    WRITE_ACTIONS: frozenset[str] = frozenset()
    """The actions that change shared data: a read-only console (the wallboard) refuses them by name."""

    @property
    def socdesk(self) -> SocdeskApp:
        return cast("SocdeskApp", self.app)

    @property
    def in_front(self) -> bool:
        """This view is the screen in front (no view is while the app closes its screens)."""
        try:
            return self.app.screen is self
        except ScreenStackError:
            return False

    def compose(self) -> ComposeResult:
        yield DutyStrip()
        yield from self.compose_body()
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.socdesk.store_changed.subscribe(self, self.on_store_events)

    def _attempt(self, change: Callable[[], object]) -> object | None:
        """Run one store change; a refusal becomes an error notice. Returns None when refused."""
        try:
            return change()
        except SocdeskError as error:
            self.notify(str(error), title=type(error).__name__, severity="error", timeout=8)
            return None

    def on_store_events(self, events: list[Event]) -> None:
        """Another process (or this one) committed ``events``; views that show data refresh here."""
