"""The Retro view's forms: starting a retro, writing a note, agreeing an action.

Each validates with the domain models and returns what was entered (None on esc); the view makes the
store call, so a refusal from the store comes back as a notice.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Select, Static, TextArea

from socdesk.domain.models import Person, WorkType
from socdesk.domain.retro import ActionDraft, NoteColumn, RetroDraft
from socdesk.domain.validation import describe


def _parse_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{what}: not a date (YYYY-MM-DD): {text!r}") from None


RETRO_LABELS = {
    "vote_budget": "votes per person",
    "period_from": "from",
    "period_to": "to",
    "objectives": "objectives",
    "title": "title",
}
ACTION_LABELS = {
    "text": "what will be done",
    "owner": "owner",
    "due": "follow-up date",
    "type": "kind of work",
}


def _labelled(message: str, labels: dict[str, str]) -> str:
    """A validation message with the form's labels instead of field names."""
    for field, label in labels.items():
        message = message.replace(f"{field}: ", f"{label.capitalize()}: ")
    return message.replace("Input should be", "should be")


class RetroForm(ModalScreen[RetroDraft | None]):
    """Start a retro: title, objectives, the period it covers, the vote budget, anonymity, hiding."""

    BINDINGS = [Binding("ctrl+s", "save", "Start"), Binding("escape", "cancel", "Cancel")]

    def __init__(self, period: tuple[date, date]) -> None:
        super().__init__()
        self.period = period

    def compose(self) -> ComposeResult:
        start, end = self.period
        with Vertical(classes="dialog -wide", id="retro-form"):
            yield Static("Start a retro (you facilitate it)", classes="dialog-title")
            yield Label("Title")
            yield Input(id="title", max_length=200)
            yield Label("Objectives and goals (shown at the top all session)")
            yield TextArea(id="objectives")
            yield Label("Period covered: from / to (YYYY-MM-DD)")
            with Horizontal(classes="dialog-row"):
                yield Input(start.isoformat(), id="from")
                yield Input(end.isoformat(), id="to")
            yield Label("Votes per person")
            yield Input("3", id="votes", type="integer")
            yield Checkbox("Anonymous: store no author for any note", id="anonymous")
            yield Checkbox("Hide others' notes while writing", value=True, id="hide")
            yield Static("", classes="field-error", id="retro-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Start (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()

    def _error(self, text: str) -> None:
        self.query_one("#retro-error", Static).update(text)

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        try:
            data = {
                "title": self.query_one("#title", Input).value,
                "objectives": self.query_one("#objectives", TextArea).text,
                "period_from": _parse_date(self.query_one("#from", Input).value, "from"),
                "period_to": _parse_date(self.query_one("#to", Input).value, "to"),
                "vote_budget": int(self.query_one("#votes", Input).value or "0"),
                "anonymous": self.query_one("#anonymous", Checkbox).value,
                "hide_notes": self.query_one("#hide", Checkbox).value,
            }
            self.dismiss(RetroDraft.model_validate(data))
        except ValidationError as error:
            self._error(_labelled(describe(error, "retro"), RETRO_LABELS))
        except ValueError as error:
            self._error(str(error))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteForm(ModalScreen[tuple[NoteColumn, str] | None]):
    """A note for one of the three columns (the focused column is chosen already)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, column: NoteColumn, *, anonymous: bool) -> None:
        super().__init__()
        self.column = column
        self.anonymous = anonymous

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="note-form"):
            who = "anonymous: no author is stored" if self.anonymous else "signed with your name"
            yield Static(f"A note ({who})", classes="dialog-title")
            with RadioSet(id="column"):
                for column in NoteColumn:
                    yield RadioButton(column.heading, id=f"col-{column.value}")
            yield Input(id="text", max_length=500, placeholder="what happened, briefly")
            yield Static("", classes="field-error", id="note-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add (enter)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()
        # Pressed once mounted, so that the set's keyboard cursor starts on the offered column too.
        self.call_after_refresh(
            setattr, self.query_one(f"#col-{self.column.value}", RadioButton), "value", True
        )

    @on(Input.Submitted, "#text")
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        text = self.query_one("#text", Input).value.strip()
        if not text:
            self.query_one("#note-error", Static).update("Type the note first (esc cancels).")
            return
        pressed = self.query_one("#column", RadioSet).pressed_button
        column = NoteColumn((pressed.id or "").removeprefix("col-")) if pressed else self.column
        self.dismiss((column, text))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ActionForm(ModalScreen[ActionDraft | None]):
    """An action item: what, who owns it, when to follow up, what kind of work its card is."""

    BINDINGS = [Binding("ctrl+s", "save", "Save"), Binding("escape", "cancel", "Cancel")]

    def __init__(self, people: list[Person], today: date, *, owner: str | None = None) -> None:
        super().__init__()
        self.people = people
        self.today = today
        self.owner = owner

    def compose(self) -> ComposeResult:
        handles = [p.handle for p in self.people]
        with Vertical(classes="dialog -wide", id="action-form"):
            yield Static("Action item (becomes a card on the board)", classes="dialog-title")
            yield Label("What will be done")
            yield Input(id="text", max_length=200)
            yield Label("Owner")
            yield Select(
                [(f"{p.name} ({p.handle})", p.handle) for p in self.people],
                id="owner",
                value=self.owner if self.owner in handles else Select.BLANK,
                prompt="choose the owner",
            )
            yield Label("Follow up by (YYYY-MM-DD)")
            yield Input((self.today + timedelta(days=14)).isoformat(), id="due")
            yield Label("Kind of work")
            yield Select(
                [(t.value, t) for t in WorkType], id="type", value=WorkType.ENGINEERING, allow_blank=False
            )
            yield Static("", classes="field-error", id="action-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        owner = self.query_one("#owner", Select).value
        try:
            draft = ActionDraft.model_validate(
                {
                    "text": self.query_one("#text", Input).value,
                    "owner": owner if isinstance(owner, str) else "",
                    "due": _parse_date(self.query_one("#due", Input).value, "follow-up date"),
                    "type": self.query_one("#type", Select).value,
                }
            )
        except ValidationError as error:
            self.query_one("#action-error", Static).update(
                _labelled(describe(error, "action"), ACTION_LABELS)
            )
            return
        except ValueError as error:
            self.query_one("#action-error", Static).update(str(error))
            return
        self.dismiss(draft)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
