"""The Mix view: the work mix and flow of a period, moved back and forth by keyboard."""

from __future__ import annotations

from datetime import date, timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll

from socdesk.domain.errors import InvalidInput
from socdesk.domain.mix import MixReport
from socdesk.domain.models import Event
from socdesk.mix_review import default_period, review_mix, team_zone
from socdesk.ui.screens.base import ViewScreen
from socdesk.ui.widgets.mix_panel import MixPanel

LENGTHS = (7, 14, 28, 91)
REFRESH_SECONDS = 1.0


class MixView(ViewScreen):
    VIEW_NAME = "Mix"
    BINDINGS = [
        Binding("left_square_bracket", "shift(-1)", "Earlier", id="mix.earlier"),
        Binding("right_square_bracket", "shift(1)", "Later", id="mix.later"),
        Binding("l", "length", "Length", id="mix.length"),
        Binding("t", "today", "To today", id="mix.today"),
        Binding("p", "period", "Period…", id="mix.period"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.start: date | None = None
        self.end: date | None = None
        self._stale = False

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="mix"):
            yield MixPanel(id="mix-panel")

    def on_mount(self) -> None:
        super().on_mount()
        self.action_today()
        self.set_interval(REFRESH_SECONDS, self._refresh_if_stale)

    @property
    def today(self) -> date:
        store = self.socdesk.store
        return store.clock.now().astimezone(team_zone(store)).date()

    def reload(self) -> None:
        start, end, store = self.start, self.end, self.socdesk.store
        if start is None or end is None:
            return
        report = self._attempt(lambda: review_mix(store, start, end))
        if isinstance(report, MixReport):
            self.query_one(MixPanel).show(report)
        self._stale = False

    def action_today(self) -> None:
        days = (self.end - self.start).days + 1 if self.start and self.end else LENGTHS[2]
        self.start, self.end = default_period(self.today, days)
        self.reload()

    def action_shift(self, direction: int) -> None:
        if self.start is None or self.end is None:
            return
        step = timedelta(days=(self.end - self.start).days + 1) * direction
        self.start, self.end = self.start + step, self.end + step
        self.reload()

    def action_length(self) -> None:
        """Cycle the period's length (1, 2, 4, 13 weeks), keeping its last day."""
        if self.start is None or self.end is None:
            return
        days = (self.end - self.start).days + 1
        longer = next((n for n in LENGTHS if n > days), LENGTHS[0])
        self.start = self.end - timedelta(days=longer - 1)
        self.reload()

    def action_period(self) -> None:
        from socdesk.ui.screens.handshake_forms import TextPrompt

        def chosen(text: str | None) -> None:
            if not text:
                return
            try:
                self.start, self.end = parse_period(text)
            except InvalidInput as error:
                self.notify(str(error), title="Period", severity="error", timeout=8)
                return
            self.reload()

        current = f"{self.start} {self.end}" if self.start and self.end else ""
        question = "Period: first and last day (YYYY-MM-DD YYYY-MM-DD)"
        self.app.push_screen(TextPrompt(question, value=current), chosen)

    def on_store_events(self, events: list[Event]) -> None:
        # Cards change often on a busy board: redraw at most once a second, and only when visible.
        if any(e.entity in ("card", "column", "agenda") for e in events):
            self._stale = True

    def _refresh_if_stale(self) -> None:
        if self._stale and self.is_current:
            self.reload()


def parse_period(text: str) -> tuple[date, date]:
    parts = text.replace("→", " ").replace(",", " ").split()
    if len(parts) != 2:
        raise InvalidInput("give the first and the last day, e.g. 2026-11-01 2026-11-28")
    try:
        start, end = date.fromisoformat(parts[0]), date.fromisoformat(parts[1])
    except ValueError:
        raise InvalidInput(f"not dates (YYYY-MM-DD): {text!r}") from None
    if end < start:
        raise InvalidInput(f"the period ends ({end}) before it starts ({start})")
    return start, end
